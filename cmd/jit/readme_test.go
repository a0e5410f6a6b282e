package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	jit "github.com/jit-access/jit"
	"github.com/jit-access/jit/internal/gittest"
)

// TestREADMECommands runs every command of the README's `sh` blocks, in
// order, in a fresh access repository made from the template, so that the
// README cannot drift from what jit does. The two "Try it" commands are run
// by .ci/run, which this test checks. Blocks marked `console` are for the
// reader's own infrastructure (docker, AWS) and are not run.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTemplate(t, dir)
	t.Chdir(dir)

	ran := 0
	for _, line := range shellLines(string(readme)) {
		args := splitShell(t, line)
		switch {
		case line == "go run ./cmd/jit sandbox" || line == "go test -race ./...":
			if !strings.Contains(string(ci), line) {
				t.Errorf(".ci/run does not run the README's %q", line)
			}
		case args[0] == "jit":
			res := run(t, newRootCmd(), nil, args[1:]...)
			if res.code != 0 {
				t.Errorf("README command %q exited %d: %v\n%s%s", line, res.code, res.err, res.stdout, res.stderr)
			}
		case args[0] == "git":
			out, err := exec.Command("git", args[1:]...).CombinedOutput()
			if err != nil {
				t.Errorf("README command %q failed: %v\n%s", line, err, out)
			}
		default:
			t.Errorf("README command %q is neither run by this test nor by .ci/run", line)
		}
		ran++
	}
	if ran < 5 {
		t.Fatalf("only %d README commands found; did the README's sh blocks change?", ran)
	}
}

// writeTemplate makes dir an access repository from the embedded template,
// with one commit by a test identity.
func writeTemplate(t *testing.T, dir string) {
	t.Helper()
	err := os.CopyFS(dir, jit.Template)
	if err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, dir, "init", "-q", "-b", "main")
	gittest.Run(t, dir, "add", "-A")
	gittest.Run(t, dir, "commit", "-q", "-m", "access repository from the template")
}

// shellLines returns the command lines of the ```sh blocks.
func shellLines(md string) []string {
	var out []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "```"):
			in = l == "```sh"
		case in && l != "" && !strings.HasPrefix(l, "#"):
			if i := strings.Index(l, "  #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			out = append(out, l)
		}
	}
	return out
}

// splitShell splits a command line the way a POSIX shell would for the
// simple quoting the README uses.
func splitShell(t *testing.T, line string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inArg := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in README command %q", line)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// TestREADMEDevelopmentNamesEveryPackage keeps the README's Development
// section in step with the tree: every package under internal/ is named
// there, and every path or package it names exists.
func TestREADMEDevelopmentNamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, dev, ok := strings.Cut(string(readme), "\n## Development\n")
	if !ok {
		t.Fatal("README.md has no Development section")
	}
	dev, _, _ = strings.Cut(dev, "\n## ")
	entries, err := os.ReadDir("../../internal")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(dev, "`"+e.Name()+"`") {
			t.Errorf("README's Development section does not name internal/%s", e.Name())
		}
	}
	for _, name := range developmentPaths(dev) {
		top, _ := filepath.Glob(filepath.Join("../..", name))
		inInternal, _ := filepath.Glob(filepath.Join("../../internal", name))
		if len(top) == 0 && len(inInternal) == 0 {
			t.Errorf("README's Development section names %s, which is neither in the tree nor under internal/", name)
		}
	}
}

// developmentPaths returns what the Development section quotes as a path
// (with a slash or a leading dot) or a package (a lowercase word), and the
// path a quoted `go run` command runs; other quotes (a tag pattern, a
// release artifact, a command) name nothing in the tree.
func developmentPaths(dev string) []string {
	var paths []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(dev, -1) {
		q := m[1]
		if arg, ok := strings.CutPrefix(q, "go run "); ok {
			q = arg
		}
		switch {
		case strings.Contains(q, " "):
		case strings.Contains(q, "/") || strings.HasPrefix(q, "."):
			paths = append(paths, strings.TrimPrefix(q, "./"))
		case regexp.MustCompile(`^[a-z]+$`).MatchString(q):
			paths = append(paths, q)
		}
	}
	return paths
}
