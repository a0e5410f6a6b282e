package adversarial_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

const account = "111122223333"

// awsEnv is the Identity Center emulator behind a loopback server that can
// also lose answers: the request reaches AWS and takes effect, but the
// client sees a 500 (as with a dropped connection or a load balancer error).
type awsEnv struct {
	emu *idcemu.Emulator
	url string
	clk clock.Clock // shared by the emulator and jit's client
	mu  sync.Mutex
	// loseRate is the fraction of successful answers replaced by a 500
	// after the emulator has acted on the request.
	loseRate float64
	rng      *rand.Rand
	lost     int
	// before, when set, sees the operation (its X-Amz-Target) of each
	// request before the emulator does.
	before func(op string)
}

func newAWSEnv(t *testing.T, eo idcemu.Options) *awsEnv {
	t.Helper()
	if eo.Clock == nil {
		eo.Clock = clock.At(testworld.Monday)
	}
	e := &awsEnv{clk: eo.Clock, emu: idcemu.New(eo), rng: rand.New(rand.NewPCG(uint64(eo.Seed), 1))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		before := e.before
		e.mu.Unlock()
		if before != nil {
			before(r.Header.Get("X-Amz-Target"))
		}
		rec := httptest.NewRecorder()
		e.emu.ServeHTTP(rec, r)
		e.mu.Lock()
		lose := rec.Code == http.StatusOK && e.rng.Float64() < e.loseRate
		if lose {
			e.lost++
		}
		e.mu.Unlock()
		if lose {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"__type":"InternalServerException","Message":"answer lost after the change was made"}`)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *awsEnv) setLoseRate(f float64) {
	e.mu.Lock()
	e.loseRate = f
	e.mu.Unlock()
}

func (e *awsEnv) cfg() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")}
}

// client is jit's Identity Center client with few retries, so that AWS's
// trouble reaches the caller as errors instead of being retried away.
func (e *awsEnv) client(attempts int) *identitycenter.Client {
	return identitycenter.NewFromConfig(e.cfg(), identitycenter.Options{
		Region: "us-east-1", InstanceARN: idcemu.DefaultInstanceARN, IdentityStoreID: idcemu.DefaultIdentityStoreID,
		Endpoint: e.url, RequestsPerSecond: 1000, MaxInFlightAssignments: 50,
		PollInterval: 5 * time.Millisecond, PollTimeout: 2 * time.Second,
		MaxAttempts: attempts, RetryBaseDelay: time.Millisecond, RetryMaxBackoff: 5 * time.Millisecond, Clock: e.clk,
	})
}

// Attack (by AWS itself): throttling storms, injected 5xx and lost answers
// during revocations. The reconcile records a revocation when Revoke returns
// nil, so nil must mean the assignment is really gone — checked in the
// emulator after every single call — and errors must be retryable until it
// is. Shared standard sets and jit's own JIT- sets both.
func TestRevocationUnderAWSFaultsNeverLies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		rps    float64 // the emulator's rate; the client believes 1000/s
		faults float64
		lose   float64
	}{
		{"throttling storm", 10, 0, 0},
		{"5xx", -1, 0.4, 0},
		{"lost answers", -1, 0, 0.4},
		{"everything", 10, 0.3, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAWSEnv(t, idcemu.Options{AsyncDelay: 30 * time.Millisecond, RequestsPerSecond: -1, MaxInFlightAssignments: -1, Seed: 3})
			ps := e.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
			ctx := context.Background()
			calm := e.client(5)

			// Four grants on a calm AWS: two on the shared set, two with
			// their own JIT- set.
			type held struct {
				g   identitycenter.Grant
				got identitycenter.Granted
			}
			var grants []held
			for i := range 4 {
				user := fmt.Sprintf("user%d@acme.example", i)
				e.emu.AddUser(user, user)
				g := identitycenter.Grant{Request: fmt.Sprintf("requests/payments-prod/r%d.yaml", i), AccountID: account,
					UserName: user, PermissionSetARN: ps, Claimed: true, ExpiresAt: testworld.Monday.Add(time.Hour)}
				if i >= 2 {
					g.PermissionSetARN, g.Claimed = "", false
					g.Custom = &identitycenter.CustomSet{Name: fmt.Sprintf("Exports%d", i), SessionDuration: time.Hour,
						InlinePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*"}]}`}
				}
				got, err := calm.Grant(ctx, g)
				if err != nil {
					t.Fatalf("setup: grant %d: %v", i, err)
				}
				if !e.emu.HasAssignment(account, got.PermissionSetARN, got.PrincipalID) {
					t.Fatalf("setup: Grant returned nil but the assignment is not there")
				}
				grants = append(grants, held{g, got})
			}

			// The storm.
			e.emu.SetRequestsPerSecond(tc.rps)
			e.emu.SetFaultRate(tc.faults)
			e.setLoseRate(tc.lose)
			stormy := e.client(2)
			var wg sync.WaitGroup
			errs := make([]string, len(grants))
			done := make([]bool, len(grants))
			for i, h := range grants {
				wg.Go(func() {
					for attempt := 1; attempt <= 30; attempt++ {
						_, err := stormy.Revoke(ctx, identitycenter.Revocation{Grant: h.g, Granted: h.got})
						if err == nil {
							errs[i] = e.confirmGone(i, h.g, h.got, "during the storm, run "+itoa(attempt))
							done[i] = true
							return
						}
						// The next reconcile run comes later, not at once.
						time.Sleep(20 * time.Millisecond)
					}
				})
			}
			wg.Wait()
			calls := e.emu.Calls()
			finished := 0
			for _, d := range done {
				if d {
					finished++
				}
			}
			t.Logf("storm: %d of %d revocations confirmed; calls %d, throttled %d, faulted %d, answers lost %d",
				finished, len(grants), calls[idcemu.CallsTotal], calls[idcemu.CallsThrottled], calls[idcemu.CallsFaulted], e.lost)
			if calls[idcemu.CallsThrottled]+calls[idcemu.CallsFaulted]+e.lost == 0 {
				t.Error("the storm did not happen: no throttles, faults or lost answers")
			}

			// The storm passes; the next run finishes what is left.
			e.emu.SetRequestsPerSecond(-1)
			e.emu.SetFaultRate(0)
			e.setLoseRate(0)
			for i, h := range grants {
				if done[i] {
					continue
				}
				if _, err := calm.Revoke(ctx, identitycenter.Revocation{Grant: h.g, Granted: h.got}); err != nil {
					errs[i] = fmt.Sprintf("grant %d: revocation after the storm failed: %v", i, err)
					continue
				}
				errs[i] = e.confirmGone(i, h.g, h.got, "after the storm")
			}
			for _, msg := range errs {
				if msg != "" {
					t.Error(msg)
				}
			}
			if n := e.emu.AssignmentsOf(ps); n != 0 {
				t.Errorf("%d assignments of the shared set left", n)
			}

			// A JIT- set AWS would not delete yet (its role is still being
			// removed from the account) is left to the orphan clean-up of
			// later runs, which must converge and touch nothing else.
			for run := 1; ; run++ {
				left := e.jitSets()
				if len(left) == 0 {
					t.Logf("JIT- sets all deleted after %d clean-up runs", run-1)
					break
				}
				if run > 10 {
					t.Fatalf("the clean-up did not converge: JIT- sets %v still there after %d runs", left, run-1)
				}
				arns, err := calm.PermissionSetARNs(ctx)
				if err != nil {
					t.Fatalf("clean-up run %d: %v", run, err)
				}
				sets, err := calm.ManagedPermissionSets(ctx, arns)
				if err != nil {
					t.Fatalf("clean-up run %d: %v", run, err)
				}
				for _, s := range sets {
					if err := calm.DeleteManagedPermissionSet(ctx, s.ARN); err != nil {
						t.Logf("clean-up run %d: %v", run, err)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, ok := e.emu.PermissionSet(ps); !ok {
				t.Error("the clean-up deleted the shared set, which is not jit's")
			}
		})
	}
}

