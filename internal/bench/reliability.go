package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/sandbox"
)

// benchReliability measures issue 18's figures against the real binary:
// `jit serve` as a child process, the GitHub emulator delivering its
// webhooks and failing as told. The waits are the wall clock's: retries,
// Retry-After and the outage are real time.
func benchReliability(ctx context.Context, e *env) ([]row, error) {
	var rows []row
	for _, b := range []func(context.Context, *env) (row, error){
		reliabilityFaults, reliabilityOutage, reliabilityRetryAfter,
		reliabilityUnsigned, reliabilityCommits, reliabilityTwoReconciles, reliabilityKilledReconcile,
	} {
		r, err := b(ctx, e)
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
	rs, err := reliabilityRechecks(ctx, e)
	return append(rows, rs...), err
}

const reliabilityPrefix = "jit serve (child process): "

// openRequest opens a request pull request by octocat and waits for the
// child's answer to its delivery.
func openRequest(w *sandbox.World, name string) (int, error) {
	n, err := w.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, "octocat", "octocat/"+name, name,
		map[string][]byte{"requests/payments-prod/" + name + ".yaml": []byte(standardRequest("payments-prod", "ReadOnlyAccess", "4h", 1))})
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", name, err)
	}
	return n, nil
}

// startWithRequest is startWorld with openRequest(name) done in it.
func startWithRequest(ctx context.Context, e *env, name string) (*sandbox.World, *served, int, error) {
	w, s, err := startWorld(ctx, e, name)
	if err != nil {
		return nil, nil, 0, err
	}
	pr, err := openRequest(w, name)
	if err != nil {
		s.stop()
		w.Close()
		return nil, nil, 0, err
	}
	return w, s, pr, nil
}

// approved reports whether a pull request shows its approval: the check
// green, the label jit:approved and no pending label.
func approved(st sandbox.PRStatus) bool {
	return st.Approval == "success" && slices.Contains(st.Labels, "jit:approved") &&
		!slices.Contains(st.Labels, "jit:pending-owner") && !slices.Contains(st.Labels, "jit:pending-admin")
}

// waitApproved polls the pull requests until all show their approval or
// limit passes; it returns those that do not.
func waitApproved(w *sandbox.World, prs []int, limit time.Duration) ([]string, error) {
	deadline := time.Now().Add(limit)
	for {
		var lost []string
		for _, pr := range prs {
			st, err := w.PRStatus(pr)
			if err != nil {
				return nil, err
			}
			if !approved(st) {
				lost = append(lost, fmt.Sprintf("#%d: jit/approval %q, labels %v", pr, st.Approval, st.Labels))
			}
		}
		if len(lost) == 0 || time.Now().After(deadline) {
			return lost, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// (a) With 5% of GitHub's answers failing, 20 owner approvals.
func reliabilityFaults(ctx context.Context, e *env) (row, error) {
	w, s, err := startWorld(ctx, e, "faults")
	if err != nil {
		return row{}, err
	}
	defer w.Close()
	defer s.stop()
	n := 20
	if e.quick {
		n = 5
	}
	prs := make([]int, n)
	for i := range prs {
		if prs[i], err = openRequest(w, fmt.Sprintf("faults-%d", i)); err != nil {
			return row{}, err
		}
	}
	quiet(w, time.Second, time.Minute)
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusInternalServerError, Rate: 0.05, Seed: 7})
	defer remove()
	start := time.Now()
	for _, pr := range prs {
		if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "alice", "APPROVED", "ok"); err != nil {
			return row{}, err
		}
	}
	failed := 0
	for _, d := range w.GitHub.Deliveries() {
		if d.Event == "pull_request_review" && d.StatusCode != http.StatusOK {
			failed++
		}
	}
	lost, err := waitApproved(w, prs, 3*time.Minute)
	if err != nil {
		return row{}, err
	}
	took := time.Since(start)
	hits := w.GitHub.FaultHits()
	if len(hits) != 1 || hits[0] == 0 {
		return row{}, fmt.Errorf("the fault never fired (%v): the row would prove nothing", hits)
	}
	return row{
		Benchmark: reliabilityPrefix + "approvals with 5% of GitHub's answers failing",
		Size:      fmt.Sprintf("%d request pull requests, one owner approval each; every GitHub route fails 5%% of requests with 500 (seed 7)", n),
		Result: fmt.Sprintf("%d of %d green with labels agreeing, all within %.1f s of the first approval; %d GitHub answers failed, %d of %d deliveries answered 500 (retried by the App)",
			n-len(lost), n, took.Seconds(), hits[0], failed, n),
		Target: "all (20 of 20)",
		Met:    met(len(lost) == 0),
		Note:   "no redelivery; lost: " + orNone(lost),
	}, nil
}

