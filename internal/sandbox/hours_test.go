package sandbox

import (
	"context"
	"github.com/jit-access/jit/internal/clock"
	"testing"
	"time"
)

// A request auto-approved within the rule's working hours and merged after
// they ended is provisioned: the reconcile judges the hours when the App
// judged the merged head (its first jit/approval check), not at the merge.
func TestAutoApprovedInHoursMergedAfterIsProvisioned(t *testing.T) {
	ctx := context.Background()
	w, err := Start(ctx, Options{Dir: t.TempDir(), Clock: clock.At(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), AsyncDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := w.Clock.Now().In(berlin).AddDate(0, 0, 1)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	w.Clock.Set(time.Date(d.Year(), d.Month(), d.Day(), 17, 30, 0, 0, berlin))

	const path = "requests/payments-staging/carol-hours.yaml"
	body := "account: payments-staging\npermission_set: ReadOnlyAccess\nduration: 2h\njustification: \"OPS-90: look at the staging queue backlog\"\n"
	n, err := w.GitHub.OpenPullRequest(Org, RepoName, "carol", "carol/hours", "staging read", map[string][]byte{path: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.PRStatus(n)
	if err != nil {
		t.Fatal(err)
	}
	if st.Approval != "success" {
		t.Fatalf("setup: not auto-approved at 17:30 Berlin: %+v", st)
	}
	w.Clock.Advance(2 * time.Hour) // 19:30 Berlin: outside the rule's hours
	if _, err := w.GitHub.Merge(Org, RepoName, n, "carol"); err != nil {
		t.Fatal(err)
	}
	rep, err := w.Reconcile(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Activated) != 1 || !w.hasAssignment("444455556666", w.PermissionSetARNs["ReadOnlyAccess"], "carol") {
		t.Fatalf("the auto-approved request merged after hours was not provisioned:\n%s", rep)
	}
}
