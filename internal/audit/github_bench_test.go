package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-github/v62/github"

	"time"

	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/testworld"
)

// BenchmarkCollectPullRequests exports 200 request pull requests that never
// merged (open, rejected, closed) plus 100 merged ones, which cost only
// their share of the list, from the GitHub emulator through go-github.
func BenchmarkCollectPullRequests(b *testing.B) {
	emu, api := testworld.GitHub(b, clock.At(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), "octocat", "alice")
	if err := emu.CreateRepo("acme", "access", map[string][]byte{"README.md": []byte("access\n")}); err != nil {
		b.Fatal(err)
	}
	const unmerged, merged = 200, 100
	for i := 0; i < unmerged+merged; i++ {
		path := fmt.Sprintf("requests/payments-prod/r%d.yaml", i)
		body := "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: INC-1234 looking into it\n"
		n, err := emu.OpenPullRequest("acme", "access", "octocat", fmt.Sprintf("octocat/r%d", i), "request", map[string][]byte{path: []byte(body)})
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case i >= unmerged:
			_, err = emu.Merge("acme", "access", n, "alice")
		case i%3 == 0:
			_, err = emu.SubmitReview("acme", "access", n, "alice", "REQUEST_CHANGES", "no")
		case i%3 == 1:
			err = emu.ClosePullRequest("acme", "access", n, "octocat")
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	token, err := emu.UserToken("alice")
	if err != nil {
		b.Fatal(err)
	}
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(api, api)
	if err != nil {
		b.Fatal(err)
	}
	g := ghrepo.New(c, ghrepo.Repo{Owner: "acme", Name: "access"})
	emu.ResetRequests()
	b.ResetTimer()
	runs := 0
	for b.Loop() {
		records, err := audit.CollectPullRequests(context.Background(), g, "", audit.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		if len(records) != unmerged {
			b.Fatalf("%d records, want %d", len(records), unmerged)
		}
		runs++
	}
	calls := 0
	for _, n := range emu.Requests() {
		calls += n
	}
	b.ReportMetric(float64(calls)/float64(runs), "calls/op")
}
