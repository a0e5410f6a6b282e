package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/identitycenter/idcemu"
)

// BenchmarkRevoke500 revokes 500 standard grants against the emulator with
// Identity Center's default limits (20 requests/s, 10 assignment operations
// in flight, 1 s until an operation completes) and the Client's defaults,
// from a worker pool as large as the in-flight limit. It reports the wall
// time against the floor the rate limit allows for the calls it made.
//
//	go test -run '^$' -bench BenchmarkRevoke500 -benchtime 1x ./identitycenter/
func BenchmarkRevoke500(b *testing.B) {
	const grants = 500
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, idcemu.Options{Seed: 1}, Options{})
		ps := e.emu.AddPermissionSet("ReadOnlyAccess", 4*time.Hour, []string{"ReadOnlyAccess"}, "")
		revocations := make(chan Revocation, grants)
		for i := range grants {
			name := fmt.Sprintf("user%03d@acme.example", i)
			uid := e.emu.AddUser(name, name)
			e.emu.AddAssignment(testAccount, ps, uid)
			revocations <- Revocation{
				Grant:   Grant{Request: fmt.Sprintf("requests/p/%03d.yaml", i), AccountID: testAccount, UserName: name, PermissionSetARN: ps},
				Granted: Granted{PermissionSetARN: ps, PrincipalID: uid},
			}
		}
		close(revocations)
		before := e.emu.Calls()
		b.StartTimer()

		start := time.Now()
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for range DefaultMaxInFlightAssignments {
			wg.Go(func() {
				for r := range revocations {
					if _, err := e.client.Revoke(context.Background(), r); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		wall := time.Since(start)

		b.StopTimer()
		if err := errors.Join(errs...); err != nil {
			b.Fatalf("%d revocations failed: %v", len(errs), err)
		}
		if n := len(e.emu.Assignments()); n != 0 {
			b.Fatalf("%d assignments left", n)
		}
		after := e.emu.Calls()
		calls := after[idcemu.CallsTotal] - before[idcemu.CallsTotal]
		floor := time.Duration(float64(calls) / DefaultRequestsPerSecond * float64(time.Second))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(after[idcemu.CallsThrottled]-before[idcemu.CallsThrottled]), "throttled")
		b.Logf("%d revocations in %s: %d calls (%v), floor %s, %.3fx", grants, wall.Round(time.Millisecond), calls, idcemu.CallsBetween(before, after), floor.Round(time.Millisecond), wall.Seconds()/floor.Seconds())
		b.StartTimer()
	}
}
