package main

import (
	"context"
	"os/exec"

	"bytes"
	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/ledger"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestQuick runs every benchmark at its small size, as `go run ./internal/bench
// -quick` does, so that CI exercises the bench and the generated inputs stay
// valid. It never installs anything: ajv-cli is compared only when it is
// already in the cache. Targets are not asserted: a shared CI machine under
// the race detector says nothing about them.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds jit and starts the emulators")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-quick", "-ajv=cached"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	table := stdout.String()
	t.Logf("\n%s", table)
	for _, want := range []string{
		"| validate: jit validate |", "| validate: jit validate, one file |", "| validate: ajv-cli",
		"| App: sequential GitHub round trips per event |", "| App: webhook → check, 100 ms GitHub latency |",
		"| App: requests counted against the rate limit per event |", "| App: webhook latency, 1000 deliveries, 50 concurrent |",
		"| reconcile: expire |", "| reconcile: activate |", "| reconcile: expiry lag |",
		"| reconcile: fixed cost, 500 active grants, nothing to do |",
		"| reconcile: expiry lag, App-dispatched, no run waiting (50 grants over one hour, clock advanced) |",
		"| reconcile: runner-minutes per month, 1,000 grants a month, five-minute schedule versus dispatch |",
		"| audit: jit audit --format csv |", "| audit: 100,000 grants |",
		"| jit serve (child process): approvals with 5% of GitHub's answers failing |",
		"| jit serve (child process): review during an outage |",
		"| jit serve (child process): calls inside a Retry-After window |",
		"| jit serve (child process): 32 parallel 24 MiB bodies |",
		"| jit serve (child process): pull request beyond GitHub's 250-commit listing |",
		"| jit serve (child process): /jit recheck flood by a stranger, 50 at a time |",
		"| jit serve (child process): /jit recheck flood by the requester, 50 at a time |",
		"| jit reconcile (child processes): two jit reconcile processes started together |",
		"| jit reconcile (child processes): a killed jit reconcile, resumed |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table has no row %q", want)
		}
	}
	if strings.Contains(table, "error:") {
		t.Errorf("a benchmark failed:\n%s", table)
	}
}

func TestSelectBenchmarks(t *testing.T) {
	for _, tc := range []struct {
		only    string
		want    []string
		wantErr string
	}{
		{"", names(), ""},
		{"audit, validate", []string{"audit", "validate"}, ""},
		{"lag", []string{"lag"}, ""},
		{"valdate", nil, `unknown benchmark "valdate"`},
	} {
		got, err := selectBenchmarks(tc.only)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("selectBenchmarks(%q) error = %v, want %q", tc.only, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("selectBenchmarks(%q): %v", tc.only, err)
		}
		var gotNames []string
		for _, b := range got {
			gotNames = append(gotNames, b.name)
		}
		if diff := cmp.Diff(tc.want, gotNames); diff != "" {
			t.Errorf("selectBenchmarks(%q) (-want +got):\n%s", tc.only, diff)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-only", "nope"}, {"-ajv", "maybe"}, {"extra"}, {"-unknown"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("run(%q) printed a table: %q", args, stdout.String())
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{d, 50, 50 * time.Millisecond},
		{d, 99, 99 * time.Millisecond},
		{d, 100, 100 * time.Millisecond},
		{d[:4], 99, 4 * time.Millisecond},
		{d[:4], 50, 2 * time.Millisecond},
		{d[:1], 50, time.Millisecond},
		{nil, 50, 0},
	} {
		if got := percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("percentile(%d values, %v) = %s, want %s", len(tc.in), tc.p, got, tc.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	err := writeTable(&b, []row{
		{Benchmark: "a", Size: "1", Result: "x | y", Target: "< 3 s", Met: met(true), Note: "two\nlines"},
		{Benchmark: "b", Result: "not run"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "| benchmark | size | result | target | met | note |\n" +
		"| --- | --- | --- | --- | --- | --- |\n" +
		"| a | 1 | x \\| y | < 3 s | yes | two<br>lines |\n" +
		"| b |  | not run | — | — |  |\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

// TestGeneratedRequestsMix checks that the generated files follow the mix
// the table reports and that pickDuration never exceeds a cap.
func TestGeneratedRequestsMix(t *testing.T) {
	mix, first, err := writeRequestRepo(t.TempDir(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("3 accounts; 6 standard, 2 custom with a YAML inline policy, 1 with a JSON-string inline policy, 1 managed-only", mix); diff != "" {
		t.Errorf("mix (-want +got):\n%s", diff)
	}
	if first != "requests/payments-prod/r00000.yaml" {
		t.Errorf("first file %q", first)
	}
	for i := range 50 {
		if got := pickDuration(8*time.Hour, i); got == "12h" || strings.HasSuffix(got, "d") || strings.HasSuffix(got, "w") || strings.HasSuffix(got, "mo") {
			t.Errorf("pickDuration(8h, %d) = %s", i, got)
		}
		if got := sessionDuration("2h", i); got != "1h" && got != "2h" {
			t.Errorf("sessionDuration(2h, %d) = %s", i, got)
		}
	}
}

// TestSignedHistory checks that the generated audit history is signed as
// git signs: git itself verifies its last commit with the signers file the
// history carries, each record names the one before in Jit-Previous as the
// ledger does, and the audit counts every event of every grant.
func TestSignedHistory(t *testing.T) {
	dir := t.TempDir()
	if err := writeHistory(context.Background(), dir, 20, 3); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "-c", "gpg.ssh.allowedSignersFile="+ledger.SignersPath, "verify-commit", "HEAD")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git verify-commit HEAD: %v\n%s", err, out)
	}
	cmd = exec.Command("git", "log", "--first-parent", "--reverse",
		"--format=%H %(trailers:key="+ledger.TrailerEvent+",valueonly,separator=) %(trailers:key="+ledger.TrailerPrevious+",valueonly,separator=)")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	previous, signed := "", 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, " ")
		if f[1] == "" {
			continue // a merge or the signers file: not jit's
		}
		if f[2] != previous {
			t.Fatalf("commit %s names %q, want the previous record %q", f[0], f[2], previous)
		}
		previous = f[0]
		signed++
	}
	if signed != 40 {
		t.Fatalf("%d records, want 40", signed)
	}
	records, err := audit.Collect(context.Background(), dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 20 {
		t.Fatalf("%d records, want 20", len(records))
	}
	for _, r := range records {
		if len(r.Events) != 2 || len(r.UnverifiedEvents) != 0 || r.Unverified != "" || r.State != "expired" {
			t.Errorf("%s: %d events, %d unverified, %q, state %s", r.Path, len(r.Events), len(r.UnverifiedEvents), r.Unverified, r.State)
		}
	}
}
