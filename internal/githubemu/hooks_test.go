package githubemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestCheckRuns(t *testing.T) {
	e, ctx := setup(t)
	n, head := e.openRequest(t, "c")
	ann := func(line int) *github.CheckRunAnnotation {
		return &github.CheckRunAnnotation{Path: github.String("requests/payments-prod/c.yaml"), StartLine: github.Int(line), EndLine: github.Int(line),
			AnnotationLevel: github.String("failure"), Message: github.String(fmt.Sprintf("bad line %d", line))}
	}
	cr, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{
		Name: "jit/approval", HeadSHA: head, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Validating"), Summary: github.String("..."), Annotations: []*github.CheckRunAnnotation{ann(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cr.GetStatus() != "in_progress" || cr.GetApp().GetID() != testAppID || len(cr.PullRequests) != 1 || cr.PullRequests[0].GetNumber() != n {
		t.Errorf("created = %s app %d prs %v", cr.GetStatus(), cr.GetApp().GetID(), cr.PullRequests)
	}
	upd, _, err := e.app.Checks.UpdateCheckRun(ctx, org, repoName, cr.GetID(), github.UpdateCheckRunOptions{
		Name: "jit/approval", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("1 error"), Summary: github.String("fix it"), Text: github.String("details"), Annotations: []*github.CheckRunAnnotation{ann(2)}},
	})
	if err != nil || upd.GetStatus() != "completed" || upd.GetConclusion() != "failure" || upd.GetOutput().GetAnnotationsCount() != 2 {
		t.Errorf("updated = %s %s %d annotations, %v", upd.GetStatus(), upd.GetConclusion(), upd.GetOutput().GetAnnotationsCount(), err)
	}
	anns, _, err := e.app.Checks.ListCheckRunAnnotations(ctx, org, repoName, cr.GetID(), nil)
	if err != nil || len(anns) != 2 || anns[1].GetMessage() != "bad line 2" {
		t.Errorf("annotations = %v, %v", anns, err)
	}
	runs, err := e.emu.CheckRuns(org, repoName, head)
	if err != nil || len(runs) != 1 || len(runs[0].GetOutput().Annotations) != 2 || runs[0].GetOutput().GetText() != "details" {
		t.Errorf("CheckRuns reader = %v, %v", runs, err)
	}
	// A second run of the same name: "latest" lists only it, "all" both.
	if _, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "jit/approval", HeadSHA: head, Conclusion: github.String("success")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "ci/lint", HeadSHA: head}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts *github.ListCheckRunsOptions
		want int
	}{
		{nil, 2},
		{&github.ListCheckRunsOptions{Filter: github.String("all")}, 3},
		{&github.ListCheckRunsOptions{CheckName: github.String("jit/approval"), Filter: github.String("all")}, 2},
		{&github.ListCheckRunsOptions{Status: github.String("queued")}, 1},
	} {
		res, _, err := e.app.Checks.ListCheckRunsForRef(ctx, org, repoName, "req/c", tc.opts)
		if err != nil || res.GetTotal() != tc.want || len(res.CheckRuns) != tc.want {
			t.Errorf("list %+v = %d, %v; want %d", tc.opts, res.GetTotal(), err, tc.want)
		}
	}
	// Errors: a user token, an unknown SHA, a completed run without a conclusion, too many annotations.
	if _, _, err := e.userClient(t, "bob").Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "x", HeadSHA: head}); statusOf(err) != http.StatusForbidden {
		t.Errorf("user token: %v, want 403", err)
	}
	if _, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "x", HeadSHA: strings.Repeat("b", 40)}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("unknown sha: %v, want 422", err)
	}
	if _, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Status: github.String("completed")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("completed without conclusion: %v, want 422", err)
	}
	many := make([]*github.CheckRunAnnotation, 51)
	for i := range many {
		many[i] = ann(i + 1)
	}
	if _, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Output: &github.CheckRunOutput{Title: github.String("t"), Summary: github.String("s"), Annotations: many}}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("51 annotations: %v, want 422", err)
	}

	// A re-run request reaches the App as check_run rerequested.
	if err := e.emu.RequestCheckRerun(org, repoName, cr.GetID(), "alice"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.emu.LastDelivery()
	var ev github.CheckRunEvent
	_ = json.Unmarshal(d.Body, &ev)
	if d.Event != "check_run" || ev.GetAction() != "rerequested" || ev.GetCheckRun().GetID() != cr.GetID() || ev.GetCheckRun().GetHeadSHA() != head || ev.GetSender().GetLogin() != "alice" || ev.GetInstallation().GetID() != e.instID {
		t.Errorf("rerequest delivery = %s %s", d.Event, d.Body)
	}
}

