// Package initrepo renders a new access repository: jit's configuration,
// CODEOWNERS, a README for requesters and the two workflows that run the
// published Action. It holds no Go source of jit: the workflows use the
// Action by reference, pinned to the release (or commit) of the jit that
// wrote them, and the schema lines point at that release's schemas.
package initrepo

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/jit-access/jit/internal/atomicfile"
	"github.com/jit-access/jit/internal/layout"
	"gopkg.in/yaml.v3"
)

// DefaultActionRepo is where jit's Action and schemas are published.
const DefaultActionRepo = "jit-access/jit"

// Paths of the files an access repository gets.
const (
	ConfigPath        = layout.ConfigPath
	CodeownersPath    = layout.CodeownersPath
	RequestsReadme    = "requests/README.md"
	ValidateWorkflow  = ".github/workflows/jit-validate.yml"
	ReconcileWorkflow = ".github/workflows/jit-reconcile.yml"
	SyncWorkflow      = ".github/workflows/jit-sync.yml"
)

// Account is one AWS account the repository offers.
type Account struct {
	// Name is the account's name in jit (its requests' folder).
	Name string
	// ID is the 12-digit account id.
	ID string
	// Path is where the account sits in AWS Organizations (Root/Workloads/Prod),
	// written as a comment for the admins; may be empty.
	Path string
	// Management marks the organisation's management account.
	Management bool
}

// PermissionSet is one standard permission set of the instance.
type PermissionSet struct {
	Name string
	ARN  string
	// SessionDuration is the set's session duration in AWS, written as a
	// comment; 0 when unknown.
	SessionDuration time.Duration
}

// Params is everything an access repository is rendered from.
type Params struct {
	// Admins are the SSO admins, as @login or @org/team.
	Admins          []string
	Region          string
	InstanceARN     string
	IdentityStoreID string
	Accounts        []Account
	PermissionSets  []PermissionSet
	// MaxDuration is every account's max_duration (default 1d).
	MaxDuration string
	// ActionRepo is the OWNER/NAME the Action and schemas come from
	// (default DefaultActionRepo); ActionRef the release tag or commit.
	ActionRepo string
	ActionRef  string
	// Version is the jit version that wrote the files, for their comments.
	Version string
	// Extra files to write as they are (the policies, the CloudFormation
	// template), by slash path.
	Extra map[string][]byte
}

//go:embed templates
var templates embed.FS

// Files renders the access repository, keyed by slash path. The config it
// writes is checked by the caller with schema.ParseConfig (see the tests).
func Files(p Params) (map[string][]byte, error) {
	if p.ActionRepo == "" {
		p.ActionRepo = DefaultActionRepo
	}
	if p.MaxDuration == "" {
		p.MaxDuration = "1d"
	}
	if err := check(p); err != nil {
		return nil, err
	}
	v := view{Params: p}
	for _, ps := range p.PermissionSets {
		v.PermissionSetNames = append(v.PermissionSetNames, ps.Name)
	}
	v.AdminOwners = strings.Join(p.Admins, " ")

	files := map[string][]byte{}
	for _, f := range []struct {
		path, tmpl string
		delims     [2]string
	}{
		{ConfigPath, "jit.yaml.tmpl", [2]string{"{{", "}}"}},
		{CodeownersPath, "CODEOWNERS.tmpl", [2]string{"{{", "}}"}},
		{RequestsReadme, "requests-README.md.tmpl", [2]string{"{{", "}}"}},
	} {
		b, err := render(f.tmpl, f.delims, v)
		if err != nil {
			return nil, err
		}
		files[f.path] = b
	}
	for _, wf := range workflows {
		b, err := render(wf.tmpl, workflowDelims, v)
		if err != nil {
			return nil, err
		}
		files[wf.path] = b
	}
	for path, b := range p.Extra {
		if _, dup := files[path]; dup {
			return nil, fmt.Errorf("extra file %s would replace a rendered one", path)
		}
		files[path] = b
	}
	return files, nil
}

// workflows are the access repository's workflows and their templates: the
// one list that Files and Workflows both render.
var workflows = []struct{ path, tmpl string }{
	{ValidateWorkflow, "jit-validate.yml.tmpl"},
	{ReconcileWorkflow, "jit-reconcile.yml.tmpl"},
	{SyncWorkflow, "jit-sync.yml.tmpl"},
}

// workflowDelims are the workflows' own placeholders: they are full of ${{ }}.
var workflowDelims = [2]string{"((", "))"}

// Workflows renders only the workflows, using the Action of repo (default
// DefaultActionRepo) at ref: the sandbox puts them into its access repository.
func Workflows(repo, ref, version string) (map[string][]byte, error) {
	if repo == "" {
		repo = DefaultActionRepo
	}
	p := Params{ActionRepo: repo, ActionRef: ref, Version: version}
	if !repoRE.MatchString(repo) || !refRE.MatchString(ref) || strings.Contains(ref, "..") {
		return nil, fmt.Errorf("action %s@%s is not OWNER/NAME@REF", repo, ref)
	}
	files := map[string][]byte{}
	for _, wf := range workflows {
		b, err := render(wf.tmpl, workflowDelims, view{Params: p})
		if err != nil {
			return nil, err
		}
		files[wf.path] = b
	}
	return files, nil
}

// RequestsREADME renders requests/README.md for requesters, pointing at the
// schemas of repo (default DefaultActionRepo) at ref.
func RequestsREADME(repo, ref string) ([]byte, error) {
	if repo == "" {
		repo = DefaultActionRepo
	}
	return render("requests-README.md.tmpl", [2]string{"{{", "}}"}, view{Params: Params{ActionRepo: repo, ActionRef: ref}})
}

