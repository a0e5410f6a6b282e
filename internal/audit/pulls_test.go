package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/layout"
)

// fakeGitHub serves pull requests from memory and counts the calls made
// for each pull request.
type fakeGitHub struct {
	prs      []*ghrepo.PR
	files    map[int][]change.File
	reviews  map[int][]approval.Review
	contents map[string]string // "ref:path" -> content
	kinds    map[string]string // "ref:path" -> a content type other than "file"
	closedBy map[int]string
	fail     map[string]error // call name -> error
	calls    map[string]int   // "Call #n"
}

func (g *fakeGitHub) count(call string, n int) error {
	if g.calls == nil {
		g.calls = map[string]int{}
	}
	g.calls[fmt.Sprintf("%s #%d", call, n)]++
	return g.fail[call]
}

func (g *fakeGitHub) PullRequests(_ context.Context, base string) ([]*ghrepo.PR, error) {
	if err := g.count("PullRequests", 0); err != nil {
		return nil, err
	}
	return g.prs, nil
}

func (g *fakeGitHub) PullRequestFiles(_ context.Context, n int) ([]change.File, error) {
	return g.files[n], g.count("PullRequestFiles", n)
}

func (g *fakeGitHub) Reviews(_ context.Context, n int) ([]approval.Review, error) {
	return g.reviews[n], g.count("Reviews", n)
}

func (g *fakeGitHub) File(_ context.Context, path, ref string) ([]byte, string, string, error) {
	if err := g.count("File", 0); err != nil {
		return nil, "", "", err
	}
	if k := g.kinds[ref+":"+path]; k != "" {
		return nil, "", k, nil
	}
	data, ok := g.contents[ref+":"+path]
	if !ok {
		return nil, "", "", fmt.Errorf("reading %s at %s: %w", path, ref, ghrepo.ErrNotFound)
	}
	return []byte(data), "blob-" + path, "file", nil
}

