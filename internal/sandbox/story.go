package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/layout"
)

// StoryOptions configure the story.
type StoryOptions struct {
	// Out receives the story as a person reads it.
	Out io.Writer
	// Step waits for Enter on In between steps.
	Step bool
	In   io.Reader
}

// Story is one run of the sandbox's lifecycle story. Every step checks what
// it shows: the story fails when jit does not behave as told, so the
// end-to-end test is this very code path.
type Story struct {
	w    *World
	out  io.Writer
	step bool
	in   *bufio.Reader
	n    int
	// PRs remembers the pull requests opened, by a short name.
	PRs map[string]int
	// Reports holds every reconcile report, in order.
	Reports []action.Report
	// Audit is the final `jit audit --format csv`.
	Audit string
	// Log is the final `git log` of requests/.
	Log string
	// PageLink is the request page's link to GitHub's new-file page that
	// bob follows.
	PageLink string
}

// Request files of the story.
const (
	octocatPath = "requests/payments-prod/octocat-inc-1234.yaml"
	carolPath   = "requests/payments-prod/carol-export-review.yaml"
	bobPath     = "requests/payments-staging/bob-ops-77.yaml"
	alicePath   = "requests/payments-prod/alice-sev1.yaml"
	carolMore   = "requests/payments-prod/carol-export-review-more.yaml"

	aliceEmergency = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: PowerUserAccess
emergency: true
duration: 2h
justification: "SEV1-42: payments API down, restart the settlement workers"
`

	octocatMistake = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: ReadOnlyAccess
duration: 5h
justification: "INC-1234: investigating elevated 5xx rates in the payment API"
`
	carolCustom = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
custom_permission_set:
  name: ExportsRead
  session_duration: 1h
  inline_policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [s3:GetObject, s3:ListBucket]
        Resource: [arn:aws:s3:::payments-exports, arn:aws:s3:::payments-exports/*]
duration: 8h
justification: "INC-1300: read last night's payment exports for the incident review"
`
)

// RunStory plays the lifecycle through the real components.
func RunStory(ctx context.Context, w *World, opts StoryOptions) (*Story, error) {
	s := &Story{w: w, out: opts.Out, step: opts.Step, PRs: map[string]int{}}
	if s.out == nil {
		s.out = io.Discard
	}
	if opts.In != nil {
		s.in = bufio.NewReader(opts.In)
	}
	// Merges go through branch protection: jit/approval is required.
	if err := w.GitHub.SetRequiredChecks(Org, RepoName, "jit/approval"); err != nil {
		return s, err
	}
	steps := []struct {
		title string
		run   func(context.Context) error
	}{
		{"A request with a mistake, then the fix", s.mistake},
		{"Self-approval does not count; the owner approves; merge; reconcile", s.standard},
		{"A custom permission set: owner, then SSO admin", s.custom},
		{"What may I request? jit list, then the request page", s.catalogPage},
		{"An auto-approval rule approves a short read-only request", s.autoApproved},
		{"Break-glass: emergency access at once, reviewed after the fact", s.breakGlass},
		{"Time passes: the standard grants expire", s.expire},
		{"carol needs more time: extends: moves her grant's end, no gap, no second assignment", s.extend},
		{"/jit revoke ends the custom grant at once", s.revoke},
		{"The audit log", s.auditLog},
	}
	for _, st := range steps {
		if err := s.begin(st.title); err != nil {
			return s, err
		}
		if err := st.run(ctx); err != nil {
			return s, fmt.Errorf("step %d (%s): %w", s.n, st.title, err)
		}
	}
	fmt.Fprintf(s.out, "\nThe story is complete: every step behaved as told.\n")
	return s, nil
}

func (s *Story) begin(title string) error {
	if s.step && s.n > 0 && s.in != nil {
		fmt.Fprint(s.out, "\n[press Enter for the next step] ")
		if _, err := s.in.ReadString('\n'); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	s.n++
	fmt.Fprintf(s.out, "\n== %d. %s\n\n", s.n, title)
	return nil
}

// say prints one line of the story: who did what.
func (s *Story) say(who, format string, args ...any) {
	fmt.Fprintf(s.out, "  %-9s %s\n", who, fmt.Sprintf(format, args...))
}

func (s *Story) pr(name string) int { return s.PRs[name] }

// expect checks a PR's check and label and prints what the App answered:
// validate is the verdict of the validation jit/approval carries.
func (s *Story) expect(n int, validate, approvalConclusion, label string) (PRStatus, error) {
	st, err := s.w.PRStatus(n)
	if err != nil {
		return st, err
	}
	s.say("jit App", "jit/approval: %s (%s), label %s", st.Approval, st.Title, strings.Join(st.Labels, " "))
	if st.Validate != validate || st.Approval != approvalConclusion || !slices.Contains(st.Labels, label) {
		return st, fmt.Errorf("PR #%d: got jit/approval %q titled %q (validation %s), labels %v; want %q, validation %s, %s", n, st.Approval, st.Title, st.Validate, st.Labels, approvalConclusion, validate, label)
	}
	return st, nil
}

func (s *Story) mistake(ctx context.Context) error {
	w := s.w
	n, err := s.open("standard", "octocat", "octocat/inc-1234", "Read-only access to payments-prod for INC-1234", octocatPath, octocatMistake,
		"opens PR #%d adding "+octocatPath+" (asking for 5h)")
	if err != nil {
		return err
	}
	st, err := s.expect(n, "failure", "failure", "jit:invalid")
	if err != nil {
		return err
	}
	if len(st.Annotations) == 0 {
		return errors.New("jit/approval found the request invalid without a line annotation")
	}
	for _, a := range st.Annotations {
		s.say("", "  %s", a)
	}
	fixed := strings.Replace(octocatMistake, "duration: 5h", "duration: 4h", 1)
	if _, err := w.GitHub.Push(Org, RepoName, n, "octocat", map[string][]byte{octocatPath: []byte(fixed)}); err != nil {
		return err
	}
	s.say("octocat", "pushes the fix: duration: 4h")
	if _, err := s.expect(n, "success", "failure", "jit:pending-owner"); err != nil {
		return err
	}
	users, teams, err := s.askedReviewers(n, "GitHub", "asked the code owners to review when the PR was opened (jit leaves that to GitHub)")
	if err != nil {
		return err
	}
	if !slices.Contains(teams, "payments-leads") {
		return fmt.Errorf("the owners of payments-prod were not asked to review: users %v teams %v", users, teams)
	}
	return nil
}

func (s *Story) standard(ctx context.Context) error {
	w, n := s.w, s.pr("standard")
	if _, err := w.GitHub.MergeProtected(Org, RepoName, n, "octocat"); err == nil {
		return errors.New("branch protection let an unapproved request merge")
	} else {
		s.say("octocat", "tries to merge: refused by branch protection (%s)", shortErr(err))
	}
	if _, err := w.GitHub.SubmitReview(Org, RepoName, n, "octocat", "APPROVED", "looks fine to me"); err != nil {
		return err
	}
	s.say("octocat", "approves their own PR")
	st, err := s.expect(n, "success", "failure", "jit:pending-owner")
	if err != nil {
		return err
	}
	if !strings.Contains(st.Sticky, "octocat") {
		return errors.New("the status comment does not say why octocat's approval does not count")
	}
	s.say("jit App", "(the status comment explains: the requester never approves)")
	if err := s.approve(n, "alice", "ok for INC-1234", "owner of payments-prod (@acme/payments-leads), approves: \"ok for INC-1234\""); err != nil {
		return err
	}
	if _, err := s.expect(n, "success", "success", "jit:approved"); err != nil {
		return err
	}
	if err := s.mergeAndActivate(ctx, n, "octocat", "the approved request"); err != nil {
		return err
	}
	ps := w.PermissionSetARNs["ReadOnlyAccess"]
	if !w.hasAssignment("111122223333", ps, "octocat") {
		return errors.New("octocat has no ReadOnlyAccess assignment in payments-prod after activation")
	}
	s.say("AWS", "assignment exists: payments-prod (111122223333) / ReadOnlyAccess / octocat@acme.example")
	return nil
}

func (s *Story) custom(ctx context.Context) error {
	w := s.w
	n, err := s.open("custom", "carol", "carol/exports", "Custom S3 read on payments-prod for INC-1300", carolPath, carolCustom,
		"opens PR #%d: a custom permission set ExportsRead (s3:GetObject, s3:ListBucket)")
	if err != nil {
		return err
	}
	if _, err := s.expect(n, "success", "failure", "jit:pending-owner"); err != nil {
		return err
	}
	if err := s.approve(n, "alice", "owner ok", "owner, approves"); err != nil {
		return err
	}
	if _, err := s.expect(n, "success", "failure", "jit:pending-admin"); err != nil {
		return err
	}
	if _, _, err := s.askedReviewers(n, "jit App", "owner stage done; asks the SSO admins"); err != nil {
		return err
	}
	if err := s.approve(n, "bob", "policy is read-only, ok", "SSO admin (@acme/sso-admins), approves"); err != nil {
		return err
	}
	if _, err := s.expect(n, "success", "success", "jit:approved"); err != nil {
		return err
	}
	if err := s.mergeAndActivate(ctx, n, "carol", "the approved custom request"); err != nil {
		return err
	}
	set, ok := w.jitSet()
	if !ok {
		return errors.New("no JIT- permission set exists after the custom activation")
	}
	if !strings.Contains(set.InlinePolicy, "aws:CurrentTime") {
		return fmt.Errorf("the permission set %s has no expiry guard: %s", set.Name, set.InlinePolicy)
	}
	s.say("AWS", "permission set %s, tagged jit:managed, inline policy with the expiry guard:", set.Name)
	s.say("", "  Deny * when aws:CurrentTime > %s", guardTime(set.InlinePolicy))
	if !w.hasAssignment("111122223333", set.ARN, "carol") {
		return errors.New("carol has no assignment of the custom set")
	}
	s.say("AWS", "assignment exists: payments-prod / %s / carol@acme.example", set.Name)
	return nil
}

func (s *Story) autoApproved(ctx context.Context) error {
	w := s.w
	// bob commits the file the request page's link filled in.
	path, body, err := linkedFile(s.PageLink)
	if err != nil {
		return err
	}
	n, err := s.open("auto", "bob", "bob/ops-77", "Read-only on payments-staging for 1h", path, body,
		"SSO admin, opens PR #%d: ReadOnlyAccess on payments-staging for 1h")
	if err != nil {
		return err
	}
	st, err := s.expect(n, "success", "success", "jit:approved")
	if err != nil {
		return err
	}
	if !strings.Contains(st.Sticky, "auto_approve") {
		return errors.New("the status comment does not name the auto-approval rule")
	}
	s.say("jit App", "approved by rule permission_sets/ReadOnlyAccess/auto_approve[0] (SSO admins, at most 1h)")
	if err := s.mergeAndActivate(ctx, n, "bob", "the auto-approved request"); err != nil {
		return err
	}
	if !w.hasAssignment("444455556666", w.PermissionSetARNs["ReadOnlyAccess"], "bob") {
		return errors.New("the auto-approved request was not provisioned")
	}
	return nil
}

func (s *Story) breakGlass(ctx context.Context) error {
	w := s.w
	n, err := s.open("emergency", "alice", "alice/sev1", "SEV1: PowerUserAccess on payments-prod", alicePath, aliceEmergency,
		"on call, opens PR #%d: emergency: true, PowerUserAccess on payments-prod for 2h")
	if err != nil {
		return err
	}
	st, err := s.expect(n, "success", "success", "jit:emergency")
	if err != nil {
		return err
	}
	_, teams, err := s.askedReviewers(n, "jit App", "approved at once as emergency access; asks for a review after the fact")
	if err != nil {
		return err
	}
	if !slices.Contains(st.Labels, "jit:approved") || !slices.Contains(teams, "sso-admins") {
		return fmt.Errorf("emergency PR: labels %v, review requested from %v", st.Labels, teams)
	}
	if err := s.mergeAndActivate(ctx, n, "alice", "the emergency request"); err != nil {
		return err
	}
	if err := s.approve(n, "dave", "checked the SEV1 timeline, ok", "SSO admin, reviews the emergency access after the fact: approves"); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "\n  What the emulated IAM Identity Center holds now:\n%s", indent(w.IDC.Snapshot()))
	return nil
}

func (s *Story) expire(ctx context.Context) error {
	w := s.w
	w.Clock.Advance(4*time.Hour + time.Minute)
	s.say("clock", "moves 4h01m forward (the emulators and jit share the sandbox clock): now %s", w.Clock.Now().UTC().Format(time.RFC3339))
	rep, err := s.reconcile(ctx)
	if err != nil {
		return err
	}
	var expired []string
	for _, e := range rep.Expired {
		expired = append(expired, e.Path)
	}
	slices.Sort(expired)
	want := []string{alicePath, bobPath, octocatPath}
	slices.Sort(want)
	if !slices.Equal(expired, want) {
		return fmt.Errorf("the reconcile expired %v, want %v", expired, want)
	}
	if w.hasAssignment("111122223333", w.PermissionSetARNs["ReadOnlyAccess"], "octocat") {
		return errors.New("octocat's assignment is still in AWS after the expiry")
	}
	s.say("AWS", "octocat's, bob's and alice's assignments are gone; carol's custom grant (8h) is still active")
	data, err := w.MainFile(ctx, alicePath)
	if err != nil {
		return err
	}
	if !strings.Contains(data, "post_hoc_reviews:") || !strings.Contains(data, "by: dave") {
		return fmt.Errorf("dave's review after the fact is not recorded in %s:\n%s", alicePath, data)
	}
	s.say("reconcile", "recorded dave's review after the fact in alice's emergency grant (post_hoc_reviews)")
	return nil
}

func (s *Story) extend(ctx context.Context) error {
	w := s.w
	before, ok := w.jitSet()
	if !ok {
		return errors.New("carol's custom permission set is gone before the extension")
	}
	calls := w.IDC.Calls()
	body := strings.Replace(carolCustom, "duration: 8h\n", "extends: "+carolPath+"\nduration: 8h\n", 1)
	body = strings.Replace(body, "INC-1300: read last night's payment exports for the incident review", "INC-1300: the incident review needs another day of the exports", 1)
	n, err := s.open("extend", "carol", "carol/exports-more", "More time on the exports for INC-1300", carolMore, body,
		"opens PR #%d: the same custom set, extends: "+carolPath+", duration 8h")
	if err != nil {
		return err
	}
	st, err := s.expect(n, "success", "failure", "jit:pending-owner")
	if err != nil {
		return err
	}
	if !strings.Contains(st.Sticky, "| Current end |") || !strings.Contains(st.Sticky, "| New end |") {
		return fmt.Errorf("the status comment does not show the approvers the current and the new end:\n%s", st.Sticky)
	}
	for _, l := range strings.Split(st.Sticky, "\n") {
		if strings.HasPrefix(l, "| Extends |") || strings.HasPrefix(l, "| Current end |") || strings.HasPrefix(l, "| New end |") {
			s.say("jit App", "%s", l)
		}
	}
	for _, r := range []struct{ who, note, role string }{{"alice", "owner ok", "owner"}, {"bob", "same read-only policy, ok", "SSO admin"}} {
		if err := s.approve(n, r.who, r.note, r.role+", approves"); err != nil {
			return err
		}
	}
	if _, err := s.expect(n, "success", "success", "jit:approved"); err != nil {
		return err
	}
	rep, err := s.merge(ctx, n, "carol", "the extension")
	if err != nil {
		return err
	}
	if len(rep.Extended) != 1 || len(rep.Activated) != 0 {
		return fmt.Errorf("the reconcile extended %d and activated %d grants, want 1 and 0", len(rep.Extended), len(rep.Activated))
	}
	after, ok := w.jitSet()
	if !ok || after.ARN != before.ARN {
		return errors.New("the extension did not keep carol's permission set")
	}
	if guardTime(after.InlinePolicy) == guardTime(before.InlinePolicy) {
		return errors.New("the expiry guard did not move")
	}
	now := w.IDC.Calls()
	if now["CreateAccountAssignment"] != calls["CreateAccountAssignment"] || now["DeleteAccountAssignment"] != calls["DeleteAccountAssignment"] {
		return errors.New("the extension created or deleted an assignment")
	}
	s.say("AWS", "the same set %s and assignment; the guard moved: Deny * when aws:CurrentTime > %s (was %s)",
		after.Name, guardTime(after.InlinePolicy), guardTime(before.InlinePolicy))
	data, err := w.MainFile(ctx, carolPath)
	if err != nil {
		return err
	}
	if !strings.Contains(data, "extensions:") || !strings.Contains(data, "request: "+carolMore) {
		return fmt.Errorf("%s does not record its extension:\n%s", carolPath, data)
	}
	s.say("reconcile", "recorded the new end in %s (extensions:) and state extended in %s", carolPath, carolMore)
	return nil
}

func (s *Story) revoke(ctx context.Context) error {
	w, n := s.w, s.pr("custom")
	if _, err := w.GitHub.Comment(Org, RepoName, n, "carol", "/jit revoke incident review finished"); err != nil {
		return err
	}
	s.say("carol", "comments on PR #%d: /jit revoke incident review finished", n)
	st, err := w.PRStatus(n)
	if err != nil {
		return err
	}
	s.say("jit App", "%s", firstLine(st.LastComment))
	rep, err := s.reconcile(ctx)
	if err != nil {
		return err
	}
	if len(rep.Revoked) != 1 {
		return fmt.Errorf("the reconcile revoked %d grants, want 1", len(rep.Revoked))
	}
	if _, ok := w.jitSet(); ok {
		return errors.New("the custom permission set still exists after the revocation")
	}
	s.say("AWS", "sessions cut, assignment deleted, JIT- permission set deleted")
	return nil
}

func (s *Story) auditLog(ctx context.Context) error {
	dir, err := s.w.Clone(ctx)
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "--format=%h %ad %s%n%(trailers)", "--date=format:%H:%M", "--", layout.RequestsDir+"/").CombinedOutput()
	if err != nil {
		return fmt.Errorf("git log: %v: %s", err, out)
	}
	s.Log = string(out)
	fmt.Fprintf(s.out, "  $ git log --format='%%h %%ad %%s%%n%%(trailers)' -- requests/\n%s\n", indent(s.Log))
	recs, err := audit.Collect(ctx, dir, audit.Filter{})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := audit.WriteCSV(&b, recs); err != nil {
		return err
	}
	s.Audit = b.String()
	fmt.Fprintf(s.out, "  $ jit audit --format csv\n%s", indent(s.Audit))
	if len(recs) != 5 {
		return fmt.Errorf("the audit has %d records, want 5", len(recs))
	}
	for _, r := range recs {
		if r.Path == carolPath && !slices.Equal(r.ExtendedBy, []string{carolMore}) || r.Path == carolMore && r.Extends != carolPath {
			return fmt.Errorf("the audit does not link carol's grant and its extension: %+v", r)
		}
	}
	for _, ev := range []string{"Jit-Event: activated", "Jit-Event: expired", "Jit-Event: revoked"} {
		if !strings.Contains(s.Log, ev) {
			return fmt.Errorf("git log lacks %q", ev)
		}
	}
	return nil
}

// open has who open a pull request from branch adding the file path with
// body, keeps its number in s.PRs under key, and tells it as who: tell
// has a %d for the number.
func (s *Story) open(key, who, branch, title, path, body, tell string) (int, error) {
	n, err := s.w.GitHub.OpenPullRequest(Org, RepoName, who, branch, title, map[string][]byte{path: []byte(body)})
	if err != nil {
		return 0, err
	}
	s.PRs[key] = n
	s.say(who, tell, n)
	return n, nil
}

// askedReviewers returns whom PR n asks to review, and tells it as what who
// (GitHub, which asks the code owners, or the App, which asks the others)
// did.
func (s *Story) askedReviewers(n int, who, did string) (users, teams []string, err error) {
	users, teams, err = s.w.GitHub.RequestedReviewers(Org, RepoName, n)
	if err != nil {
		return nil, nil, err
	}
	s.say(who, "%s: %s", did, reviewers(users, teams))
	return users, teams, nil
}

// approve submits who's approving review of PR n, and tells it as line.
func (s *Story) approve(n int, who, body, line string) error {
	if _, err := s.w.GitHub.SubmitReview(Org, RepoName, n, who, "APPROVED", body); err != nil {
		return err
	}
	s.say(who, "%s", line)
	return nil
}

// mergeAndActivate merges the approved PR n as who, runs the reconcile and
// wants it to activate that one grant; what names the request in errors.
func (s *Story) mergeAndActivate(ctx context.Context, n int, who, what string) error {
	rep, err := s.merge(ctx, n, who, what)
	if err != nil {
		return err
	}
	if len(rep.Activated) != 1 {
		return fmt.Errorf("the reconcile activated %d grants, want 1 (%s)", len(rep.Activated), what)
	}
	return nil
}

// merge merges the approved PR n as who through branch protection and runs
// the reconcile; what names the request in errors.
func (s *Story) merge(ctx context.Context, n int, who, what string) (action.Report, error) {
	if _, err := s.w.GitHub.MergeProtected(Org, RepoName, n, who); err != nil {
		return action.Report{}, fmt.Errorf("merging %s: %w", what, err)
	}
	s.say(who, "merges PR #%d", n)
	return s.reconcile(ctx)
}

// reconcile runs the Action once and prints what it did.
func (s *Story) reconcile(ctx context.Context) (action.Report, error) {
	rep, err := s.w.Reconcile(ctx, 0)
	s.Reports = append(s.Reports, rep)
	if err != nil {
		return rep, fmt.Errorf("reconcile: %w", err)
	}
	if !rep.OK() {
		return rep, fmt.Errorf("reconcile reported problems:\n%s", rep.String())
	}
	for _, e := range rep.Activated {
		s.say("reconcile", "activated %s for %s (#%d), expires %s", e.Grant, e.Requester, e.PullRequest, e.ExpiresAt.UTC().Format("15:04 MST"))
	}
	for _, e := range rep.Expired {
		s.say("reconcile", "expired %s for %s (#%d), %s after its expiry", e.Grant, e.Requester, e.PullRequest, e.Lag().Round(time.Second))
	}
	for _, e := range rep.Revoked {
		s.say("reconcile", "revoked %s for %s (#%d): %s", e.Grant, e.Requester, e.PullRequest, e.Reason)
	}
	for _, e := range rep.Extended {
		s.say("reconcile", "extended %s for %s (#%d) to %s: %s", e.Grant, e.Requester, e.PullRequest, e.ExpiresAt.UTC().Format("15:04 MST"), e.Reason)
	}
	return rep, nil
}

func reviewers(users, teams []string) string {
	var all []string
	for _, u := range users {
		all = append(all, "@"+u)
	}
	for _, t := range teams {
		all = append(all, "@"+Org+"/"+t)
	}
	if len(all) == 0 {
		return "(nobody)"
	}
	return strings.Join(all, ", ")
}

func shortErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i < 120 {
		return msg[i+2:]
	}
	return msg
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// guardTime pulls the expiry out of the guard statement for printing.
func guardTime(policy string) string {
	i := strings.Index(policy, `"aws:CurrentTime":"`)
	if i < 0 {
		return "?"
	}
	rest := policy[i+len(`"aws:CurrentTime":"`):]
	t, _, _ := strings.Cut(rest, `"`)
	return t
}