func TestWebhookDelivery(t *testing.T) {
	e := newEnv(t, Options{})
	// A file no code owner owns: "opened" is the one delivery.
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "notes/w", "Notes", map[string][]byte{"notes/w.md": []byte("w\n")})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := e.emu.LastDelivery()
	if !ok || d.StatusCode != http.StatusAccepted || d.Err != nil || d.Duration <= 0 {
		t.Fatalf("delivery = %+v", d)
	}
	recs := e.hooks.records()
	if len(recs) != 1 {
		t.Fatalf("receiver got %d deliveries, want 1 (delivery is synchronous)", len(recs))
	}
	h := recs[0].header
	if !recs[0].sigOK {
		t.Errorf("X-Hub-Signature-256 %q does not verify", h.Get("X-Hub-Signature-256"))
	}
	mac := hmac.New(sha1.New, []byte(testSecret))
	mac.Write(recs[0].body)
	if h.Get("X-Hub-Signature") != "sha1="+hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("X-Hub-Signature = %q", h.Get("X-Hub-Signature"))
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(h.Get("X-GitHub-Delivery")) || h.Get("X-GitHub-Delivery") != d.ID {
		t.Errorf("X-GitHub-Delivery = %q, delivery id %q", h.Get("X-GitHub-Delivery"), d.ID)
	}
	if h.Get("X-GitHub-Event") != "pull_request" || !strings.HasPrefix(h.Get("User-Agent"), "GitHub-Hookshot/") || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", h)
	}
	// go-github parses it as GitHub's own payload would be.
	ev, err := github.ParseWebHook("pull_request", recs[0].body)
	if err != nil {
		t.Fatal(err)
	}
	pe := ev.(*github.PullRequestEvent)
	if pe.GetAction() != "opened" || pe.GetNumber() != n || pe.GetInstallation().GetID() != e.instID || pe.GetRepo().GetFullName() != "acme/access" || pe.GetSender().GetLogin() != "alice" || pe.GetOrganization().GetLogin() != org {
		t.Errorf("payload = %s", recs[0].body)
	}
	if err := github.ValidateSignature(h.Get("X-Hub-Signature-256"), recs[0].body, []byte(testSecret)); err != nil {
		t.Errorf("go-github rejects the signature: %v", err)
	}

	// Redelivery repeats the id and the body.
	rd, err := e.emu.Redeliver(d.ID)
	if err != nil || rd.ID != d.ID || !rd.Redelivery {
		t.Fatalf("redeliver = %+v, %v", rd, err)
	}
	recs = e.hooks.records()
	if len(recs) != 2 || recs[1].header.Get("X-GitHub-Delivery") != d.ID || string(recs[1].body) != string(recs[0].body) || !recs[1].sigOK {
		t.Errorf("redelivery seen as %v", recs[1].header)
	}
	if _, err := e.emu.Redeliver("nope"); err == nil {
		t.Errorf("redelivering an unknown id succeeded")
	}

	// The receiver's status is recorded; an unsubscribed event is not sent.
	e.hooks.mu.Lock()
	e.hooks.status = http.StatusInternalServerError
	e.hooks.mu.Unlock()
	e.emu.SubscribeEvents("pull_request", "pull_request_review")
	if _, err := e.emu.Comment(org, repoName, n, "bob", "hello"); err != nil {
		t.Fatal(err)
	}
	if len(e.hooks.records()) != 2 {
		t.Errorf("issue_comment delivered while unsubscribed")
	}
	if _, err := e.emu.SubmitReview(org, repoName, n, "bob", "APPROVED", ""); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.emu.LastDelivery(); d.StatusCode != http.StatusInternalServerError || d.Event != "pull_request_review" {
		t.Errorf("last delivery %s status %d, want pull_request_review 500", d.Event, d.StatusCode)
	}
}

// The App comments while handling a delivery; the comment's own event comes
// back to it asynchronously, with the bot as sender.
func TestAppOwnEventsComeBack(t *testing.T) {
	e, ctx := setup(t)
	var mu sync.Mutex
	var senders []string
	e.hooks.onEvent = func(event string, body []byte) {
		ev, err := github.ParseWebHook(event, body)
		if err != nil {
			t.Errorf("parse %s: %v", event, err)
			return
		}
		switch ev := ev.(type) {
		case *github.PullRequestEvent:
			if ev.GetAction() != "opened" {
				return
			}
			// Calling back into the API from inside the handler must not
			// deadlock the synchronous delivery.
			if _, _, err := e.app.Issues.CreateComment(ctx, org, repoName, ev.GetNumber(), &github.IssueComment{Body: github.String("thanks")}); err != nil {
				t.Errorf("comment from the handler: %v", err)
			}
		case *github.IssueCommentEvent:
			mu.Lock()
			senders = append(senders, ev.GetSender().GetLogin()+"/"+ev.GetSender().GetType())
			mu.Unlock()
		}
	}
	if _, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/o", "Own", map[string][]byte{"o.txt": []byte("o\n")}); err != nil {
		t.Fatal(err)
	}
	e.emu.WaitDeliveries()
	mu.Lock()
	defer mu.Unlock()
	if len(senders) != 1 || senders[0] != "jit-test[bot]/Bot" {
		t.Errorf("issue_comment senders = %v, want the bot", senders)
	}
}
