package audit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jit-access/jit/schema"
)

// generate writes a main branch with n grants spread over the given number
// of account folders, each merged, activated and expired in its own commit
// (3n commits), through git fast-import.
func generate(b *testing.B, dir string, n, accounts int) {
	b.Helper()
	cmd := exec.Command("git", "init", "-q", "-b", "main", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git init: %v\n%s", err, out)
	}
	imp := exec.Command("git", "fast-import", "--quiet")
	imp.Dir = dir
	in, err := imp.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	imp.Stderr = os.Stderr
	if err := imp.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mark := 0
	commit := func(at time.Time, msg, path string, data []byte) {
		mark++
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter jit[bot] <jit@example.com> %d +0000\ndata %d\n%s\n",
			mark, at.Unix(), len(msg), msg)
		if mark > 1 {
			fmt.Fprintf(w, "from :%d\n", mark-1)
		}
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
	}
	for i := 0; i < n; i++ {
		account := fmt.Sprintf("account-%03d", i%accounts)
		path := fmt.Sprintf("requests/%s/grant-%05d.yaml", account, i)
		merged := start.Add(time.Duration(i) * 30 * time.Minute)
		req := fmt.Sprintf("# yaml-language-server: $schema=../../schema/request.schema.json\naccount: %s\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-%d: investigating elevated 5xx rates in the payment API\"\n", account, i)
		commit(merged, fmt.Sprintf("Request %s (#%d)", path, i+1), path, []byte(req))
		user := fmt.Sprintf("user%d", i%50)
		activated := merged.Add(2 * time.Minute)
		expires := activated.Add(4 * time.Hour)
		st := &schema.Status{State: schema.StateActive, PullRequest: i + 1, Requester: user,
			Approvals:   []schema.Approval{{By: "alice", Stage: "owner", At: merged.Add(-time.Minute), Note: "ok"}},
			ActivatedAt: &activated, ExpiresAt: &expires}
		data, err := schema.SetStatus([]byte(req), st)
		if err != nil {
			b.Fatal(err)
		}
		trailers := fmt.Sprintf("\n\nJit-Request: %s\nJit-Event: %%s\nJit-Pull-Request: %d", path, i+1)
		commit(activated, "jit: activate "+path+fmt.Sprintf(trailers, "activated"), path, data)
		ended := expires.Add(10 * time.Second)
		st.State, st.EndedAt = schema.StateExpired, &ended
		if data, err = schema.SetStatus([]byte(req), st); err != nil {
			b.Fatal(err)
		}
		commit(ended, "jit: expire "+path+fmt.Sprintf(trailers, "expired"), path, data)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := imp.Wait(); err != nil {
		b.Fatalf("git fast-import: %v", err)
	}
	cmd = exec.Command("git", "reset", "-q", "--hard", "main")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git reset: %v\n%s", err, out)
	}
}

// BenchmarkCollect10000 times the audit of 10,000 grants (30,000 commits),
// with every grant in one of 5 account folders (2,000 files each, the worst
// case for git's tree diffs) and in one of 100. The target is under 3 s.
func BenchmarkCollect10000(b *testing.B) {
	for _, accounts := range []int{5, 100} {
		b.Run(fmt.Sprintf("accounts=%d", accounts), func(b *testing.B) {
			const n = 10000
			dir := b.TempDir()
			generate(b, dir, n, accounts)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				records, err := Collect(context.Background(), dir, Filter{})
				if err != nil {
					b.Fatal(err)
				}
				if len(records) != n || records[n-1].State != schema.StateExpired || len(records[n-1].Events) != 2 {
					b.Fatalf("got %d records, last %+v", len(records), records[len(records)-1])
				}
			}
		})
	}
}
