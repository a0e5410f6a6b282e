package githubemu

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/clock"
)

func TestTeamsAndPermissions(t *testing.T) {
	e := newEnv(t, Options{PageSize: 1})
	ctx := t.Context()
	e.emu.AddTeam(org, "payments-leads", "alice")
	members, resp, err := e.app.Teams.ListTeamMembersBySlug(ctx, org, "payments-leads", nil)
	if err != nil || len(members) != 1 || members[0].GetLogin() != "bob" || resp.NextPage != 2 {
		t.Errorf("members page 1 = %v next %d, %v (PageSize 1)", members, resp.NextPage, err)
	}
	m, _, err := e.app.Teams.GetTeamMembershipBySlug(ctx, org, "sso-admins", "carol")
	if err != nil || m.GetState() != "active" {
		t.Errorf("carol in sso-admins = %v, %v", m, err)
	}
	if _, _, err := e.app.Teams.GetTeamMembershipBySlug(ctx, org, "sso-admins", "bob"); statusOf(err) != http.StatusNotFound {
		t.Errorf("bob in sso-admins: %v, want 404", err)
	}
	if _, _, err := e.app.Teams.ListTeamMembersBySlug(ctx, org, "nope", nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown team: %v, want 404", err)
	}
	e.emu.AddUser("eve", "eve@example.com")
	if err := e.emu.SetPermission(org, repoName, "carol", "admin"); err != nil {
		t.Fatal(err)
	}
	for login, want := range map[string]string{"carol": "admin", "bob": "write", "eve": "read"} {
		p, _, err := e.app.Repositories.GetPermissionLevel(ctx, org, repoName, login)
		if err != nil || p.GetPermission() != want {
			t.Errorf("permission of %s = %s, %v; want %s", login, p.GetPermission(), err, want)
		}
	}
}

func TestClockAndEditEvents(t *testing.T) {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, Options{Clock: clock.At(start)})
	ctx := t.Context()
	n, _ := e.emu.OpenPullRequest(org, repoName, "alice", "req/t", "Old title", map[string][]byte{"t.txt": []byte("t\n")})
	pr := mustPull(t, e, n)
	if d := pr.GetCreatedAt().Sub(start); d < -time.Minute || d > time.Minute {
		t.Errorf("created_at %v is not on the emulator's clock", pr.GetCreatedAt())
	}
	commits, _, _ := e.app.PullRequests.ListCommits(ctx, org, repoName, n, nil)
	if d := commits[0].GetCommit().GetAuthor().GetDate().Sub(pr.GetCreatedAt().Time); d < -time.Minute || d > time.Minute {
		t.Errorf("commit date %v, pull created %v", commits[0].GetCommit().GetAuthor().GetDate(), pr.GetCreatedAt())
	}

	if err := e.emu.EditPullRequest(org, repoName, n, "alice", "New title", "body"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.emu.LastDelivery()
	var pe github.PullRequestEvent
	_ = json.Unmarshal(d.Body, &pe)
	if pe.GetAction() != "edited" || pe.GetChanges().GetTitle().GetFrom() != "Old title" || pe.GetPullRequest().GetTitle() != "New title" {
		t.Errorf("edited event = %s", d.Body)
	}
	id, _ := e.emu.SubmitReview(org, repoName, n, "bob", "APPROVED", "ok")
	if err := e.emu.EditReview(org, repoName, n, id, "bob", "jit: duration 1h"); err != nil {
		t.Fatal(err)
	}
	d, _ = e.emu.LastDelivery()
	var re struct {
		github.PullRequestReviewEvent
		Changes github.EditChange `json:"changes"`
	}
	_ = json.Unmarshal(d.Body, &re)
	if re.GetAction() != "edited" || re.Changes.GetBody().GetFrom() != "ok" || re.GetReview().GetBody() != "jit: duration 1h" {
		t.Errorf("review edited event = %s", d.Body)
	}
	if err := e.emu.EditReview(org, repoName, n, id, "carol", "x"); statusOf(err) != http.StatusForbidden {
		t.Errorf("editing another's review: %v, want 403", err)
	}
	if err := e.emu.ClosePullRequest(org, repoName, n, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.ReopenPullRequest(org, repoName, n, "alice"); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.emu.LastDelivery(); d.Action != "reopened" {
		t.Errorf("last action %q, want reopened", d.Action)
	}
	if _, err := e.emu.Push(org, repoName, 99, "alice", map[string][]byte{"x": []byte("x")}); statusOf(err) != http.StatusNotFound {
		t.Errorf("push to a missing pull: %v, want 404", err)
	}
	if _, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/t", "dup", map[string][]byte{"y": []byte("y")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("reusing a branch: %v, want 422", err)
	}
	if _, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/../x", "bad", map[string][]byte{"y": []byte("y")}); err == nil {
		t.Errorf("a bad branch name was accepted")
	}
}