// view is what the templates see.
type view struct {
	Params
	PermissionSetNames []string
	AdminOwners        string
}

// SchemaURL is where editors fetch the named schema (config or request) of
// the release the repository is pinned to.
func (v view) SchemaURL(name string) string {
	return fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/schema/%s.schema.json", v.ActionRepo, v.ActionRef, name)
}

func render(name string, delims [2]string, v view) ([]byte, error) {
	src, err := fs.ReadFile(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Delims(delims[0], delims[1]).Option("missingkey=error").Funcs(template.FuncMap{
		"q":    quote,
		"join": joinQuoted,
		"dur":  shortDuration,
	}).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// quote writes s as a YAML scalar that reads back as exactly s.
func quote(s string) (string, error) {
	b, err := yaml.Marshal(s)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// shortDuration writes 4h or 1h30m rather than 4h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func joinQuoted(items []string) (string, error) {
	out := make([]string, len(items))
	for i, s := range items {
		q, err := quote(s)
		if err != nil {
			return "", err
		}
		out[i] = q
	}
	return strings.Join(out, ", "), nil
}

var (
	ownerRE = regexp.MustCompile(`^@[A-Za-z0-9](-?[A-Za-z0-9])*(/[A-Za-z0-9._-]+)?$`)
	refRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)
)

// check refuses what would render a broken file: values that reach a
// comment or a workflow line must be single-line and well-formed. The
// config's own rules are the schema's, checked on the rendered file.
func check(p Params) error {
	var errs []error
	if len(p.Admins) == 0 {
		errs = append(errs, errors.New("no SSO admins: give --admins @org/team (or @login)"))
	}
	for _, a := range p.Admins {
		if !ownerRE.MatchString(a) {
			errs = append(errs, fmt.Errorf("admin %q is not a GitHub user (@login) or team (@org/team)", a))
		}
	}
	if len(p.Accounts) == 0 {
		errs = append(errs, errors.New("no accounts: give --account NAME=ID, or --from-aws to read them from AWS Organizations"))
	}
	if len(p.PermissionSets) == 0 {
		errs = append(errs, errors.New("no permission sets: give --permission-set NAME=ARN, or --from-aws to read them from IAM Identity Center"))
	}
	for _, a := range p.Accounts {
		if strings.ContainsAny(a.Name+a.ID+a.Path, "\r\n") {
			errs = append(errs, fmt.Errorf("account %q: names, ids and OU paths must be one line", a.Name))
		}
	}
	if !repoRE.MatchString(p.ActionRepo) {
		errs = append(errs, fmt.Errorf("action repository %q is not OWNER/NAME", p.ActionRepo))
	}
	if !refRE.MatchString(p.ActionRef) || strings.Contains(p.ActionRef, "..") {
		errs = append(errs, fmt.Errorf("action ref %q is not a tag, branch or commit", p.ActionRef))
	}
	if strings.ContainsAny(p.Version, "\r\n") {
		errs = append(errs, errors.New("version must be one line"))
	}
	return errors.Join(errs...)
}

// ExistsError names a file that init would have overwritten.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists with other content; jit init never overwrites a file: move it away or init another folder", e.Path)
}

// Write creates files under dir and returns the paths it created. It checks
// every path first and writes nothing if any exists with other content, so a
// refused init leaves the folder as it was. A file that already holds exactly
// what init would write is left alone, so an init interrupted half-way is
// completed by running it again. Each file is written to a temporary name and
// then linked into place, which fails rather than replace a file that
// appeared meanwhile, and never leaves a half-written file under its name.
func Write(dir string, files map[string][]byte) ([]string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var todo []string
	for _, p := range paths {
		have, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case err == nil && bytes.Equal(have, files[p]):
			continue
		case err == nil:
			return nil, &ExistsError{Path: p}
		case errors.Is(err, fs.ErrNotExist):
			todo = append(todo, p)
		default:
			// A folder or unreadable file in the way is not overwritten either.
			if _, serr := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); serr == nil {
				return nil, &ExistsError{Path: p}
			}
			return nil, fmt.Errorf("checking %s: %w", p, err)
		}
	}
	var written []string
	for _, p := range todo {
		if err := writeNew(filepath.Join(dir, filepath.FromSlash(p)), files[p]); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return written, &ExistsError{Path: p}
			}
			return written, fmt.Errorf("writing %s: %w", p, err)
		}
		written = append(written, p)
	}
	return written, nil
}

// writeNew writes data to path only if path does not exist.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Create(path, data, 0o644)
}

var notFolder = regexp.MustCompile(`[^a-z0-9._-]+`)

// FolderNames turns AWS account names into jit account names, which are
// folder names (lower-case letters, digits and . _ -, at most 63): invalid
// runs become "-", and a name that is empty or taken by an earlier account
// gets the account id appended. ids and names are parallel.
func FolderNames(ids, names []string) []string {
	out := make([]string, len(names))
	taken := map[string]bool{}
	for i, n := range names {
		f := strings.Trim(notFolder.ReplaceAllString(strings.ToLower(n), "-"), "-._")
		if len(f) > 50 {
			f = strings.TrimRight(f[:50], "-._")
		}
		switch {
		case f == "":
			f = "account-" + ids[i]
		case taken[f]:
			f += "-" + ids[i]
		}
		taken[f] = true
		out[i] = f
	}
	return out
}
