package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/atomicfile"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// newNewCmd builds jit new; isTerminal decides whether missing flags
// are asked for on the command's input or reported as an error.
func newNewCmd(isTerminal func(io.Reader) bool) *cobra.Command {
	var o newOptions
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Write a new request file",
		Long: `New writes requests/<account>/<name>.yaml from flags, validated against
.github/jit.yaml before it is written. It never overwrites a file.

A standard request needs --account, --permission-set, --duration and
--justification; --emergency asks for break-glass access and --start-at
schedules the access. --extends PATH asks for more time on your active grant
whose request file is PATH, for the same account and permission set. A custom permission set replaces --permission-set with
--custom NAME, --session-duration and at least one --managed-policy or an
--inline-policy FILE (JSON or YAML). --name defaults to words of the
justification. When flags are missing and stdin is a terminal, jit asks for them.

Exit status: 0 written, 1 the request has errors (nothing written), 2 jit
could not run (missing flags, no configuration, the file exists).`,
		Example: `  jit new --account payments-prod --permission-set ReadOnlyAccess --duration 4h \
    --justification "INC-1234: investigating elevated 5xx rates"
  jit new --account payments-prod --custom S3Read --managed-policy AmazonS3ReadOnlyAccess \
    --session-duration 1h --duration 4h --justification "INC-1234: read the export bucket"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), promptsOf(cmd, isTerminal), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	checkoutFlag(cmd, &o.repo)
	f := cmd.Flags()
	f.StringVar(&o.account, "account", "", "account name or 12-digit id from .github/jit.yaml")
	f.StringVar(&o.permissionSet, "permission-set", "", "a standard permission set the account offers")
	f.StringVar(&o.duration, "duration", "", "access duration: "+strings.Join(schema.DurationNames(), " "))
	f.StringVar(&o.justification, "justification", "", "why you need the access (at least 10 characters)")
	f.StringVar(&o.name, "name", "", "file name without .yaml (default: from the justification)")
	f.StringVar(&o.custom, "custom", "", "define a custom permission set with this name instead of --permission-set")
	f.StringArrayVar(&o.managedPolicies, "managed-policy", nil, "AWS managed policy name or ARN for --custom (repeatable)")
	f.StringVar(&o.inlinePolicy, "inline-policy", "", "file with an IAM policy document (JSON or YAML) for --custom")
	f.StringVar(&o.sessionDuration, "session-duration", "", "session duration for --custom, 1h..12h")
	f.BoolVar(&o.emergency, "emergency", false, "break-glass access: approved at once for the config's emergency requesters, reviewed after")
	f.StringVar(&o.startAt, "start-at", "", "start the access at this RFC 3339 time (at most 30 days ahead) instead of on merge")
	f.StringVar(&o.extends, "extends", "", "extend your active grant whose request file is at this path (requests/<account>/<name>.yaml) instead of asking for new access")
	f.BoolVar(&o.pr, "pr", false, "also open the pull request: branch, commit and pull request through the GitHub API with your token (GITHUB_TOKEN, GH_TOKEN or gh's login)")
	f.StringVar(&o.githubRepo, "github-repo", "", "with --pr: the access repository on GitHub, OWNER/NAME (default: from the origin remote)")
	githubURLFlag(cmd, &o.githubURL, "with --pr: ")
	rehearsalFlag(cmd, &o.now, "judge --start-at")
	return cmd
}

// newOptions are jit new's flags.
type newOptions struct {
	repo            string
	account         string
	permissionSet   string
	duration        string
	justification   string
	name            string
	custom          string
	managedPolicies []string
	inlinePolicy    string
	sessionDuration string
	emergency       bool
	startAt         string
	extends         string
	now             timeFlag
	pr              bool
	githubRepo      string
	githubURL       string
}

func (o *newOptions) run(ctx context.Context, p *prompter, stdout, stderr io.Writer) error {
	if o.custom != "" && o.permissionSet != "" {
		return errors.New("--permission-set and --custom exclude each other: a request uses a standard set or defines one")
	}
	if o.custom == "" && (len(o.managedPolicies) > 0 || o.inlinePolicy != "" || o.sessionDuration != "") {
		return errors.New("--managed-policy, --inline-policy and --session-duration define a custom permission set: add --custom NAME")
	}
	cfg, cfgFindings, err := loadConfig(ctx, worktreeSource{dir: o.repo})
	if err != nil {
		return err
	}
	if schema.HasErrors(cfgFindings) || cfg == nil {
		printFindings(stderr, cfgFindings)
		return fmt.Errorf("%s has errors; fix them first", configPath)
	}

	if missing := o.missing(); len(missing) > 0 {
		if !p.enabled {
			return fmt.Errorf("missing %s (stdin is not a terminal, so jit new cannot ask)", strings.Join(missing, ", "))
		}
		if err := o.ask(p, cfg); err != nil {
			return err
		}
	}

	var policy string
	if o.inlinePolicy != "" {
		policy, err = readPolicyFile(o.inlinePolicy)
		if err != nil {
			return err
		}
	}
	data := schema.RenderRequest(o.draft(policy), requestSchemaComment(o.repo))

	name, auto := o.name, o.name == ""
	if auto {
		name = schema.RequestSlug(o.justification)
	}
	rel := layout.RequestPath(o.account, name)
	if _, _, err := change.SplitRequestPath(rel); err != nil {
		return fmt.Errorf("%s %v; choose another --account or --name", rel, err)
	}

	// extends: is checked against the grant as this clone holds it; the
	// App checks it again against main.
	_, findings := schema.ValidateRequest(rel, data, cfg, schema.CheckOptions{Offline: true, Now: o.now.t,
		Grants: judgment.NewFileGrants(ctx, worktreeSource{dir: o.repo})})
	schema.SortFindings(findings)
	printFindings(stderr, findings)
	if schema.HasErrors(findings) {
		return &exitError{code: 1, err: fmt.Errorf("%s not written: the request has errors", rel)}
	}

	dir := filepath.Join(o.repo, requestsDir, o.account)
	if err := makeRequestDir(o.repo, o.account); err != nil {
		return err
	}
	for i := 2; ; i++ {
		err = atomicfile.Create(filepath.Join(dir, name+".yaml"), data, 0o644)
		if errors.Is(err, fs.ErrExist) && o.pr && sameFile(filepath.Join(dir, name+".yaml"), data) {
			// An earlier jit new --pr wrote it and stopped before the pull
			// request: carry on from there.
			err = nil
		}
		if !errors.Is(err, fs.ErrExist) || !auto || i > 99 {
			break
		}
		// A derived name may clash with an older request; the folder is
		// the account's, so a counter keeps names readable.
		name = fmt.Sprintf("%s-%d", schema.RequestSlug(o.justification), i)
	}
	rel = layout.RequestPath(o.account, name)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; jit new never overwrites a request: choose another --name", rel)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", rel)
	if o.pr {
		return o.openPR(ctx, rel, data, stdout)
	}
	fmt.Fprintf(stdout, "next: commit it on a new branch and open a pull request that adds only this file\n")
	return nil
}

// missing lists the flags that still need a value.
func (o *newOptions) missing() []string {
	var m []string
	if o.account == "" {
		m = append(m, "--account")
	}
	if o.custom == "" && o.permissionSet == "" {
		m = append(m, "--permission-set (or --custom)")
	}
	if o.custom != "" {
		if o.sessionDuration == "" {
			m = append(m, "--session-duration")
		}
		if len(o.managedPolicies) == 0 && o.inlinePolicy == "" {
			m = append(m, "--managed-policy or --inline-policy")
		}
	}
	if o.duration == "" {
		m = append(m, "--duration")
	}
	if o.justification == "" {
		m = append(m, "--justification")
	}
	return m
}

// customChoice is the permission set choice that defines a custom set.
const customChoice = "custom"

// ask prompts for every missing value, offering the config's choices.
func (o *newOptions) ask(p *prompter, cfg *schema.Config) error {
	var err error
	if o.account == "" {
		var choices []choice
		for _, a := range cfg.Accounts {
			choices = append(choices, choice{value: a.Name, note: a.ID})
		}
		if o.account, err = p.choose("Account", choices); err != nil {
			return err
		}
	}
	acct, _ := cfg.Account(o.account)
	if o.custom == "" && o.permissionSet == "" {
		var choices []choice
		if acct != nil {
			for _, ps := range acct.PermissionSets {
				choices = append(choices, choice{value: ps})
			}
		}
		choices = append(choices, choice{value: customChoice, note: "define a permission set for this request"})
		ps, err := p.choose("Permission set", choices)
		if err != nil {
			return err
		}
		if ps != customChoice {
			o.permissionSet = ps
		} else if o.custom, err = p.ask("Custom permission set name (created as JIT-<name>)"); err != nil {
			return err
		}
	}
	if o.custom != "" {
		if o.sessionDuration == "" {
			var choices []choice
			for _, d := range schema.DurationNames() {
				if dur, err := schema.ParseDuration(d); err == nil && dur <= 12*time.Hour {
					choices = append(choices, choice{value: d})
				}
			}
			if o.sessionDuration, err = p.choose("Session duration (how long one sign-in lasts)", choices); err != nil {
				return err
			}
		}
		if len(o.managedPolicies) == 0 && o.inlinePolicy == "" {
			list, err := p.ask("AWS managed policies, separated by commas (empty for none)")
			if err != nil {
				return err
			}
			for _, s := range strings.Split(list, ",") {
				if s = strings.TrimSpace(s); s != "" {
					o.managedPolicies = append(o.managedPolicies, s)
				}
			}
			if len(o.managedPolicies) == 0 {
				if o.inlinePolicy, err = p.ask("Inline policy file (JSON or YAML)"); err != nil {
					return err
				}
			}
		}
	}
	if o.duration == "" {
		var choices []choice
		limit := cfg.MaxDuration(o.account, o.permissionSet)
		for _, d := range schema.DurationNames() {
			if dur, err := schema.ParseDuration(d); err == nil && (limit == 0 || dur <= limit) {
				choices = append(choices, choice{value: d})
			}
		}
		if o.duration, err = p.choose("Access duration", choices); err != nil {
			return err
		}
	}
	if o.justification == "" {
		if o.justification, err = p.ask("Justification (why, e.g. a ticket and what you will do)"); err != nil {
			return err
		}
	}
	return nil
}
