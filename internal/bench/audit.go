package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os/exec"
	"time"

	"github.com/jit-access/jit/schema"
)

// benchAudit runs `jit audit --format csv` on generated histories: every
// grant merged, activated and expired in its own commit, in a few large
// account folders (the worst case for git's tree diffs) and in many small
// ones.
func benchAudit(ctx context.Context, e *env) ([]row, error) {
	n, layouts, rounds := 10000, []int{5, 100}, 3
	if e.quick {
		n, layouts, rounds = 300, []int{5}, 1
	}
	var rows []row
	for _, accounts := range layouts {
		r, _, err := auditRow(ctx, e, "audit: jit audit --format csv", n, accounts, rounds, auditTarget10k[accounts])
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// auditTarget10k are the bounds on exporting 10,000 grants, by the
// number of account folders.
var auditTarget10k = map[int]time.Duration{5: 2 * time.Second, 100: 3 * time.Second}

// benchAuditLarge exports 100,000 grants (300,000 commits) in 100 account
// folders once: the size of a large organisation after years of use.
func benchAuditLarge(ctx context.Context, e *env) ([]row, error) {
	n := 100000
	if e.quick {
		n = 1000
	}
	r, res, err := auditRow(ctx, e, "audit: 100,000 grants", n, 100, 1, 15*time.Second)
	if err != nil {
		return nil, err
	}
	r.Target += ", peak RSS < 1 GiB"
	if r.Met == "yes" && res.MaxRSS >= 1<<20 { // KiB
		r.Met = "no"
	}
	return []row{r}, nil
}

// auditRow generates a history and exports it rounds times with the real
// binary, keeping the best round.
func auditRow(ctx context.Context, e *env, name string, n, accounts, rounds int, target time.Duration) (row, result, error) {
	bin, err := e.jitBinary(ctx)
	if err != nil {
		return row{}, result{}, err
	}
	dir, err := e.dir("audit")
	if err != nil {
		return row{}, result{}, err
	}
	genStart := time.Now()
	if err := writeHistory(ctx, dir, n, accounts); err != nil {
		return row{}, result{}, err
	}
	e.log.Info("generated the audit history", "grants", n, "accounts", accounts, "took", time.Since(genStart))
	var res result
	for range rounds {
		r, err := measure(ctx, dir, true, bin, "audit", "--format", "csv", "--repo", dir)
		if err != nil {
			return row{}, result{}, err
		}
		if r.ExitCode != 0 {
			return row{}, result{}, fmt.Errorf("jit audit exited %d: %s", r.ExitCode, firstLines(r.Stderr, 5))
		}
		records, err := csv.NewReader(bytes.NewReader(r.Stdout)).ReadAll()
		if err != nil {
			return row{}, result{}, fmt.Errorf("reading jit audit's CSV: %w", err)
		}
		if len(records) != n+1 {
			return row{}, result{}, fmt.Errorf("jit audit wrote %d records for %d grants", len(records)-1, n)
		}
		r.Stdout = nil
		res = best(res, r)
	}
	how := "one run"
	if rounds > 1 {
		how = fmt.Sprintf("best of %d", rounds)
	}
	return row{
		Benchmark: name,
		Size:      fmt.Sprintf("%d grants, %d commits, %d account folders", n, 3*n, accounts),
		Result:    fmt.Sprintf("%s wall, peak RSS %s, %s CPU (jit and git)", secs(res.Wall), mib(res.MaxRSS), secs(res.CPU)),
		Target:    "< " + secs(target),
		Met:       met(res.Wall < target),
		Note:      fmt.Sprintf("the real binary on a git fast-import history; %s; load average %s", how, loadAverage()),
	}, res, nil
}

// writeHistory makes a git repository whose main branch has n grants spread
// over the given number of account folders, each merged, activated and
// expired in its own commit, written with git fast-import (the approach of
// the audit package's BenchmarkCollect10000).
func writeHistory(ctx context.Context, dir string, n, accounts int) error {
	if out, err := exec.CommandContext(ctx, "git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %w\n%s", err, out)
	}
	imp := exec.CommandContext(ctx, "git", "fast-import", "--quiet")
	imp.Dir = dir
	var stderr bytes.Buffer
	imp.Stderr = &limited{b: &stderr, n: 4096}
	in, err := imp.StdinPipe()
	if err != nil {
		return err
	}
	if err := imp.Start(); err != nil {
		return fmt.Errorf("starting git fast-import: %w", err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mark := 0
	commit := func(at time.Time, msg, path string, data []byte) {
		mark++
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter jit[bot] <jit@example.com> %d +0000\ndata %d\n%s\n", mark, at.Unix(), len(msg), msg)
		if mark > 1 {
			fmt.Fprintf(w, "from :%d\n", mark-1)
		}
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
	}
	var genErr error
	for i := range n {
		account := fmt.Sprintf("account-%03d", i%accounts)
		path := fmt.Sprintf("requests/%s/grant-%05d.yaml", account, i)
		merged := start.Add(time.Duration(i) * 30 * time.Minute)
		req := []byte(standardRequest(account, "ReadOnlyAccess", "4h", i))
		commit(merged, fmt.Sprintf("Request %s (#%d)", path, i+1), path, req)
		activated := merged.Add(2 * time.Minute)
		expires := activated.Add(4 * time.Hour)
		st := &schema.Status{State: schema.StateActive, PullRequest: i + 1, Requester: fmt.Sprintf("user%d", i%50), Duration: "4h",
			Approvals:   []schema.Approval{{By: "alice", Stage: "owner", At: merged.Add(-time.Minute), Note: "ok for INC-" + fmt.Sprint(1000+i)}},
			ActivatedAt: &activated, ExpiresAt: &expires}
		data, err := schema.SetStatus(req, st)
		if err != nil {
			genErr = err
			break
		}
		trailers := fmt.Sprintf("\n\nJit-Request: %s\nJit-Event: %%s\nJit-Pull-Request: %d", path, i+1)
		commit(activated, "jit: activate "+path+fmt.Sprintf(trailers, "activated"), path, data)
		ended := expires.Add(10 * time.Second)
		st.State, st.EndedAt = schema.StateExpired, &ended
		if data, err = schema.SetStatus(req, st); err != nil {
			genErr = err
			break
		}
		commit(ended, "jit: expire "+path+fmt.Sprintf(trailers, "expired"), path, data)
	}
	flushErr := w.Flush()
	in.Close()
	waitErr := imp.Wait()
	switch {
	case genErr != nil:
		return fmt.Errorf("writing a grant's status: %w", genErr)
	case flushErr != nil || waitErr != nil:
		return fmt.Errorf("git fast-import: %v %v: %s", flushErr, waitErr, stderr.String())
	}
	reset := exec.CommandContext(ctx, "git", "reset", "-q", "--hard", "main")
	reset.Dir = dir
	if out, err := reset.CombinedOutput(); err != nil {
		return fmt.Errorf("git reset: %w\n%s", err, out)
	}
	return nil
}
