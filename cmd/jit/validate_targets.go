package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/schema"
)

// listTargets expands PATHs (default requests/) to request files. Symbolic
// links and other special files are findings, never followed.
func (v *validator) listTargets(changed []change.File) ([]target, []schema.Finding, error) {
	added := map[string]bool{}
	for _, f := range changed {
		if f.Status == change.Added || f.Status == change.Copied {
			added[f.Path] = true
		}
	}
	newTarget := func(rel string) target {
		if v.base == "" {
			return target{rel: rel, allowStatus: true, requester: v.requester}
		}
		if added[rel] {
			return target{rel: rel, requester: v.requester}
		}
		return target{rel: rel, allowStatus: true}
	}

	paths := v.paths
	defaulted := len(paths) == 0
	if defaulted {
		paths = []string{requestsDir}
	}
	var (
		targets  []target
		findings []schema.Finding
		seen     = map[string]bool{}
	)
	for _, p := range paths {
		rel, err := v.relPath(p)
		if err != nil {
			return nil, nil, err
		}
		full := filepath.Join(v.repo, filepath.FromSlash(rel))
		st, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) && defaulted {
			continue // a fresh repository has no requests yet
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		if !st.IsDir() {
			if !seen[rel] {
				seen[rel] = true
				switch {
				case !isYAMLName(rel):
					findings = append(findings, notRequestFile(rel))
				case st.Mode().IsRegular():
					targets = append(targets, newTarget(rel))
				default:
					findings = append(findings, notRegular(rel, st.Mode()))
				}
			}
			continue
		}
		err = filepath.WalkDir(full, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			r, err := filepath.Rel(v.repo, fp)
			if err != nil {
				return err
			}
			r = filepath.ToSlash(r)
			if d.IsDir() || seen[r] {
				return nil
			}
			seen[r] = true
			if !isYAMLName(r) {
				return nil // READMEs and .gitkeep files live in requests/ too
			}
			if !d.Type().IsRegular() {
				findings = append(findings, notRegular(r, d.Type()))
				return nil
			}
			targets = append(targets, newTarget(r))
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", p, err)
		}
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].rel < targets[j].rel })
	return targets, findings, nil
}

// relPath turns a PATH argument into a slash path relative to the
// repository, refusing paths that leave it.
func (v *validator) relPath(p string) (string, error) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(v.repo, p)
	}
	rel, err := filepath.Rel(v.repo, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository %s", p, v.repo)
	}
	return filepath.ToSlash(rel), nil
}

func isYAMLName(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// notRequestFile is the finding for a named file that cannot be a request
// (jit validate README.md): request files are YAML.
func notRequestFile(rel string) schema.Finding {
	return schema.Finding{
		Path: rel, Severity: schema.SeverityError,
		Message: "is not a request file: request files are YAML files at requests/<account>/<name>.yaml",
		Fix:     "pass a request file, or no path to check every file under requests/",
	}
}

func notRegular(rel string, m fs.FileMode) schema.Finding {
	return schema.Finding{
		Path: rel, Severity: schema.SeverityError,
		Message: "is a " + modeName(m) + "; a request file must be a regular file",
		Fix:     "replace it with the request's YAML itself",
	}
}
