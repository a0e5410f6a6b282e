package testworld_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/testworld"
)

// TestOnlyTestsImportIt keeps the test world and internal/gittest out of
// the binary: no package's non-test files import them.
func TestOnlyTestsImportIt(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/jit-access/jit/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	testOnly := []string{"github.com/jit-access/jit/internal/testworld", "github.com/jit-access/jit/internal/gittest"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, p := range testOnly {
			if pkg != p && strings.Contains(" "+imports+" ", " "+p+" ") {
				t.Errorf("%s imports %s outside its tests", pkg, p)
			}
		}
	}
}

// A new world opens a request, and State reads back what the App wrote.
func TestWorldDrivesTheApp(t *testing.T) {
	w := testworld.Standard(t)
	if now := w.Clock.Now(); now.Before(testworld.Monday) || now.Sub(testworld.Monday) > time.Minute {
		t.Fatalf("the world's clock reads %s, want about %s", now, testworld.Monday)
	}
	path := "requests/payments-prod/octocat.yaml"
	n := w.Open(t, "octocat", "octocat/inc-1234", map[string]string{path: testworld.StandardRequest})
	s := w.State(t, n)
	if s.Validate != "success" || s.Approval != "failure" || !s.HasLabel("jit:pending-owner") {
		t.Fatalf("state after opening: %+v", s)
	}
	w.Review(t, n, "alice", "APPROVED", "ok")
	if s := w.State(t, n); s.Approval != "success" || !s.HasLabel("jit:approved") {
		t.Fatalf("state after the owner's approval: %+v", s)
	}
	if _, ok := w.OnMain(t, path); ok {
		t.Fatalf("%s is on main before the merge", path)
	}
	w.Merge(t, n, "octocat")
	if st := w.Status(t, path); st != nil {
		t.Fatalf("a merged request has a status before the reconcile: %+v", st)
	}
}