// jitSets lists the names of the JIT- sets the emulator holds.
func (e *awsEnv) jitSets() []string {
	var out []string
	for _, s := range e.emu.PermissionSets() {
		if strings.HasPrefix(s.Name, layout.PermissionSetPrefix) {
			out = append(out, s.Name)
		}
	}
	return out
}

// confirmGone checks, in the emulator, what a nil from Revoke promised: the
// assignment is gone. The grant's own set may outlive it (AWS deletes a set
// only once its role is gone from the account); the clean-up deletes it.
func (e *awsEnv) confirmGone(i int, g identitycenter.Grant, got identitycenter.Granted, when string) string {
	if e.emu.HasAssignment(account, got.PermissionSetARN, got.PrincipalID) {
		return fmt.Sprintf("UNSAFE: grant %d: Revoke returned nil %s but the assignment is still in AWS", i, when)
	}
	return ""
}

// Attack (by AWS and timing): a revocation right after the grant's create
// was sent, while AWS still reports the create IN_PROGRESS — the moment a
// naive "not found means gone" is wrong, because the assignment appears a
// moment later. The emulator's clock is the test's: the create stays in
// flight for an hour of it, and the test moves it on at the moment each
// case is about, so nothing depends on how fast the machine is.
func TestRevokeWhileCreateInFlightNeverLies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// finishAt is the operation at which AWS finishes the create
		// (and every later operation): the clock moves past the delay
		// just before the emulator answers it. Empty: the create is
		// still in flight when Revoke returns.
		finishAt string
	}{
		{"still in flight", ""},
		// The look does not list it and the in-flight check no longer
		// sees it IN_PROGRESS: the window between the two calls.
		{"finishes between the look and the in-flight check", "ListAccountAssignmentCreationStatus"},
		{"finishes while its status is described", "DescribeAccountAssignmentCreationStatus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const delay = time.Hour
			clk := clock.At(testworld.Monday)
			e := newAWSEnv(t, idcemu.Options{Clock: clk, AsyncDelay: delay, RequestsPerSecond: -1, MaxInFlightAssignments: -1, Seed: 5})
			ps := e.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
			uid := e.emu.AddUser("octocat@acme.example", "octocat")
			ctx := context.Background()
			raw := ssoadmin.NewFromConfig(e.cfg(), func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(e.url) })
			if _, err := raw.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{
				InstanceArn: aws.String(idcemu.DefaultInstanceARN), PermissionSetArn: aws.String(ps),
				PrincipalId: aws.String(uid), PrincipalType: types.PrincipalTypeUser,
				TargetId: aws.String(account), TargetType: types.TargetTypeAwsAccount,
			}); err != nil {
				t.Fatal(err)
			}
			var finished atomic.Bool
			if tc.finishAt != "" {
				e.mu.Lock()
				e.before = func(op string) {
					if strings.HasSuffix(op, "."+tc.finishAt) || finished.Load() {
						finished.Store(true)
						clk.Advance(2 * delay)
					}
				}
				e.mu.Unlock()
			}
			c := e.client(3)
			g := identitycenter.Grant{Request: "requests/payments-prod/x.yaml", AccountID: account, UserName: "octocat@acme.example", PermissionSetARN: ps, Claimed: true}
			_, err := c.Revoke(ctx, identitycenter.Revocation{Grant: g, Granted: identitycenter.Granted{PermissionSetARN: ps, PrincipalID: uid}})
			if tc.finishAt != "" && !finished.Load() {
				t.Fatalf("Revoke never called %s; the case tests nothing (err=%v)", tc.finishAt, err)
			}
			// Let the create (and whatever Revoke started) finish, whatever
			// Revoke did: a nil must mean the assignment is gone for good.
			clk.Advance(2 * delay)
			if err == nil && e.emu.HasAssignment(account, ps, uid) {
				t.Fatal("UNSAFE: Revoke returned nil while the create was in flight, and the assignment exists now")
			}
			if tc.finishAt != "" && err != nil {
				// AWS finished everything as soon as it was asked: nothing
				// was left to refuse, so the revocation must succeed.
				t.Errorf("Revoke: %v", err)
			}
		})
	}
}

