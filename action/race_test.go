package action_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// revokeDuring is the App's `/jit revoke` of every live grant landing on
// main while a reconcile runs: right before the reconcile's n-th commit or
// right before its n-th push. The grant being written then, and those the
// rest of the pass would write from its older snapshot, are all covered.
type revokeDuring struct {
	action.Ledger
	e        *env
	t        testing.TB
	clone    string
	atCommit int
	atPush   int

	mu              sync.Mutex
	commits, pushes int
	last            string
	revoked         []string
	// writes lists the files of the reconcile's commits, in order.
	writes []string
}

func (r *revokeDuring) Commit(ctx context.Context, c ledger.Change) (string, error) {
	r.mu.Lock()
	r.commits++
	if r.commits == r.atCommit {
		r.revokeAll()
	}
	r.last = c.Path
	r.writes = append(r.writes, c.Path+" "+trailer(c, ledger.TrailerEvent))
	r.mu.Unlock()
	return r.Ledger.Commit(ctx, c)
}

func (r *revokeDuring) Push(ctx context.Context, remote, branch string, replan func(context.Context) error) error {
	r.mu.Lock()
	r.pushes++
	if r.pushes == r.atPush {
		r.revokeAll()
	}
	r.mu.Unlock()
	return r.Ledger.Push(ctx, remote, branch, replan)
}

func (r *revokeDuring) revokeAll() {
	for name := range raceRequesters {
		r.revoke("requests/payments-prod/" + name + ".yaml")
	}
}

// revoke writes what the App's /jit revoke writes, from the file as it is
// on main now; like the App, it leaves a grant that already ended alone.
func (r *revokeDuring) revoke(path string) {
	st := r.e.status(r.t, path)
	if st != nil && (st.State == schema.StateRevoked || st.State == schema.StateExpired || st.State == schema.StateFailed ||
		st.State == schema.StateRevoking) {
		return
	}
	next := schema.Status{PullRequest: prNumberOf(r.e, r.t, path), Requester: requesterOf(path)}
	if st != nil {
		next = *st
	}
	now := r.e.clk.Now().UTC()
	next.State, next.RevokedBy, next.RevokeRequestedAt, next.Reason = schema.StateRevoking, "bob", &now, "INC closed"
	writeStatus(r.t, r.clone, path, &next, fmt.Sprintf("jit: request revocation of %s\n\nJit-Request: %s\nJit-Event: revoking\nJit-Pull-Request: %d", path, path, next.PullRequest))
	r.revoked = append(r.revoked, path)
}

