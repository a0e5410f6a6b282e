package main

import (
	"strings"
	"testing"
)

// TestVersion checks that `jit version` and `jit --version` print the same
// line, read from the build info.
func TestVersion(t *testing.T) {
	a := run(t, newRootCmd(), nil, "version")
	b := run(t, newRootCmd(), nil, "--version")
	if a.code != 0 || b.code != 0 {
		t.Fatalf("exit codes %d and %d: %v %v", a.code, b.code, a.err, b.err)
	}
	if !strings.HasPrefix(a.stdout, "jit ") || a.stdout != b.stdout {
		t.Fatalf("jit version printed %q, jit --version %q", a.stdout, b.stdout)
	}
}
