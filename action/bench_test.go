package action_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// timedLedger measures the time spent committing.
type timedLedger struct {
	action.Ledger
	mu      sync.Mutex
	commits int
	spent   time.Duration
}

func (l *timedLedger) Commit(ctx context.Context, c ledger.Change) (string, error) {
	start := time.Now()
	sha, err := l.Ledger.Commit(ctx, c)
	l.mu.Lock()
	l.commits++
	l.spent += time.Since(start)
	l.mu.Unlock()
	return sha, err
}

// BenchmarkExpire500 is one reconcile run expiring 500 grants at once
// against the emulator's default limits (20 requests/s, 10 assignment
// operations in flight, 1 s asynchronous status) with the adapter's
// defaults. The floor is the AWS calls made divided by 20 per second.
//
//	go test -run '^$' -bench Expire500 -benchtime 1x ./action/
func BenchmarkExpire500(b *testing.B) {
	const users, accounts = 50, 10
	var us, as []string
	for i := 0; i < users; i++ {
		us = append(us, fmt.Sprintf("user%02d", i))
	}
	for i := 0; i < accounts; i++ {
		as = append(as, fmt.Sprintf("acct%02d", i))
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, envOptions{defaultLimits: true, users: us, accounts: as})
		dir := e.clone(b)
		activated := e.clk.Now().Add(-2 * time.Hour).UTC()
		for u := 0; u < users; u++ {
			for a := 0; a < accounts; a++ {
				id := fmt.Sprintf("%012d", 900000000000+a)
				e.idc.AddAssignment(id, e.readOnly, e.users[us[u]])
				path := filepath.Join(dir, "requests", as[a], us[u]+".yaml")
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					b.Fatal(err)
				}
				// The file as the reconcile leaves an activated grant.
				expires := activated.Add(time.Hour)
				body, err := schema.SetStatus(schema.RenderRequest(schema.Draft{Account: as[a], PermissionSet: "ReadOnlyAccess", Duration: "1h",
					Justification: "generated grant for the benchmark"}, ""), &schema.Status{State: schema.StateActive, PullRequest: 100 + u*accounts + a,
					Requester: us[u], Duration: "1h", ActivatedAt: &activated, ExpiresAt: &expires, PermissionSetARN: e.readOnly})
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(path, body, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
		gittest.Output(b, dir, "add", "requests")
		gittest.Output(b, dir, "commit", "--quiet", "-m", "500 active grants")
		gittest.Output(b, dir, "push", "--quiet", "origin", "HEAD:main")
		var tl *timedLedger
		r := e.reconciler(b, dir, func(o *action.Options) {
			tl = &timedLedger{Ledger: o.Ledger}
			o.Ledger = tl
		})
		before := e.idc.Calls()
		b.StartTimer()
		start := time.Now()
		rep, err := r.Run(b.Context(), action.RunOptions{})
		wall := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Expired) != users*accounts || len(rep.Errors) != 0 {
			b.Fatalf("expired %d, errors %d:\n%s", len(rep.Expired), len(rep.Errors), rep)
		}
		if n := len(e.idc.Assignments()); n != 0 {
			b.Fatalf("%d assignments left", n)
		}
		after := e.idc.Calls()
		calls := after[idcemu.CallsTotal] - before[idcemu.CallsTotal]
		throttled := after[idcemu.CallsThrottled] - before[idcemu.CallsThrottled]
		floor := time.Duration(float64(calls) / idcemu.DefaultRequestsPerSecond * float64(time.Second))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(calls), "aws-calls")
		b.ReportMetric(float64(throttled), "throttled")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "wall/floor")
		b.ReportMetric(float64(tl.commits), "commits")
		b.ReportMetric(tl.spent.Seconds(), "commit-s")
		b.Logf("500 expiries: wall %s, %d AWS calls (%d throttled), floor %s, ratio %.2f; %d commits took %s (%s each); per operation %v",
			wall.Round(time.Millisecond), calls, throttled, floor, wall.Seconds()/floor.Seconds(), tl.commits, tl.spent.Round(time.Millisecond),
			(tl.spent / time.Duration(max(1, tl.commits))).Round(time.Microsecond), idcemu.CallsBetween(before, after))
	}
}
