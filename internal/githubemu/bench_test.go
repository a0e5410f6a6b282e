package githubemu

import (
	"testing"

	"github.com/google/go-github/v62/github"
)

// benchEnv reuses newEnv's setup with a benchmark's testing.TB.
func benchEnv(b *testing.B) (*env, int, string) {
	b.Helper()
	e := newEnvTB(b, Options{})
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/bench", "Bench", map[string][]byte{"requests/payments-prod/b.yaml": []byte("b: 1\n")})
	if err != nil {
		b.Fatal(err)
	}
	pr, err := e.emu.PullRequest(org, repoName, n)
	if err != nil {
		b.Fatal(err)
	}
	return e, n, pr.GetHead().GetSHA()
}

// BenchmarkAppReads is what the App reads per event: the pull request, its
// files, its reviews and one file at the head, through go-github.
func BenchmarkAppReads(b *testing.B) {
	e, n, head := benchEnv(b)
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
			if _, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "requests/payments-prod/b.yaml", &github.RepositoryContentGetOptions{Ref: head}); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkDriverComment is a driver action with its synchronous, signed
// webhook delivery.
func BenchmarkDriverComment(b *testing.B) {
	e, n, _ := benchEnv(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.emu.Comment(org, repoName, n, "bob", "/jit recheck"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContentsWrite is one contents API commit on main.
func BenchmarkContentsWrite(b *testing.B) {
	e, _, _ := benchEnv(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := e.app.Repositories.CreateFile(ctx, org, repoName, "bench/"+randomHex(6), &github.RepositoryContentFileOptions{Message: github.String("w"), Content: []byte("w\n")}); err != nil {
			b.Fatal(err)
		}
	}
}