func (g *fakeGitHub) ClosedBy(_ context.Context, n int) (string, error) {
	return g.closedBy[n], g.count("ClosedBy", n)
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func added(paths ...string) []change.File {
	var out []change.File
	for _, p := range paths {
		out = append(out, change.File{Path: p, Status: change.Added})
	}
	return out
}

func review(user, state, commit string, min int, body string) approval.Review {
	return approval.Review{User: user, State: state, CommitID: commit, SubmittedAt: at(min), Body: body}
}

const reqStd = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: INC-1234 investigating 5xx\n"

// world builds one pull request of every kind, numbered in the order opened.
func world() *fakeGitHub {
	g := &fakeGitHub{
		files: map[int][]change.File{}, reviews: map[int][]approval.Review{},
		contents: map[string]string{}, kinds: map[string]string{}, closedBy: map[int]string{},
	}
	add := func(n int, author, state string, closedMin int, labels []string, path, content string) {
		pr := &ghrepo.PR{Number: n, Author: author, HeadSHA: fmt.Sprintf("h%d", n), BaseRef: "main",
			State: state, CreatedAt: at(n), Labels: labels}
		if state == "closed" {
			pr.ClosedAt = at(closedMin)
		}
		g.prs = append(g.prs, pr)
		if path != "" {
			g.files[n] = added(path)
			g.contents[pr.HeadSHA+":"+path] = content
		}
	}
	// 1: merged: git has it; no per-pull-request call.
	add(1, "octocat", "closed", 50, nil, "requests/payments-prod/merged.yaml", reqStd)
	g.prs[0].Merged = true
	// 2: open, approved on an earlier commit only, and by its author.
	add(2, "octocat", "open", 0, []string{"jit:pending-owner", "other"}, "requests/payments-prod/p.yaml", reqStd)
	g.reviews[2] = []approval.Review{
		review("alice", "APPROVED", "old", 3, "ok"),
		review("octocat", "APPROVED", "h2", 4, "self"),
		review("bob", "COMMENTED", "h2", 5, "a question"),
	}
	// 3: open, approved on its head by alice after her change request.
	add(3, "carol", "open", 0, []string{"jit:approved"}, "requests/payments-prod/q.yaml", reqStd)
	g.reviews[3] = []approval.Review{
		review("alice", "CHANGES_REQUESTED", "h3", 4, "which incident?"),
		review("alice", "APPROVED", "h3", 6, "ok now"),
	}
	// 4: open, rejected by bob; the author's own change request is not a rejection.
	add(4, "dave", "open", 0, nil, "requests/payments-prod/r.yaml", reqStd)
	g.reviews[4] = []approval.Review{
		review("dave", "CHANGES_REQUESTED", "h4", 5, "oops"),
		review("bob", "CHANGES_REQUESTED", "old", 6, "no"),
		review("alice", "DISMISSED", "h4", 7, "was a change request"),
	}
	// 5: closed by the sweep.
	add(5, "erin", "closed", 90, []string{"jit:expired"}, "requests/data-prod/s.yaml", "account: data-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: nobody looked at it\n")
	// 6: rejected, then closed by the sweep.
	add(6, "erin", "closed", 91, []string{approval.LabelExpired}, "requests/data-prod/t.yaml", reqStd)
	g.reviews[6] = []approval.Review{review("erin2", "CHANGES_REQUESTED", "h6", 8, "")}
	// 7: withdrawn.
	add(7, "Mallory", "closed", 92, nil, "requests/payments-prod/u.yaml", reqStd)
	g.closedBy[7] = "mallory"
	// 8: closed by an admin; the file does not parse strictly (unknown key)
	// but a lenient reading still gives its fields.
	add(8, "mallory", "closed", 93, nil, "requests/payments-prod/v.yaml", reqStd+"role: admin\n")
	g.closedBy[8] = "bob"
	// 9: closed, GitHub does not say by whom; the file is not YAML at all.
	add(9, "octocat", "closed", 94, nil, "requests/sandbox/w.yaml", "account: [\n")
	// 10: rejected and closed by its author; a custom set.
	add(10, "octocat", "closed", 95, nil, "requests/sandbox/x.yaml", "account: sandbox\ncustom_permission_set:\n  name: S3Read\n  managed_policies: [AmazonS3ReadOnlyAccess]\n  session_duration: 1h\n  inline_policy: '{\"Version\":\"2012-10-17\",\"Statement\":[]}'\nduration: 1d\njustification: debugging the bucket policy\n")
	g.reviews[10] = []approval.Review{review("bob", "CHANGES_REQUESTED", "h10", 20, "too broad")}
	g.closedBy[10] = "octocat"
	// 11: not a request: no request file added.
	add(11, "bob", "open", 0, nil, "", "")
	g.files[11] = []change.File{{Path: layout.ConfigPath, Status: change.Modified}, {Path: "requests/README.md", Status: change.Added}}
	// 12: a request file with other changes, and a status block it may not write.
	add(12, "octocat", "open", 0, nil, "requests/payments-prod/y.yaml", reqStd+"status:\n  state: active\n  requester: alice\n")
	g.files[12] = append(g.files[12], change.File{Path: ".github/CODEOWNERS", Status: change.Modified})
	// 13: the request file is a symbolic link at the head.
	add(13, "octocat", "open", 0, nil, "requests/payments-prod/z.yaml", "")
	g.kinds["h13:requests/payments-prod/z.yaml"] = "symlink"
	// 14: the head no longer has the file.
	add(14, "octocat", "open", 0, nil, "requests/payments-prod/gone.yaml", "")
	delete(g.contents, "h14:requests/payments-prod/gone.yaml")
	// 15: into another branch.
	add(15, "octocat", "open", 0, nil, "requests/payments-prod/other.yaml", reqStd)
	g.prs[len(g.prs)-1].BaseRef = "develop"
	return g
}

const wantPullsCSV = `path,requester,account,permission_set,custom_permission_set,custom_policies,requested_duration,effective_duration,justification,pull_request,approvals,merged_at,merge_commit,activated_at,expires_at,ended_at,state,why,opened_at,closed_at,head_commit,reviews,extends,extended_by
requests/payments-prod/p.yaml,octocat,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,2,,,,,,,pending,"open, not merged (jit:pending-owner); no approval on its head commit",2026-11-23T10:02:00Z,,h2,"alice(approved,2026-11-23T10:03:00Z,ok); octocat(approved,2026-11-23T10:04:00Z,self)",,
requests/payments-prod/q.yaml,carol,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,3,,,,,,,pending,"open, not merged (jit:approved); approved on its head commit by alice",2026-11-23T10:03:00Z,,h3,"alice(changes_requested,2026-11-23T10:04:00Z,which incident?); alice(approved,2026-11-23T10:06:00Z,ok now)",,
requests/payments-prod/r.yaml,dave,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,4,,,,,,,rejected,changes requested by bob; still open,2026-11-23T10:04:00Z,,h4,"dave(changes_requested,2026-11-23T10:05:00Z,oops); bob(changes_requested,2026-11-23T10:06:00Z,no); alice(dismissed,2026-11-23T10:07:00Z,was a change request)",,
requests/data-prod/s.yaml,erin,data-prod,ReadOnlyAccess,,,1h,,nobody looked at it,5,,,,,,,expired-unapproved,no approval within the request TTL: closed by the App's sweep (jit:expired),2026-11-23T10:05:00Z,2026-11-23T11:30:00Z,h5,,,
requests/data-prod/t.yaml,erin,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,6,,,,,,,rejected,changes requested by erin2; closed by the App's sweep (jit:expired),2026-11-23T10:06:00Z,2026-11-23T11:31:00Z,h6,"erin2(changes_requested,2026-11-23T10:08:00Z)",,
requests/payments-prod/u.yaml,Mallory,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,7,,,,,,,withdrawn,closed by its author without merging,2026-11-23T10:07:00Z,2026-11-23T11:32:00Z,h7,,,
requests/payments-prod/v.yaml,mallory,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,8,,,,,,,closed,"closed without merging by bob; the request file does not parse: PARSE8",2026-11-23T10:08:00Z,2026-11-23T11:33:00Z,h8,,,
requests/sandbox/w.yaml,octocat,sandbox,,,,,,,9,,,,,,,closed,"closed without merging; GitHub does not say by whom; the request file does not parse: PARSE9",2026-11-23T10:09:00Z,2026-11-23T11:34:00Z,h9,,,
requests/sandbox/x.yaml,octocat,sandbox,,S3Read,AmazonS3ReadOnlyAccess; inline,1d,,debugging the bucket policy,10,,,,,,,rejected,changes requested by bob; closed by its author,2026-11-23T10:10:00Z,2026-11-23T11:35:00Z,h10,"bob(changes_requested,2026-11-23T10:20:00Z,too broad)",,
requests/payments-prod/y.yaml,octocat,payments-prod,ReadOnlyAccess,,,4h,,INC-1234 investigating 5xx,12,,,,,,,pending,"open, not merged; no approval on its head commit; not a plain request: adds the request file requests/payments-prod/y.yaml together with other changes; edits .github/CODEOWNERS (the code owners, who approve requests)",2026-11-23T10:12:00Z,,h12,,,
requests/payments-prod/z.yaml,octocat,payments-prod,,,,,,,13,,,,,,,pending,"open, not merged; no approval on its head commit; requests/payments-prod/z.yaml is a symlink, not a request file",2026-11-23T10:13:00Z,,h13,,,
requests/payments-prod/gone.yaml,octocat,payments-prod,,,,,,,14,,,,,,,pending,"open, not merged; no approval on its head commit; requests/payments-prod/gone.yaml is not in the head commit h14",2026-11-23T10:14:00Z,,h14,,,
`

func TestCollectPullRequestsCSV(t *testing.T) {
	g := world()
	records, err := CollectPullRequests(context.Background(), g, "", Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := WriteCSV(&buf, records); err != nil {
		t.Fatal(err)
	}
	// The parser's wording is package schema's business; that the problem
	// is there, with the file, line and column, is this one's.
	got := buf.String()
	for _, n := range []int{8, 9} {
		var r Record
		for _, r = range records {
			if r.PullRequest == n {
				break
			}
		}
		_, parse, ok := strings.Cut(r.Why, "the request file does not parse: ")
		if !ok || !strings.HasPrefix(parse, r.Path+":") || !strings.Contains(parse, ": error: ") {
			t.Errorf("#%d: why %q does not give the parse problem with its place", n, r.Why)
			continue
		}
		got = strings.Replace(got, strings.ReplaceAll(parse, `"`, `""`), fmt.Sprintf("PARSE%d", n), 1)
	}
	if diff := cmp.Diff(wantPullsCSV, got); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestCollectPullRequestsCalls(t *testing.T) {
	g := world()
	if _, err := CollectPullRequests(context.Background(), g, "main", Filter{}); err != nil {
		t.Fatal(err)
	}
	// Merged pull requests, and those into other branches, cost nothing
	// beyond the list; who closed a pull request is asked only when the
	// label does not already say.
	for call := range g.calls {
		for _, n := range []string{" #1", " #15"} {
			if strings.HasSuffix(call, n) {
				t.Errorf("%s was called", call)
			}
		}
	}
	var closedBy []string
	for call := range g.calls {
		if strings.HasPrefix(call, "ClosedBy") {
			closedBy = append(closedBy, call)
		}
	}
	if len(closedBy) != 4 { // 7, 8, 9, 10; not 5 or 6 (jit:expired)
		t.Errorf("ClosedBy calls %v, want those of #7 to #10", closedBy)
	}
	if g.calls["Reviews #11"] != 0 || g.calls["PullRequestFiles #11"] != 1 {
		t.Errorf("#11 adds no request file: its files are listed once and nothing more (%v)", g.calls)
	}
}

func TestCollectPullRequestsFilter(t *testing.T) {
	tests := []struct {
		name string
		f    Filter
		want []int
	}{
		{"user, any case", Filter{User: "MALLORY"}, []int{7, 8}},
		{"account as written in the file, or its folder", Filter{Account: "sandbox"}, []int{9, 10}},
		{"until: opened after is out", Filter{Until: at(4)}, []int{2, 3, 4}},
		{"since: closed before is out, open is in", Filter{Since: at(93)}, []int{2, 3, 4, 8, 9, 10, 12, 13, 14}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := world()
			records, err := CollectPullRequests(context.Background(), g, "main", tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range records {
				got = append(got, r.PullRequest)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pull requests (-want +got):\n%s", diff)
			}
		})
	}
	// The user and the period are decided from the list alone.
	g := world()
	if _, err := CollectPullRequests(context.Background(), g, "main", Filter{User: "nobody"}); err != nil {
		t.Fatal(err)
	}
	if len(g.calls) != 1 {
		t.Errorf("calls %v, want only the list", g.calls)
	}
}

func TestCollectPullRequestsErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, call := range []string{"PullRequests", "PullRequestFiles", "Reviews", "File", "ClosedBy"} {
		g := world()
		g.fail = map[string]error{call: boom}
		if _, err := CollectPullRequests(context.Background(), g, "main", Filter{}); !errors.Is(err, boom) {
			t.Errorf("%s failing: %v, want the error passed on (never a partial export)", call, err)
		}
	}
}

func TestWriteJSONPullRequest(t *testing.T) {
	g := world()
	records, err := CollectPullRequests(context.Background(), g, "main", Filter{User: "dave"})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := WriteJSON(&buf, records); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "path": "requests/payments-prod/r.yaml",
    "requester": "dave",
    "account": "payments-prod",
    "permission_set": "ReadOnlyAccess",
    "requested_duration": "4h",
    "effective_duration": "",
    "justification": "INC-1234 investigating 5xx",
    "pull_request": 4,
    "approvals": null,
    "state": "rejected",
    "why": "changes requested by bob; still open",
    "opened_at": "2026-11-23T10:04:00Z",
    "head_commit": "h4",
    "reviews": [
      {
        "by": "dave",
        "state": "changes_requested",
        "at": "2026-11-23T10:05:00Z",
        "note": "oops",
        "commit": "h4"
      },
      {
        "by": "bob",
        "state": "changes_requested",
        "at": "2026-11-23T10:06:00Z",
        "note": "no",
        "commit": "old"
      },
      {
        "by": "alice",
        "state": "dismissed",
        "at": "2026-11-23T10:07:00Z",
        "note": "was a change request",
        "commit": "h4"
      }
    ]
  }
]
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
