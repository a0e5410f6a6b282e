package app_test

import (
	"testing"
	"time"

	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// waitFor polls cond until it holds; the reconcile runs in the background
// as a dispatched workflow would, so the test waits for its effect.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The App dispatches the reconcile workflow when a merge makes a grant due
// and again at its expiry, read from main; no run waits for the expiry, and
// the revocation is recorded within seconds of it.
func TestAppDispatchesTheReconcileAtExpiry(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{Dispatch: true})
	if n := len(w.GitHub.Dispatches()); n != 0 {
		t.Fatalf("%d dispatches before anything was due", n)
	}
	const path = "requests/payments-prod/dispatch.yaml"
	w.Merged(t, "octocat", "octocat/dispatch", path, testworld.StandardRequest)
	// The push of the merge makes the App read main: the grant is due.
	waitFor(t, "the dispatched reconcile to activate the grant", func() bool {
		st := w.Status(t, path)
		return st != nil && st.State == schema.StateActive
	})
	st := w.Status(t, path)
	if st.ExpiresAt == nil {
		t.Fatal("active grant without expires_at")
	}
	dispatched := len(w.GitHub.Dispatches())
	if dispatched == 0 {
		t.Fatal("the grant was activated without a dispatch")
	}
	w.GitHub.WaitRuns()
	w.GitHub.WaitDeliveries()

	// Nothing is dispatched before the expiry: jump to half a minute
	// before it, then to it.
	w.Clock.Set(st.ExpiresAt.Add(-30 * time.Second))
	time.Sleep(300 * time.Millisecond)
	if got := w.Status(t, path); got.State != schema.StateActive || len(w.GitHub.Dispatches()) != dispatched {
		t.Fatalf("state %s and %d dispatches before the expiry, want active and %d", got.State, len(w.GitHub.Dispatches()), dispatched)
	}
	w.Clock.Set(*st.ExpiresAt)
	waitFor(t, "the dispatched reconcile to expire the grant", func() bool {
		got := w.Status(t, path)
		return got.State == schema.StateExpired
	})
	if len(w.GitHub.Dispatches()) <= dispatched {
		t.Fatal("the grant expired without a dispatch at its expiry")
	}
	ended := w.Status(t, path).EndedAt
	if ended == nil || ended.Before(*st.ExpiresAt) {
		t.Fatalf("ended at %v, expires at %v: never before the expiry", ended, st.ExpiresAt)
	}
	for _, d := range w.GitHub.Dispatches() {
		if d.Workflow != "jit-reconcile.yml" || d.Ref != "main" {
			t.Errorf("dispatched %s on %s, want jit-reconcile.yml on main", d.Workflow, d.Ref)
		}
	}
}
