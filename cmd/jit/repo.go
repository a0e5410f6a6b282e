package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/schema"
)

// Where the rules of an access repository live, relative to its top folder.
const (
	configPath     = layout.ConfigPath
	codeownersPath = layout.CodeownersPath
	requestsDir    = layout.RequestsDir
	// maxRuleFileSize bounds what is read of the config and CODEOWNERS, so a
	// huge file is refused before it is parsed. It is CODEOWNERS' limit on
	// GitHub plus one byte, so owners.Parse sees an oversized file as such.
	maxRuleFileSize = owners.MaxSize + 2
	// maxRequestRead is one byte more than a request file may hold, so that
	// schema.ValidateRequest sees an oversized file as oversized without
	// jit reading all of it.
	maxRequestRead = schema.MaxRequestBytes + 1
)

// worktreeSource reads rule files from a folder on disk.
type worktreeSource struct{ dir string }

func (s worktreeSource) ReadFile(_ context.Context, path string) ([]byte, error) {
	data, err := readRegularFile(filepath.Join(s.dir, filepath.FromSlash(path)), maxRuleFileSize)
	return checkRuleSize(path, s.Describe(), data, err)
}

func (s worktreeSource) Describe() string { return "the working tree" }

// gitRefSource reads rule files as they are at a git revision.
type gitRefSource struct {
	git gitCLI
	ref string
}

func (s gitRefSource) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, err := s.git.blob(ctx, s.ref, path, maxRuleFileSize)
	return checkRuleSize(path, s.Describe(), data, err)
}

// checkRuleSize refuses a config of maxRuleFileSize bytes or more before it
// is parsed; CODEOWNERS passes, owners.Parse reports its size itself.
func checkRuleSize(path, where string, data []byte, err error) ([]byte, error) {
	if err == nil && path == configPath && len(data) >= maxRuleFileSize {
		return nil, fmt.Errorf("%s in %s is larger than %d bytes", path, where, maxRuleFileSize-1)
	}
	return data, err
}

func (s gitRefSource) Describe() string { return s.ref }

// readRegularFile reads at most limit bytes of a regular file. Symbolic links
// are refused rather than followed: a link could make jit read, and echo in
// its findings, a file outside the repository.
func readRegularFile(path string, limit int64) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not a regular file", path, modeName(st.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// loadRuleFiles reads the config and CODEOWNERS through judgment.LoadRules,
// as the App and the reconcile do, and words what it found for the CLI: the
// config's findings, and CODEOWNERS problems as findings too. GitHub skips
// CODEOWNERS lines it cannot parse; jit reports each as an error instead,
// because a skipped line can silently take an account's owners away (the
// App then lets only SSO admins approve). The error is for a config that
// cannot be read at all.
func loadRuleFiles(ctx context.Context, src judgment.Files) (judgment.Rules, []schema.Finding, error) {
	rs, err := judgment.LoadRules(ctx, src)
	if err != nil {
		return rs, nil, err
	}
	if errors.Is(rs.ConfigErr, fs.ErrNotExist) {
		return rs, nil, rs.ConfigErr
	}
	findings := append([]schema.Finding(nil), rs.ConfigFindings...)
	switch {
	case errors.Is(rs.OwnersErr, fs.ErrNotExist):
		findings = append(findings, schema.Finding{
			Path: codeownersPath, Severity: schema.SeverityWarning,
			Message: "missing: no account has owners, so only the SSO admins can approve requests",
			Fix:     "add " + codeownersPath + " with a line like `/requests/<account>/ @org/team` per account",
		})
	case rs.OwnersErr != nil:
		findings = append(findings, codeownersErrorFindings(rs.OwnersErr)...)
	default:
		for _, w := range rs.Owners.Warnings() {
			findings = append(findings, warningFinding(w))
		}
	}
	return rs, findings, nil
}

// loadConfig reads and parses .github/jit.yaml (through loadRuleFiles). The
// error is for a config that cannot be read at all; parse problems come
// back as findings.
func loadConfig(ctx context.Context, src judgment.Files) (*schema.Config, []schema.Finding, error) {
	rs, _, err := loadRuleFiles(ctx, src)
	return rs.Config, rs.ConfigFindings, err
}

// codeownersErrorFindings turns owners.Parse's joined line errors into one
// finding each.
func codeownersErrorFindings(err error) []schema.Finding {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var findings []schema.Finding
	for _, e := range errs {
		var le *owners.LineError
		if errors.As(e, &le) {
			findings = append(findings, schema.Finding{
				Path: le.Path, Line: le.Line, Col: le.Column, Severity: schema.SeverityError,
				Message: le.Msg,
			})
			continue
		}
		findings = append(findings, schema.Finding{Path: codeownersPath, Severity: schema.SeverityError, Message: e.Error()})
	}
	return findings
}

