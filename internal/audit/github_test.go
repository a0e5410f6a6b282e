package audit_test

import (
	"bytes"
	"context"
	_ "embed"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// filePending is a custom permission set's request: an inline policy.
//
//go:embed testdata/dave-exports.yaml
var filePending string

const (
	pathMerged    = "requests/payments-prod/octocat-inc-1.yaml"
	pathExpired   = "requests/data-prod/erin-nightly.yaml"
	pathPending   = "requests/payments-prod/dave-exports.yaml"
	pathRejected  = "requests/payments-prod/carol-debug.yaml"
	pathWithdrawn = "requests/payments-staging/octocat-oops.yaml"
	pathClosed    = "requests/payments-prod/mallory-admin.yaml"

	fileMerged    = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-1: elevated 5xx in the payment API\"\n"
	fileExpired   = "account: data-prod\npermission_set: ReadOnlyAccess\nduration: 2h\njustification: rerun the nightly export job\n"
	fileRejected  = "account: payments-prod\npermission_set: PowerUserAccess\nduration: 8h\njustification: debugging something in prod\n"
	fileWithdrawn = "account: payments-staging\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: opened by mistake, sorry\n"
	fileClosed    = "account: payments-prod\npermission_set: PowerUserAccess\nduration: 1d\njustification: I would like admin please\nrole: admin\n"
)

// The export with GitHub: the merged request from git as before, then one
// row per request pull request that never merged, with its reviews.
const wantGitHubCSV = `path,requester,account,permission_set,custom_permission_set,custom_policies,requested_duration,effective_duration,justification,pull_request,approvals,merged_at,merge_commit,activated_at,expires_at,ended_at,state,why,opened_at,closed_at,head_commit,reviews,extends,extended_by
requests/payments-prod/octocat-inc-1.yaml,octocat,payments-prod,ReadOnlyAccess,,,4h,4h,INC-1: elevated 5xx in the payment API,2,"alice(owner,T,ok for INC-1)",T,SHA,T,T,,active,,,,,,,
requests/data-prod/erin-nightly.yaml,erin,data-prod,ReadOnlyAccess,,,2h,,rerun the nightly export job,1,,,,,,,expired-unapproved,no approval within the request TTL: closed by the App's sweep (jit:expired),T,T,SHA,,,
requests/payments-prod/dave-exports.yaml,dave,payments-prod,,ExportsRead,inline,8h,,INC-2: read last night's payment exports,3,,,,,,,pending,"open, not merged (jit:pending-admin); approved on its head commit by alice",T,,SHA,"alice(approved,T,owner ok)",,
requests/payments-prod/carol-debug.yaml,carol,payments-prod,PowerUserAccess,,,8h,,debugging something in prod,4,,,,,,,rejected,changes requested by alice; still open,T,,SHA,"alice(changes_requested,T,which incident? PowerUserAccess needs one)",,
requests/payments-staging/octocat-oops.yaml,octocat,payments-staging,ReadOnlyAccess,,,1h,,"opened by mistake, sorry",5,,,,,,,withdrawn,closed by its author without merging,T,T,SHA,,,
requests/payments-prod/mallory-admin.yaml,mallory,payments-prod,PowerUserAccess,,,1d,,I would like admin please,6,,,,,,,closed,"closed without merging by bob; the request file does not parse: PARSE",T,T,SHA,,,
`

func TestExportWithGitHub(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	w := testworld.New(t, start, sandbox.Options{AsyncDelay: 10 * time.Millisecond})
	gh, owner, name := w.GitHub, sandbox.Org, sandbox.RepoName
	open := func(author, branch, path, content string) int {
		t.Helper()
		n, err := gh.OpenPullRequest(owner, name, author, branch, "request", map[string][]byte{path: []byte(content)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// #1 is left unapproved past the request TTL and closed by the sweep.
	expired := open("erin", "erin/nightly", pathExpired, fileExpired)
	w.Clock.Advance(25 * time.Hour)
	res, err := w.App.Sweep(ctx, w.InstallationID, ghrepo.Repo{Owner: owner, Name: name})
	must(err)
	if !slices.Equal(res.Closed, []int{expired}) {
		t.Fatalf("the sweep closed %v, want #%d", res.Closed, expired)
	}

	// #2 is approved by an owner, merged and activated: git has it.
	merged := open("octocat", "octocat/inc-1", pathMerged, fileMerged)
	_, err = gh.SubmitReview(owner, name, merged, "alice", "APPROVED", "ok for INC-1")
	must(err)
	_, err = gh.MergeProtected(owner, name, merged, "octocat")
	must(err)
	rep, err := w.Reconcile(ctx, 0)
	must(err)
	if len(rep.Activated) != 1 {
		t.Fatalf("the reconcile activated %v, want the merged request", rep.Activated)
	}

	// #3 waits for an SSO admin after the owner's approval.
	pending := open("dave", "dave/exports", pathPending, filePending)
	_, err = gh.SubmitReview(owner, name, pending, "alice", "APPROVED", "owner ok")
	must(err)
	// #4 is rejected by an owner and stays open.
	rejected := open("carol", "carol/debug", pathRejected, fileRejected)
	_, err = gh.SubmitReview(owner, name, rejected, "alice", "REQUEST_CHANGES", "which incident? PowerUserAccess needs one")
	must(err)
	// #5 is closed by its author.
	withdrawn := open("octocat", "octocat/oops", pathWithdrawn, fileWithdrawn)
	must(gh.ClosePullRequest(owner, name, withdrawn, "octocat"))
	// #6 does not parse (an unknown key) and an admin closes it.
	closed := open("mallory", "mallory/admin", pathClosed, fileClosed)
	must(gh.ClosePullRequest(owner, name, closed, "bob"))
	// #7 is no request at all.
	_, err = gh.OpenPullRequest(owner, name, "bob", "bob/docs", "docs", map[string][]byte{"README.md": []byte("hello\n")})
	must(err)

	dir, err := w.Clone(ctx)
	must(err)
	records, err := audit.Collect(ctx, dir, audit.Filter{})
	must(err)
	// The App's installation client, as `jit audit --github` builds it.
	client, err := w.Client()
	must(err)
	g := ghrepo.New(client, ghrepo.Repo{Owner: owner, Name: name})
	gh.ResetRequests()
	unmerged, err := audit.CollectPullRequests(ctx, g, "", audit.Filter{})
	must(err)
	calls := gh.Requests()
	records = append(records, unmerged...)

	var buf bytes.Buffer
	must(audit.WriteCSV(&buf, records))
	got := buf.String()
	// Parse problems are package schema's wording; times and SHAs vary.
	for _, r := range records {
		if _, parse, ok := strings.Cut(r.Why, "the request file does not parse: "); ok {
			if !strings.HasPrefix(parse, pathClosed+":5:1: ") || !strings.Contains(parse, `"role"`) {
				t.Errorf("parse problem %q does not point at role: on line 5", parse)
			}
			got = strings.Replace(got, strings.ReplaceAll(parse, `"`, `""`), "PARSE", 1)
		}
		if r.OpenedAt != nil && r.ClosedAt != nil && r.ClosedAt.Before(*r.OpenedAt) {
			t.Errorf("#%d closed at %s before it opened at %s", r.PullRequest, r.ClosedAt, r.OpenedAt)
		}
	}
	got = regexp.MustCompile(`\b[0-9a-f]{40}\b`).ReplaceAllString(got, "SHA")
	// Every time in the export is one of the world's own: between its start
	// and the end of the longest grant (4h) from now on its clock, whatever
	// today's date is.
	end := w.Clock.Now().Add(4 * time.Hour)
	got = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b`).ReplaceAllStringFunc(got, func(s string) string {
		if at, err := time.Parse(time.RFC3339, s); err != nil || at.Before(start) || at.After(end) {
			t.Errorf("time %s in the export is not between the world's start %s and %s", s, start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
		return "T"
	})
	if diff := cmp.Diff(wantGitHubCSV, got); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}

	// The head commit is the one the request was read at.
	for _, r := range unmerged {
		pr, err := gh.PullRequest(owner, name, r.PullRequest)
		must(err)
		if r.HeadCommit != pr.GetHead().GetSHA() {
			t.Errorf("#%d read at %s, head is %s", r.PullRequest, r.HeadCommit, pr.GetHead().GetSHA())
		}
	}
	// One list call, nothing for the merged pull request, and who closed
	// it asked only where no label says.
	for route, want := range map[string]int{
		"GET /repos/{owner}/{repo}/pulls":                  1,
		"GET /repos/{owner}/{repo}/pulls/{number}/files":   6, // #1 and #3 to #7
		"GET /repos/{owner}/{repo}/pulls/{number}/reviews": 5, // #7 adds no request file
		"GET /repos/{owner}/{repo}/contents/{path}":        5,
		"GET /repos/{owner}/{repo}/issues/{number}":        2, // #5 and #6; #1 has jit:expired
	} {
		if calls[route] != want {
			t.Errorf("%s: %d calls, want %d (all: %v)", route, calls[route], want, calls)
		}
	}
}
