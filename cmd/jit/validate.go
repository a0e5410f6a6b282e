package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// Output formats of jit validate.
const (
	formatText   = "text"
	formatJSON   = "json"
	formatGitHub = "github"
)

// newValidateCmd builds jit validate; getenv decides the automatic
// GitHub format and where the job summary goes, so tests need no real env.
func newValidateCmd(getenv func(string) string) *cobra.Command {
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

A request with extends: is checked against the grant it names as REF holds it
(the working tree without --base): the requester's own active grant, for the
same account and permission set, ending before the extension would.

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
	checkoutFlag(cmd, &v.repo)
	f := cmd.Flags()
	f.StringVar(&v.format, "format", formatText, "output format: text, json or github (default github when GITHUB_ACTIONS=true)")
	f.StringVar(&v.base, "base", "", "git revision of the base branch: check the change REF...HEAD and read the rules from REF")
	f.StringVar(&v.requester, "requester", "", "GitHub login of the requester (the pull request's author), checked against the config's users")
	rehearsalFlag(cmd, &v.now, "judge start_at and an extension's new end")
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
	now       timeFlag
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
		git                     = ledger.OpenCheckout(v.repo)
		changed  []change.File
		findings []schema.Finding
	)
	if v.base != "" {
		if err := git.ResolveCommit(ctx, v.base); err != nil {
			return err
		}
		top, err := git.IsTopLevel(ctx)
		if err != nil {
			return fmt.Errorf("--base needs a git repository: %w", err)
		}
		if !top {
			return fmt.Errorf("--repo %s is not the top folder of its git repository; --base compares whole repositories", v.repo)
		}
		changed, err = git.ChangedFiles(ctx, v.base)
		if err != nil {
			return fmt.Errorf("listing the change %s...HEAD: %w", v.base, err)
		}
		src = gitRefSource{git: git, ref: v.base}
	}

	rs, ruleFindings, err := loadRuleFiles(ctx, src)
	if err != nil {
		return err
	}
	cfg := rs.Config
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

	// extends: names a grant as the base branch holds it (the working tree
	// without --base).
	grants := judgment.NewFileGrants(ctx, src)
	// Each file is judged alone (FileGrants is safe to share), so the
	// files are judged on every core; the findings are sorted below.
	each := make([][]schema.Finding, len(targets))
	next := make(chan int, len(targets))
	for i := range targets {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(targets)) {
		wg.Go(func() {
			for i := range next {
				t := targets[i]
				each[i] = append(v.validateFile(t, cfg, grants), rs.OwnerFindings(t.rel)...)
			}
		})
	}
	wg.Wait()
	for _, fs := range each {
		findings = append(findings, fs...)
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

// validateFile reads one request file and validates it against the config.
func (v *validator) validateFile(t target, cfg *schema.Config, grants schema.Grants) []schema.Finding {
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
		Grants:      grants,
		Now:         v.now.t,
	})
	return findings
}
