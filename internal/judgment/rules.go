package judgment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// Files reads the rule files as they are on the base branch: through the
// GitHub API at a ref (the App), from the checked-out main (the reconcile),
// or from a git revision or the working tree (the CLI).
type Files interface {
	// ReadFile returns path's content; an error that wraps fs.ErrNotExist
	// when there is no such file.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// Describe names where the files come from ("main", "origin/main",
	// "the working tree"), for messages.
	Describe() string
}

// Rules are the config and CODEOWNERS of the base branch, never of the pull
// request, so that a pull request cannot loosen its own rules.
type Rules struct {
	// Config is nil when the config is missing or cannot be parsed.
	Config *schema.Config
	// ConfigFindings are what parsing the config found.
	ConfigFindings []schema.Finding
	// ConfigErr says why Config cannot be used: missing, or with errors.
	ConfigErr error
	// Owners is nil when CODEOWNERS is missing or invalid.
	Owners *owners.Rules
	// OwnersErr says why CODEOWNERS names no owners; only SSO admins may
	// then approve. It wraps fs.ErrNotExist when the file is missing, or
	// is owners.Parse's error.
	OwnersErr error
}

// LoadRules reads and parses the config and CODEOWNERS from files. The error
// is for a file that could not be read for another reason than being
// missing (the API or git failed): try again later.
func LoadRules(ctx context.Context, files Files) (Rules, error) {
	var r Rules
	where := files.Describe()
	config, found, err := read(ctx, files, layout.ConfigPath, where)
	if err != nil {
		return r, err
	}
	if !found {
		r.ConfigErr = missing(fmt.Sprintf("no %s in %s: jit needs the access repository's configuration (see README.md)", layout.ConfigPath, where))
	} else if r.Config, r.ConfigFindings = schema.ParseConfig(layout.ConfigPath, config); r.Config == nil || schema.HasErrors(r.ConfigFindings) {
		r.ConfigErr = fmt.Errorf("%s on %s is invalid: %s", layout.ConfigPath, where, schema.ErrorText(r.ConfigFindings))
	}
	codeowners, found, err := read(ctx, files, layout.CodeownersPath, where)
	if err != nil {
		return r, err
	}
	if !found {
		r.OwnersErr = missing(fmt.Sprintf("%s is missing on %s: only SSO admins may approve", layout.CodeownersPath, where))
	} else {
		r.Owners, r.OwnersErr = owners.Parse(layout.CodeownersPath, codeowners)
	}
	return r, nil
}

// read reads one rule file. A missing file is not an error (found is
// false); the error is for a file that could not be read for another
// reason.
func read(ctx context.Context, files Files, path, where string) (data []byte, found bool, err error) {
	data, err = files.ReadFile(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading %s on %s: %w", path, where, err)
	}
	return data, true, nil
}

// OwnersOf returns the owners of path, none when CODEOWNERS is unusable.
func (r Rules) OwnersOf(path string) []string {
	if r.OwnersErr != nil || r.Owners == nil {
		return nil
	}
	return r.Owners.Owners(path)
}

// missing is the error of a rule file that is not there: it says so, and
// is fs.ErrNotExist for errors.Is.
type missing string

func (m missing) Error() string        { return string(m) }
func (m missing) Is(target error) bool { return target == fs.ErrNotExist }