// warningFinding turns an owners warning, "path:line:column: message", into
// a finding; a warning of another shape is kept whole.
func warningFinding(w string) schema.Finding {
	f := schema.Finding{Path: codeownersPath, Severity: schema.SeverityWarning, Message: w}
	parts := strings.SplitN(w, ":", 4)
	if len(parts) == 4 {
		line, err1 := strconv.Atoi(parts[1])
		col, err2 := strconv.Atoi(parts[2])
		if err1 == nil && err2 == nil {
			f.Path, f.Line, f.Col, f.Message = parts[0], line, col, strings.TrimSpace(parts[3])
		}
	}
	return f
}

// gitCLI runs git in a repository. Output is machine-readable (-z) so paths
// with any characters survive.
type gitCLI struct{ dir string }

func (g gitCLI) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

// checkRef makes sure ref names a commit, with an error that says how to get
// it when the checkout is shallow.
func (g gitCLI) checkRef(ctx context.Context, ref string) error {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return fmt.Errorf("%q is not a git revision", ref)
	}
	if _, err := g.run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}"); err != nil {
		return fmt.Errorf("cannot find the commit %q in %s; fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)", ref, g.dir)
	}
	return nil
}

// topLevel reports whether dir is the top folder of its repository; git
// paths in diffs and in REF:path are relative to it.
func (g gitCLI) topLevel(ctx context.Context) (bool, error) {
	out, err := g.run(ctx, "rev-parse", "--show-prefix")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "", nil
}

// blob reads path as it is at ref, at most limit bytes.
func (g gitCLI) blob(ctx context.Context, ref, path string, limit int64) ([]byte, error) {
	spec := ref + ":" + path
	out, err := g.run(ctx, "cat-file", "-t", spec)
	if err != nil {
		return nil, fmt.Errorf("%s is not in %s: %w", path, ref, fs.ErrNotExist)
	}
	if t := strings.TrimSpace(string(out)); t != "blob" {
		return nil, fmt.Errorf("%s in %s is a %s, not a file", path, ref, t)
	}
	data, err := g.run(ctx, "cat-file", "blob", spec)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		data = data[:limit]
	}
	return data, nil
}

// changedFiles lists what the branch changed since it left base
// (base...HEAD), with renames detected and file modes, as change.Files.
func (g gitCLI) changedFiles(ctx context.Context, base string) ([]change.File, error) {
	out, err := g.run(ctx, "diff", "--raw", "-z", "-M", "--no-relative", "--no-ext-diff", "--no-textconv",
		"--end-of-options", base+"...HEAD")
	if err != nil {
		return nil, err
	}
	return parseRawDiff(out)
}

// parseRawDiff reads `git diff --raw -z` output:
//
//	:SRCMODE DSTMODE SRCSHA DSTSHA STATUS NUL PATH NUL [PATH2 NUL]
//
// where renames and copies carry a score after the letter and two paths.
func parseRawDiff(out []byte) ([]change.File, error) {
	if len(out) == 0 {
		return nil, nil
	}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var files []change.File
	for i := 0; i < len(fields); {
		head := fields[i]
		meta := strings.Fields(strings.TrimPrefix(head, ":"))
		if !strings.HasPrefix(head, ":") || len(meta) != 5 || meta[4] == "" {
			return nil, fmt.Errorf("unexpected git diff --raw record %q", head)
		}
		srcMode, dstMode, letter := meta[0], meta[1], meta[4][0]
		paths := 1
		if letter == 'R' || letter == 'C' {
			paths = 2
		}
		if i+paths >= len(fields) || slices.Contains(fields[i+1:i+1+paths], "") {
			return nil, fmt.Errorf("git diff --raw record %q has no path", head)
		}
		f := change.File{Path: fields[i+paths], Mode: change.ParseMode(dstMode)}
		switch letter {
		case 'A':
			f.Status = change.Added
		case 'M':
			f.Status = change.Modified
		case 'T':
			f.Status = change.Changed
		case 'D':
			f.Status = change.Removed
			f.Mode = change.ParseMode(srcMode)
		case 'R':
			f.Status, f.PreviousPath = change.Renamed, fields[i+1]
		case 'C':
			f.Status, f.PreviousPath = change.Copied, fields[i+1]
		default:
			// Unmerged (U), unknown (X) and anything newer: Classify fails
			// closed on a status it does not know.
			f.Status = change.Status("git:" + string(letter))
		}
		files = append(files, f)
		i += 1 + paths
	}
	return files, nil
}
