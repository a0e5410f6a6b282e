package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// Output formats of jit validate.
const (
	formatText   = "text"
	formatJSON   = "json"
	formatGitHub = "github"
)

// newValidateCmd is jit validate wired to the process environment.
func newValidateCmd() *cobra.Command { return newValidateCmdWith(os.Getenv) }

// newValidateCmdWith builds jit validate; getenv decides the automatic
// GitHub format and where the job summary goes, so tests need no real env.
func newValidateCmdWith(getenv func(string) string) *cobra.Command {
	v := &validator{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "validate [flags] [PATH...]",
		Short: "Check request files, the configuration and a pull request's change",
		Long: `Validate checks request files against .github/jit.yaml and reports every
problem as PATH:LINE:COL: SEVERITY: MESSAGE, sorted, with the fix when one is known.

PATHs are files or folders relative to --repo (default: requests/). Without
--base, the rules are read from the working tree and every file may carry a
status: block, because merged requests have one (the reconcile Action writes it).

With --base REF, jit also checks the change REF...HEAD the way the GitHub App
does: the rules (.github/jit.yaml, .github/CODEOWNERS) are read from REF, never
from the working tree, so a pull request cannot loosen its own rules; a request
adds exactly one new regular file requests/<account>/<name>.yaml; files the change
adds must not have a status: block; editing, renaming or removing an existing
request file is an error; anything else is reported as needing SSO admin review.
Without PATHs, --base validates the request files the change adds or edits.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 jit could not
run (bad flags, missing or invalid configuration).`,
		Example: `  jit validate
  jit validate --base origin/main --requester octocat
  jit validate --format json requests/payments-prod/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("format") {
				v.format = formatText
				if getenv("GITHUB_ACTIONS") == "true" {
					v.format = formatGitHub
				}
			}
			v.paths = args
			return v.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&v.repo, "repo", ".", "top folder of the access repository")
	f.StringVar(&v.format, "format", formatText, "output format: text, json or github (default github when GITHUB_ACTIONS=true)")
	f.StringVar(&v.base, "base", "", "git revision of the base branch: check the change REF...HEAD and read the rules from REF")
	f.StringVar(&v.requester, "requester", "", "GitHub login of the requester (the pull request's author), checked against the config's users")
	return cmd
}

// validator holds one run of jit validate.
type validator struct {
	getenv    func(string) string
	repo      string
	format    string
	base      string
	requester string
	paths     []string
}

// target is one request file to validate.
type target struct {
	rel         string // slash path relative to the repository
	allowStatus bool
	requester   string
}

func (v *validator) run(ctx context.Context, stdout, stderr io.Writer) error {
	switch v.format {
	case formatText, formatJSON, formatGitHub:
	default:
		return fmt.Errorf("unknown --format %q: use text, json or github", v.format)
	}
	if st, err := os.Stat(v.repo); err != nil || !st.IsDir() {
		return fmt.Errorf("--repo %s is not a folder", v.repo)
	}

	var (
		src      judgment.Files = worktreeSource{dir: v.repo}
		git                     = gitCLI{dir: v.repo}
		changed  []change.File
		findings []schema.Finding
	)
	if v.base != "" {
		if err := git.checkRef(ctx, v.base); err != nil {
			return err
		}
		top, err := git.topLevel(ctx)
		if err != nil {
			return fmt.Errorf("--base needs a git repository: %w", err)
		}
		if !top {
			return fmt.Errorf("--repo %s is not the top folder of its git repository; --base compares whole repositories", v.repo)
		}
		changed, err = git.changedFiles(ctx, v.base)
		if err != nil {
			return fmt.Errorf("listing the change %s...HEAD: %w", v.base, err)
		}
		src = gitRefSource{git: git, ref: v.base}
	}

	rs, ruleFindings, err := loadRuleFiles(ctx, src)
	if err != nil {
		return err
	}
	cfg, rules := rs.Config, rs.Owners
	if rs.ConfigErr != nil {
		if err := v.report(stdout, rs.ConfigFindings, 0); err != nil {
			return err
		}
		return fmt.Errorf("%s in %s has errors; fix them before validating requests", configPath, src.Describe())
	}
	findings = append(findings, ruleFindings...)

	var targets []target
	if v.base != "" {
		findings = append(findings, judgment.ChangeFindings(changed, fmt.Sprintf("this change (%s...HEAD)", v.base))...)
	}
	if len(v.paths) == 0 && v.base != "" {
		targets = v.changedTargets(changed)
	} else {
		var pathFindings []schema.Finding
		targets, pathFindings, err = v.listTargets(changed)
		if err != nil {
			return err
		}
		findings = append(findings, pathFindings...)
	}

	for _, t := range targets {
		findings = append(findings, v.validateFile(t, cfg)...)
		if rules != nil {
			findings = append(findings, ownerCoverage(rules, t.rel)...)
		}
	}

	schema.SortFindings(findings)
	if err := v.report(stdout, findings, len(targets)); err != nil {
		return err
	}
	fmt.Fprintln(stderr, summaryLine(findings, len(targets)))
	if schema.HasErrors(findings) {
		return &exitError{code: 1}
	}
	return nil
}

// changedTargets picks the request files a change adds or edits, in the
// working tree. Files the change adds must not carry a status block; files
// that already existed on the base branch may.
func (v *validator) changedTargets(files []change.File) []target {
	var targets []target
	for _, f := range files {
		if f.Status == change.Removed || !change.InRequests(f.Path) || !isYAMLName(f.Path) {
			continue
		}
		if f.Mode != change.ModeRegular && f.Mode != change.ModeExecutable {
			continue // reported by changeFindings; never read through a link
		}
		added := f.Status == change.Added || f.Status == change.Copied
		t := target{rel: f.Path, allowStatus: !added}
		if added {
			t.requester = v.requester
		}
		targets = append(targets, t)
	}
	return targets
}

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

// validateFile reads one request file and validates it against the config.
func (v *validator) validateFile(t target, cfg *schema.Config) []schema.Finding {
	data, err := readRegularFile(filepath.Join(v.repo, filepath.FromSlash(t.rel)), maxRequestRead)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "is not in the working tree; check out the change before validating it"
		}
		return []schema.Finding{{Path: t.rel, Severity: schema.SeverityError, Message: msg}}
	}
	// No GitHub here: team membership that cannot be checked is a warning;
	// the App checks it on the pull request.
	_, findings := schema.ValidateRequest(t.rel, data, cfg, schema.CheckOptions{
		Requester:   t.requester,
		AllowStatus: t.allowStatus,
		Offline:     true,
	})
	return findings
}

// ownerCoverage warns when no CODEOWNERS rule gives a request's folder an
// owner: GitHub then requests no review and only SSO admins can approve.
func ownerCoverage(rules *owners.Rules, rel string) []schema.Finding {
	if !change.InRequests(rel) || len(rules.Owners(rel)) > 0 {
		return nil
	}
	folder := path.Dir(rel)
	return []schema.Finding{{
		Path: rel, Line: 1, Col: 1, Severity: schema.SeverityWarning,
		Message: "no " + codeownersPath + " rule gives " + folder + "/ an owner, so only the SSO admins can approve this request",
		Fix:     "add `/" + folder + "/ @org/team` to " + codeownersPath,
	}}
}

// report writes findings in the chosen format.
func (v *validator) report(w io.Writer, findings []schema.Finding, files int) error {
	switch v.format {
	case formatJSON:
		return writeJSONFindings(w, findings)
	case formatGitHub:
		return writeGitHubFindings(w, v.getenv, findings, files)
	}
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, findingLine(f)); err != nil {
			return fmt.Errorf("writing findings: %w", err)
		}
	}
	return nil
}

// findingLine is Finding.String, shortened for findings about a whole file
// (no line) or about the whole change (no path).
func findingLine(f schema.Finding) string {
	if f.Line > 0 {
		return f.String()
	}
	s := fmt.Sprintf("%s: %s", f.Severity, f.Message)
	if f.Path != "" {
		s = f.Path + ": " + s
	}
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// jsonFinding is a finding's JSON shape, stable for tools.
type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

func writeJSONFindings(w io.Writer, findings []schema.Finding) error {
	out := make([]jsonFinding, 0, len(findings))
	for _, f := range findings {
		out = append(out, jsonFinding{f.Path, f.Line, f.Col, string(f.Severity), f.Message, f.Fix})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

// writeGitHubFindings writes workflow annotations and, when the runner gives
// a summary file, a job summary. go-githubactions panics when it cannot
// write; that becomes an error here.
func writeGitHubFindings(w io.Writer, getenv func(string) string, findings []schema.Finding, files int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub annotations: %v", r)
		}
	}()
	action := githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(getenv))
	for _, f := range findings {
		fields := map[string]string{"title": "jit " + string(f.Severity)}
		if f.Path != "" {
			fields["file"] = f.Path
		}
		if f.Line > 0 {
			fields["line"] = strconv.Itoa(f.Line)
			fields["col"] = strconv.Itoa(f.Col)
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		a := action.WithFieldsMap(fields)
		switch f.Severity {
		case schema.SeverityError:
			a.Errorf("%s", msg)
		case schema.SeverityWarning:
			a.Warningf("%s", msg)
		default:
			a.Noticef("%s", msg)
		}
	}
	if getenv("GITHUB_STEP_SUMMARY") != "" {
		action.AddStepSummary(strings.TrimSuffix(markdownSummary(findings, files), "\n"))
	}
	return nil
}

// markdownSummary is the job summary: the counts, then a table of findings.
func markdownSummary(findings []schema.Finding, files int) string {
	var b strings.Builder
	b.WriteString("### jit validate\n\n")
	b.WriteString(summaryLine(findings, files) + "\n")
	if len(findings) == 0 {
		return b.String()
	}
	b.WriteString("\n| | File | Line | Message | Fix |\n| --- | --- | --- | --- | --- |\n")
	icon := map[schema.Severity]string{schema.SeverityError: "❌ error", schema.SeverityWarning: "⚠️ warning"}
	for _, f := range findings {
		sev, ok := icon[f.Severity]
		if !ok {
			sev = "💡 " + string(f.Severity)
		}
		line := ""
		if f.Line > 0 {
			line = fmt.Sprintf("%d:%d", f.Line, f.Col)
		}
		file := ""
		if f.Path != "" {
			file = "`" + strings.ReplaceAll(f.Path, "`", "'") + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", sev, mdCell(file), line, mdCell(f.Message), mdCell(f.Fix))
	}
	return b.String()
}

// mdCell keeps a value inside one markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// summaryLine counts files and findings by severity.
func summaryLine(findings []schema.Finding, files int) string {
	counts := map[schema.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
	}
	parts := []string{
		plural(counts[schema.SeverityError], "error"),
		plural(counts[schema.SeverityWarning], "warning"),
	}
	if n := counts[schema.SeveritySuggestion]; n > 0 {
		parts = append(parts, plural(n, "suggestion"))
	}
	return fmt.Sprintf("jit validate: %s checked, %s", plural(files, "request file"), strings.Join(parts, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
