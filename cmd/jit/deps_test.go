package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestOneGoGitHubMajor keeps a single go-github major version in the binary:
// two copies double its size and let types from one reach code expecting
// the other. ghinstallation v2.11.0 is the newest release built on v62 (its
// later releases differ only in the go-github import), so upgrading it pulls
// in another major and fails here.
func TestOneGoGitHubMajor(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in the test binary")
	}
	var majors []string
	for _, d := range info.Deps {
		if strings.HasPrefix(d.Path, "github.com/google/go-github/") {
			majors = append(majors, d.Path+"@"+d.Version)
		}
	}
	if len(majors) != 1 || !strings.HasPrefix(majors[0], "github.com/google/go-github/v62@") {
		t.Errorf("go-github modules linked: %v, want only github.com/google/go-github/v62", majors)
	}
}
