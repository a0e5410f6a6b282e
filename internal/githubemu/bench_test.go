package githubemu

import (
	"context"
	"testing"

	"github.com/google/go-github/v62/github"
)

// benchEnv is setup for a benchmark, with a request pull request open: its
// number and head commit.
func benchEnv(b *testing.B) (*env, context.Context, int, string) {
	b.Helper()
	e := newEnv(b, Options{})
	n, head := e.openRequest(b, "bench")
	return e, b.Context(), n, head
}

// BenchmarkAppReads is what the App reads per event: the pull request, its
// files, its reviews and one file at the head, through go-github.
func BenchmarkAppReads(b *testing.B) {
	e, ctx, n, head := benchEnv(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := e.app.PullRequests.Get(ctx, org, repoName, n); err != nil {
				b.Error(err)
			}
			if _, _, err := e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil); err != nil {
				b.Error(err)
			}
			if _, _, err := e.app.PullRequests.ListReviews(ctx, org, repoName, n, nil); err != nil {
				b.Error(err)
			}
			if _, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "requests/payments-prod/bench.yaml", &github.RepositoryContentGetOptions{Ref: head}); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkDriverComment is a driver action with its synchronous, signed
// webhook delivery.
func BenchmarkDriverComment(b *testing.B) {
	e, _, n, _ := benchEnv(b)
	for b.Loop() {
		if _, err := e.emu.Comment(org, repoName, n, "bob", "/jit recheck"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContentsWrite is one contents API commit on main.
func BenchmarkContentsWrite(b *testing.B) {
	e, ctx, _, _ := benchEnv(b)
	for b.Loop() {
		if _, _, err := e.app.Repositories.CreateFile(ctx, org, repoName, "bench/"+randomHex(6), &github.RepositoryContentFileOptions{Message: github.String("w"), Content: []byte("w\n")}); err != nil {
			b.Fatal(err)
		}
	}
}