// Attack (on the audit record): a revocation under a storm must never
// remove an assignment jit did not create or that another grant still
// needs, however many times it is retried.
func TestRevocationUnderFaultsKeepsForeignAssignments(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t, idcemu.Options{AsyncDelay: 20 * time.Millisecond, RequestsPerSecond: 5, MaxInFlightAssignments: -1, FaultRate: 0.3, Seed: 9})
	ps := e.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
	uid := e.emu.AddUser("alice@acme.example", "alice")
	e.emu.AddAssignment(account, ps, uid) // a permanent assignment an admin made
	e.setLoseRate(0.3)
	c := e.client(2)
	g := identitycenter.Grant{Request: "requests/payments-prod/a.yaml", AccountID: account, UserName: "alice@acme.example", PermissionSetARN: ps}
	for _, r := range []identitycenter.Revocation{
		{Grant: g, Granted: identitycenter.Granted{PermissionSetARN: ps, PrincipalID: uid, Preexisting: true}},
		{Grant: g, Granted: identitycenter.Granted{PermissionSetARN: ps, PrincipalID: uid}, KeepAssignment: true},
	} {
		for range 5 {
			_, err := c.Revoke(context.Background(), r)
			if !e.emu.HasAssignment(account, ps, uid) {
				t.Fatalf("UNSAFE: a revocation (preexisting=%v, keep=%v, err=%v) removed an assignment it must keep", r.Preexisting, r.KeepAssignment, err)
			}
		}
	}
	if got := e.emu.Calls()["DeleteAccountAssignment"]; got != 0 {
		t.Errorf("%d DeleteAccountAssignment calls for assignments jit must keep", got)
	}
}