// (b) A review given during a 15 s outage of GitHub.
func reliabilityOutage(ctx context.Context, e *env) (row, error) {
	w, s, pr, err := startWithRequest(ctx, e, "outage")
	if err != nil {
		return row{}, err
	}
	defer w.Close()
	defer s.stop()
	quiet(w, time.Second, time.Minute)
	outage := 15 * time.Second
	if e.quick {
		outage = 3 * time.Second
	}
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusServiceUnavailable})
	down := time.Now()
	if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "alice", "APPROVED", "ok"); err != nil {
		remove()
		return row{}, err
	}
	d, _ := w.GitHub.LastDelivery()
	time.Sleep(time.Until(down.Add(outage)))
	remove()
	up := time.Now()
	lost, err := waitApproved(w, []int{pr}, 3*time.Minute)
	if err != nil {
		return row{}, err
	}
	delay := time.Since(up)
	redelivered := 0
	for _, d := range w.GitHub.Deliveries() {
		if d.Redelivery {
			redelivered++
		}
	}
	return row{
		Benchmark: reliabilityPrefix + "review during an outage",
		Size:      fmt.Sprintf("every GitHub request answered 503 for %.0f s; the owner's approval delivered at its start", outage.Seconds()),
		Result:    fmt.Sprintf("judged %.1f s after GitHub recovered (delivery answered %d after %.1f s), %d redeliveries", delay.Seconds(), d.StatusCode, d.Duration.Seconds(), redelivered),
		Target:    "≤ 60 s after recovery, no redelivery",
		Met:       met(len(lost) == 0 && delay <= time.Minute && redelivered == 0),
		Note:      "the App retries a failed evaluation in-process (2 s, doubling to 30 s, for 15 min); not judged: " + orNone(lost),
	}, nil
}

// (c) No call leaves while GitHub asks to wait (Retry-After).
func reliabilityRetryAfter(ctx context.Context, e *env) (row, error) {
	w, s, pr, err := startWithRequest(ctx, e, "retry-after")
	if err != nil {
		return row{}, err
	}
	defer w.Close()
	defer s.stop()
	quiet(w, time.Second, time.Minute)
	pause := 5 * time.Second
	if e.quick {
		pause = 2 * time.Second
	}
	secs := int(pause / time.Second)
	const late = 300 * time.Millisecond
	var results []string
	inside := 0
	for _, f := range []struct {
		name  string
		fault githubemu.Fault
	}{
		// The answer asking to wait comes 300 ms late, so that the
		// requests sent beside it (the evaluation reads in parallel) have
		// been answered before it: any request GitHub sees after it was
		// sent after it.
		{fmt.Sprintf("429 with Retry-After: %d", secs), githubemu.Fault{Status: http.StatusTooManyRequests, RetryAfter: pause, Count: 1, Latency: late}},
		{fmt.Sprintf("secondary rate limit (403) with Retry-After: %d", secs), githubemu.Fault{Secondary: true, RetryAfter: pause, Count: 1, Latency: late}},
		{fmt.Sprintf("primary rate limit used up, X-RateLimit-Reset in %d s", secs), githubemu.Fault{RateLimitReset: pause, Count: 1, Latency: late}},
	} {
		w.GitHub.ResetRequests()
		remove := w.GitHub.InjectFault(f.fault)
		if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "carol", "COMMENTED", "looking"); err != nil {
			remove()
			return row{}, err
		}
		quiet(w, 2*time.Second, time.Minute)
		remove()
		spans := w.GitHub.Spans()
		var limited *githubemu.Span
		want := f.fault.Status
		if want == 0 {
			want = http.StatusForbidden // GitHub's answer for rate limits
		}
		for i := range spans {
			if spans[i].Status == want {
				limited = &spans[i]
				break
			}
		}
		if limited == nil {
			return row{}, fmt.Errorf("%s: the fault never fired", f.name)
		}
		n, wrote, first := 0, false, time.Duration(0)
		for _, sp := range spans {
			if sp.Start.After(limited.End) && sp.Start.Before(limited.End.Add(pause)) {
				n++
			}
			if sp.Start.After(limited.End) && (first == 0 || sp.Start.Sub(limited.End) < first) {
				first = sp.Start.Sub(limited.End)
			}
			wrote = wrote || isCheckWrite(sp)
		}
		inside += n
		results = append(results, fmt.Sprintf("%s: %d calls inside the window, the next %.2f s after the answer, check written: %v", f.name, n, first.Seconds(), wrote))
	}
	return row{
		Benchmark: reliabilityPrefix + "calls inside a Retry-After window",
		Size:      fmt.Sprintf("a review's evaluation; GitHub's first answer asks to wait %d s", secs),
		Result:    strings.Join(results, "; "),
		Target:    "0",
		Met:       met(inside == 0),
		Note:      "every request the child made, as the emulator saw it, from the end of the answer asking to wait; the whole process waits (ghretry), not just the one call",
	}, nil
}

