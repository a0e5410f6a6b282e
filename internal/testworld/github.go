package testworld

import (
	"net/http/httptest"
	"testing"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/githubemu"
)

// GitHub starts the GitHub emulator alone on loopback on clk (clock.At an
// instant the test chooses, shared with whatever else the test runs), with
// users (each login@acme.example), for a test that needs no App. It returns
// the emulator and its API root, which ends in /api/v3/; both are closed
// when the test ends.
func GitHub(t testing.TB, clk *clock.Offset, users ...string) (*githubemu.Server, string) {
	t.Helper()
	gh, err := githubemu.New(githubemu.Options{Dir: t.TempDir(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh)
	t.Cleanup(func() { gh.Close(); srv.Close() })
	gh.SetURL(srv.URL + "/api/v3")
	for _, u := range users {
		gh.AddUser(u, u+"@acme.example")
	}
	return gh, srv.URL + "/api/v3/"
}
