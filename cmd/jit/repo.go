package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/owners"
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
	git ledger.Checkout
	ref string
}

func (s gitRefSource) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, err := s.git.FileAt(ctx, s.ref, path, maxRuleFileSize)
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
// as the App and the reconcile do, with their problems as findings
// (Rules.Findings). The error is for a config that cannot be read at all.
func loadRuleFiles(ctx context.Context, src judgment.Files) (judgment.Rules, []schema.Finding, error) {
	rs, err := judgment.LoadRules(ctx, src)
	if err != nil {
		return rs, nil, err
	}
	if errors.Is(rs.ConfigErr, fs.ErrNotExist) {
		return rs, nil, rs.ConfigErr
	}
	return rs, rs.Findings(), nil
}

// loadConfig reads and parses .github/jit.yaml (through loadRuleFiles). The
// error is for a config that cannot be read at all; parse problems come
// back as findings.
func loadConfig(ctx context.Context, src judgment.Files) (*schema.Config, []schema.Finding, error) {
	rs, _, err := loadRuleFiles(ctx, src)
	return rs.Config, rs.ConfigFindings, err
}