// (e) Unsigned bodies of 24 MiB, 32 at once.
func reliabilityUnsigned(ctx context.Context, e *env) (row, error) {
	w, s, err := startWorld(ctx, e, "unsigned")
	if err != nil {
		return row{}, err
	}
	defer w.Close()
	defer s.stop()
	before, err := s.peakRSS()
	if err != nil {
		return row{}, err
	}
	const n, size = 32, 24 << 20
	unsigned, err := postBodies(ctx, s.webhook, n, size, "")
	if err != nil {
		return row{}, err
	}
	afterUnsigned, err := s.peakRSS()
	if err != nil {
		return row{}, err
	}
	forged, err := postBodies(ctx, s.webhook, n, size, "sha256="+strings.Repeat("ab", 32))
	if err != nil {
		return row{}, err
	}
	after, err := s.peakRSS()
	if err != nil {
		return row{}, err
	}
	const limit = 300 << 10 // KiB
	return row{
		Benchmark: reliabilityPrefix + "32 parallel 24 MiB bodies",
		Size:      "32 POST /webhook at once, 24 MiB each: without a signature, then with a wrong one",
		Result: fmt.Sprintf("peak RSS (VmHWM) %s after the unsigned ones (answers %s), %s after the forged ones too (answers %s); %s at start",
			mib(afterUnsigned), unsigned, mib(after), forged, mib(before)),
		Target: "< 300 MiB",
		Met:    met(afterUnsigned < limit && after < limit),
		Note:   "unsigned: 401 before the body is read; forged: read under the 128 MiB cap on bodies held at once (503 with Retry-After beyond it) and hashed as read",
	}, nil
}

// (f) A pull request of 251 commits, approved by an owner.
func reliabilityCommits(ctx context.Context, e *env) (row, error) {
	w, s, pr, err := startWithRequest(ctx, e, "commits")
	if err != nil {
		return row{}, err
	}
	defer w.Close()
	defer s.stop()
	const total = 251
	path := "requests/payments-prod/commits.yaml"
	body := standardRequest("payments-prod", "ReadOnlyAccess", "4h", 1)
	for i := range total - 2 {
		if _, err := w.GitHub.CommitToBranch(sandbox.Org, sandbox.RepoName, "octocat/commits", githubemu.Commit{Author: "octocat",
			Files: map[string][]byte{path: []byte(body + fmt.Sprintf("# %d\n", i))}}); err != nil {
			return row{}, err
		}
	}
	if _, err := w.GitHub.Push(sandbox.Org, sandbox.RepoName, pr, "octocat", map[string][]byte{path: []byte(body)}); err != nil {
		return row{}, err
	}
	if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "alice", "APPROVED", "ok"); err != nil {
		return row{}, err
	}
	quiet(w, time.Second, time.Minute)
	gh, err := w.GitHub.PullRequest(sandbox.Org, sandbox.RepoName, pr)
	if err != nil {
		return row{}, err
	}
	st, err := w.PRStatus(pr)
	if err != nil {
		return row{}, err
	}
	says := "the status comment does not say why"
	for _, line := range strings.Split(st.Sticky, "\n") {
		if strings.Contains(line, fmt.Sprint(total)+" commits") {
			says = "it says: " + strings.TrimSpace(line)
		}
	}
	return row{
		Benchmark: reliabilityPrefix + "pull request beyond GitHub's 250-commit listing",
		Size:      fmt.Sprintf("%d commits (GitHub reports %d), approved by an owner", total, gh.GetCommits()),
		Result:    fmt.Sprintf("jit/approval %q, labels %v; %s", st.Approval, st.Labels, says),
		Target:    "not approvable, and says why",
		Met:       met(gh.GetCommits() == total && st.Approval != "success" && !slices.Contains(st.Labels, "jit:approved") && !strings.HasPrefix(says, "the status")),
	}, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}