func trailer(c ledger.Change, key string) string {
	for _, t := range c.Trailers {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// The race scenario's grants; the file name starts with the requester.
var raceRequesters = map[string]string{"dave-ro": "dave", "alice-sos": "alice", "dave-pu": "dave", "carol-ro": "carol"}

func requesterOf(path string) string {
	for name, who := range raceRequesters {
		if strings.HasSuffix(path, "/"+name+".yaml") {
			return who
		}
	}
	return ""
}

func prNumberOf(e *env, t testing.TB, path string) int {
	out := gittest.Output(t, e.gh.RepoDir(org, repoName), "log", "--first-parent", "--format=%s", "--diff-filter=A", "main", "--", path)
	var n int
	if i := strings.LastIndex(out, "#"); i >= 0 {
		fmt.Sscanf(out[i+1:], "%d", &n)
	}
	return n
}

// raceWorld sets up one reconcile that makes every kind of write: an
// expiry (dave-ro), a drift (dave-pu, removed by hand), an activation of a
// new merge (carol-ro: intent, then activated) and the review after the
// fact of an emergency grant (alice-sos).
func raceWorld(t *testing.T) *env {
	e := newEnv(t, envOptions{configExtra: emergencyConfig})
	e.merge(t, "dave", "dave-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	sos, _ := e.merge(t, "alice", "alice-sos", requestWith("2h", "emergency: true\n"), "", "")
	_, pu := e.merge(t, "dave", "dave-pu", request("PowerUserAccess", "4h"), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 3 {
		t.Fatalf("setup run:\n%s", rep)
	}
	e.clk.Advance(time.Hour + time.Minute)
	e.merge(t, "carol", "carol-ro", request("ReadOnlyAccess", "4h"), "bob", "")
	if _, err := e.gh.SubmitReview(org, repoName, sos, "bob", "APPROVED", "looked at INC-1234, fine"); err != nil {
		t.Fatal(err)
	}
	st := e.status(t, pu)
	if _, err := e.idcClient().Revoke(t.Context(), identitycenter.Revocation{
		Grant: identitycenter.Grant{AccountID: account, UserName: "dave@acme.example", PermissionSetARN: st.PermissionSetARN}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRevokeDuringAReconcileAlwaysEnds: whichever write of a running
// reconcile the App's revocation lands before, the revocation is never
// overwritten and the grant ends, in the same run.
func TestRevokeDuringAReconcileAlwaysEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up a world per write of the reconcile")
	}
	// The undisturbed run, to learn its writes.
	e := raceWorld(t)
	probe := &revokeDuring{e: e, t: t, clone: e.clone(t)}
	rep, err := e.reconciler(t, e.clone(t), func(o *action.Options) { probe.Ledger = o.Ledger; o.Ledger = probe }).Run(t.Context(), action.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"expired", "activating", "activated", "drift", "post-hoc-review"}
	for _, ev := range want {
		if !strings.Contains(strings.Join(probe.writes, "\n"), " "+ev) {
			t.Fatalf("the scenario lacks a %s write: %v\n%s", ev, probe.writes, rep)
		}
	}
	commits, pushes := probe.commits, probe.pushes
	t.Logf("writes: %v; %d pushes", probe.writes, pushes)

	type trial struct{ commit, push int }
	var trials []trial
	for i := 1; i <= commits; i++ {
		trials = append(trials, trial{commit: i})
	}
	for i := 1; i <= pushes; i++ {
		trials = append(trials, trial{push: i})
	}
	for _, tr := range trials {
		name := fmt.Sprintf("before commit %d", tr.commit)
		if tr.push > 0 {
			name = fmt.Sprintf("before push %d", tr.push)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := raceWorld(t)
			rd := &revokeDuring{e: e, t: t, clone: e.clone(t), atCommit: tr.commit, atPush: tr.push}
			rep, err := e.reconciler(t, e.clone(t), func(o *action.Options) { rd.Ledger = o.Ledger; o.Ledger = rd }).Run(t.Context(), action.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rd.revoked) == 0 {
				t.Fatalf("every grant had already ended: nothing was revoked (writes %v)", rd.writes)
			}
			for _, path := range rd.revoked {
				st := e.status(t, path)
				if st.State != schema.StateRevoked || st.RevokedBy != "bob" || st.Reason != "INC closed" {
					t.Errorf("%s after the run: %+v\nwrites: %v\n%s", path, st, rd.writes, rep)
				}
				// The revocation is never followed by a transition that
				// brings the grant back.
				log := gittest.Output(t, e.gh.RepoDir(org, repoName), "log", "--reverse", "--format=%(trailers:key=Jit-Event,valueonly)", "main", "--", path)
				events := strings.Fields(log)
				seen := false
				for _, ev := range events {
					if ev == "revoking" {
						seen = true
						continue
					}
					// The review after the fact of an emergency grant is
					// recorded on ended grants too, from their ended file.
					if seen && ev != "revoked" && ev != "post-hoc-review" {
						t.Errorf("%s: %s recorded after the revocation: %v", path, ev, events)
					}
				}
				arn := e.readOnly
				if st.PermissionSetARN != "" {
					arn = st.PermissionSetARN
				}
				if n := e.assignments(arn, requesterOf(path)); n != 0 {
					t.Errorf("%s: %s still has %d assignments", path, requesterOf(path), n)
				}
			}
		})
	}
}
