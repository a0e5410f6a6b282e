package action_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/schema"
)

// An AccessDenied is a setup error: reported on every run, the grant left
// as it is (never recorded as revoked or expired), and revoked once the
// role may do it again.
func TestAccessDeniedIsASetupErrorOnEveryRun(t *testing.T) {
	t.Parallel()
	e, _, path := aliceActive(t, "1h")
	e.idc.Deny("DeleteAccountAssignment", true)
	e.clk.Set(e.clk.Now().Add(2 * time.Hour))
	for run := 1; run <= 2; run++ {
		rep := e.run(t, 0)
		if len(rep.Expired) != 0 || len(rep.Errors) != 1 {
			t.Fatalf("run %d: want one error and no expiry:\n%s", run, rep)
		}
		want := "SETUP ERROR: the role jit assumes is denied an action it needs; compare its policy with `jit policy provisioner`: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/jit-reconcile/GitHubActions is not authorized to perform: sso:DeleteAccountAssignment"
		if got := rep.Errors[0].Reason; !strings.HasPrefix(got, want) {
			t.Errorf("run %d: error %q, want it to start with %q", run, got, want)
		}
		if st := e.status(t, path); st.State != schema.StateActive {
			t.Fatalf("run %d: state %s, want active until AWS confirms the revocation", run, st.State)
		}
	}
	e.idc.Deny("DeleteAccountAssignment", false)
	if rep := e.run(t, 0); len(rep.Expired) != 1 || e.assignments(e.readOnly, "alice") != 0 {
		t.Fatalf("not expired once allowed:\n%s", rep)
	}
}

// A quota AWS enforces is permanent: the grant fails with AWS's message
// instead of being retried on every run.
func TestServiceQuotaEndsTheGrantAsFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	// Fill the account with the 250 provisioned sets AWS allows.
	owner := e.users["dave"]
	for i := range 250 {
		ps := e.idc.AddPermissionSet(fmt.Sprintf("Filler%d", i), time.Hour, nil, "")
		e.idc.AddAssignment(account, ps, owner)
	}
	_, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Failed)); diff != "" || len(rep.Errors) != 0 {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	st := e.status(t, path)
	want := "AWS: ServiceQuotaExceededException: Account 111122223333 already has 250 permission sets provisioned, the most allowed."
	if st.State != schema.StateFailed || st.Reason != want {
		t.Errorf("status %s %q, want failed %q", st.State, st.Reason, want)
	}
	if rep := e.run(t, 0); len(rep.Failed)+len(rep.Errors)+len(rep.Activated) != 0 {
		t.Errorf("a failed grant was tried again:\n%s", rep)
	}
}

// A run with nothing that can have left a jit set behind does not list the
// instance's permission sets: no DescribePermissionSet per set per run.
func TestSteadyRunsDoNotDescribeEveryPermissionSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for i := range 40 {
		e.idc.AddPermissionSet(fmt.Sprintf("AdminMade%d", i), time.Hour, nil, "")
	}
	e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "8h"), "bob", "")
	_, pu := e.merge(t, "dave", "dave-pu", request("PowerUserAccess", "1h"), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 2 {
		t.Fatalf("not activated:\n%s", rep)
	}
	describes := func() int { return e.idc.Calls()["DescribePermissionSet"] }
	e.clk.Advance(time.Hour)
	before := describes()
	if rep := e.run(t, 0); len(rep.Expired) != 1 {
		t.Fatalf("isolated grant not expired:\n%s", rep)
	}
	// Within a day of an isolated grant's end, runs look for a set it may
	// have left behind.
	before = describes()
	e.run(t, 0)
	if describes() == before {
		t.Errorf("no orphan sweep within a day of %s's end", pu)
	}
	// A day later alice's grant expires too (a shared set: nothing to
	// sweep after it); the run after that is steady.
	e.clk.Advance(orphanWindowForTest)
	if rep := e.run(t, 0); len(rep.Expired) != 1 {
		t.Fatalf("alice's grant not expired:\n%s", rep)
	}
	e.merge(t, "bob", "bob-ro", request("ReadOnlyAccess", "8h"), "carol", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("bob's grant not activated:\n%s", rep)
	}
	before = describes()
	if rep := e.run(t, 0); len(rep.Errors) != 0 || len(rep.Active) != 1 {
		t.Fatalf("steady run:\n%s", rep)
	}
	if n := describes() - before; n != 0 {
		t.Errorf("a steady run called DescribePermissionSet %d times", n)
	}
}

// orphanWindowForTest is past the reconcile's orphan window of a day.
const orphanWindowForTest = 24*time.Hour + time.Minute
