package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/discover"
	"github.com/jit-access/jit/internal/initrepo"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/rolepolicy"
	"github.com/jit-access/jit/internal/version"
	"github.com/jit-access/jit/schema"
)

// initOptions is one run of jit init.
type initOptions struct {
	Dir             string
	Org             string
	Repo            string
	Admins          []string
	Region          string
	InstanceARN     string
	IdentityStoreID string
	Accounts        []string // NAME=ID
	PermissionSets  []string // NAME=ARN
	MaxDuration     string
	ActionRef       string
	// FromAWS reads the instance, permission sets and accounts from AWS.
	FromAWS bool
	// discovered is what --from-aws read.
	discovered []initrepo.Account
	sets       []initrepo.PermissionSet
	// Build is the running binary's build, which the workflows are pinned to.
	Build version.Info
	// SigningKey is where the private half of jit's signing key goes when
	// jit init generates it (its public half goes into .github/jit-signers);
	// "" for none.
	SigningKey string
}

// newInitCmd builds jit init; isTerminal decides whether missing values
// are asked for, build is the binary the workflows get pinned to.
func newInitCmd(isTerminal func(io.Reader) bool, build version.Info) *cobra.Command {
	o := initOptions{Build: build}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create an access repository: config, CODEOWNERS, workflows, the AWS role",
		Long: `Init writes a new access repository into DIR (default: the current folder):

  .github/jit.yaml                     the config, with the accounts and permission sets
  .github/CODEOWNERS                   the admins own .github/; a commented line per account
  .github/workflows/jit-validate.yml   checks request pull requests (no secrets)
  .github/workflows/jit-reconcile.yml  provisions, expires and revokes grants
  .github/workflows/jit-sync.yml       proposes the accounts and sets AWS gained or lost (jit sync)
  requests/README.md                   how to ask for access
  aws/provisioner-policy.json          the reconcile role's permissions (jit policy provisioner)
  aws/jit-role.template.json           CloudFormation: that role, its OIDC trust, and
                                       optionally GitHub's OIDC provider
  .github/jit-signers                  with --signing-key PATH: the public half of
                                       jit's signing key; its private key goes to PATH,
                                       outside the repository, for the secret
                                       JIT_SIGNING_KEY of the "jit" environment

The workflows use jit's published Action pinned to this binary's release (or
commit; --action-ref overrides it), and the schema lines point at that
release's schemas: the repository holds no Go source.

Init never overwrites a file: if one exists it writes nothing and exits 2,
naming it. When values are missing and stdin is a terminal it asks for them,
and offers to generate the signing key.`,
		Example: `  jit init --repo acme/access --admins @acme/sso-admins --region eu-west-1 \
    --instance-arn arn:aws:sso:::instance/ssoins-0123456789abcdef --identity-store-id d-0123456789 \
    --account payments-prod=111122223333 \
    --permission-set ReadOnlyAccess=arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef \
    access`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			return o.run(cmd.Context(), promptsOf(cmd, isTerminal), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Org, "org", "", "the GitHub organisation; --repo defaults to ORG/<DIR's name>")
	f.StringVar(&o.Repo, "repo", "", "the access repository on GitHub, OWNER/NAME (its workflows are trusted by the AWS role)")
	f.StringSliceVar(&o.Admins, "admins", nil, "the SSO admins, GitHub teams (@org/team) or users (@login), comma-separated")
	f.StringVar(&o.Region, "region", "", "the AWS region of IAM Identity Center")
	f.StringVar(&o.InstanceARN, "instance-arn", "", "the Identity Center instance (aws sso-admin list-instances)")
	f.StringVar(&o.IdentityStoreID, "identity-store-id", "", "the instance's identity store id (d-...)")
	f.StringArrayVar(&o.Accounts, "account", nil, "an account that can be requested, NAME=ID (repeatable)")
	f.StringArrayVar(&o.PermissionSets, "permission-set", nil, "a standard permission set, NAME=ARN (repeatable)")
	f.StringVar(&o.MaxDuration, "max-duration", "1d", "every account's longest access duration")
	f.BoolVar(&o.FromAWS, "from-aws", false, "read the instance, identity store, permission sets and accounts (with their OU paths) from AWS, with the default credential chain (AWS_ENDPOINT_URL is honoured)")
	f.StringVar(&o.ActionRef, "action-ref", "", "the ref of jit's Action the workflows use (default: this binary's release tag or commit)")
	f.StringVar(&o.SigningKey, "signing-key", "", "generate jit's signing key (ssh-keygen): its public half into .github/jit-signers, its private key into this file outside the repository, for the secret JIT_SIGNING_KEY")
	return cmd
}

func (o *initOptions) run(ctx context.Context, p *prompter, stdout, stderr io.Writer) error {
	if o.FromAWS && (len(o.Accounts) > 0 || len(o.PermissionSets) > 0) {
		return errors.New("--from-aws reads the accounts and permission sets from AWS: drop --account and --permission-set, or drop --from-aws")
	}
	if err := o.complete(p); err != nil {
		return err
	}
	if err := o.offerSigningKey(p); err != nil {
		return err
	}
	if o.FromAWS {
		if err := o.discover(ctx, stderr); err != nil {
			return err
		}
	}
	params, err := o.params()
	if err != nil {
		return err
	}
	files, err := initrepo.Files(params)
	if err != nil {
		return err
	}
	// What init writes must pass jit validate: check the config with the same
	// parser before anything is written.
	cfg, findings := schema.ParseConfig(initrepo.ConfigPath, files[initrepo.ConfigPath])
	if schema.HasErrors(findings) || cfg == nil {
		printFindings(stderr, findings)
		return fmt.Errorf("the config jit init would write has errors (above); nothing was written")
	}
	aws, err := initrepo.AWSFiles(o.Repo, cfg)
	if err != nil {
		return err
	}
	maps.Copy(files, aws)
	key, signers, err := o.signingKey(ctx)
	if err != nil {
		return err
	}
	if key != nil {
		files[ledger.SignersPath] = signers
	}

	written, err := initrepo.Write(o.Dir, files)
	if err != nil {
		var exists *initrepo.ExistsError
		if errors.As(err, &exists) {
			return fmt.Errorf("%s: %w", filepath.Join(o.Dir, filepath.FromSlash(exists.Path)), err)
		}
		return fmt.Errorf("%w (wrote %s; remove them and run jit init again)", err, strings.Join(written, ", "))
	}
	for _, w := range written {
		fmt.Fprintln(stdout, filepath.Join(o.Dir, filepath.FromSlash(w)))
	}
	if key != nil {
		if err := writeSigningKey(o.SigningKey, key); err != nil {
			return fmt.Errorf("writing the signing key to %s: %w (remove %s and run jit init again)", o.SigningKey, err, filepath.Join(o.Dir, filepath.FromSlash(ledger.SignersPath)))
		}
	}
	fmt.Fprintf(stderr, `jit: wrote an access repository for %s with %d accounts and %d permission sets, using %s/action@%s.
Next: deploy aws/jit-role.template.json (CloudFormation), push to %s, set the variables
JIT_AWS_ROLE_ARN, JIT_AWS_REGION, JIT_APP_ID and the secrets JIT_APP_PRIVATE_KEY and
JIT_SIGNING_KEY in its "%s" environment, and turn on the ruleset (see jit's README).
`, o.Repo, len(params.Accounts), len(params.PermissionSets), initrepo.DefaultActionRepo, params.ActionRef, o.Repo, rolepolicy.Environment)
	if key != nil {
		fmt.Fprintf(stderr, `jit: the signing key's private half is in %s and only there: store it as the
secret JIT_SIGNING_KEY of the "%s" environment, then delete the file:
  gh secret set JIT_SIGNING_KEY --env %s --repo %s < %s && rm %s
`, o.SigningKey, rolepolicy.Environment, rolepolicy.Environment, o.Repo, o.SigningKey, o.SigningKey)
	} else {
		fmt.Fprintf(stderr, `jit: no signing key was generated (--signing-key PATH does it): until %s is on
main, statuses there are taken as written; see jit's README, setup step 5.
`, ledger.SignersPath)
	}
	return nil
}

// complete fills what the flags left out: derived defaults first, then
// answers on a terminal; without one, it names the flags still missing.
func (o *initOptions) complete(p *prompter) error {
	if o.Repo == "" && o.Org != "" {
		abs, err := filepath.Abs(o.Dir)
		if err != nil {
			return err
		}
		o.Repo = o.Org + "/" + filepath.Base(abs)
	}
	questions := []struct {
		flag, question string
		missing        bool
		set            func(string)
	}{
		{"--repo", "The access repository on GitHub (OWNER/NAME)", o.Repo == "", func(s string) { o.Repo = s }},
		{"--admins", "SSO admins (@org/team or @login, comma-separated)", len(o.Admins) == 0, func(s string) { o.Admins = splitList(s) }},
		// --from-aws reads these from AWS (the region from the AWS config).
		{"--region", "AWS region of IAM Identity Center", o.Region == "" && !o.FromAWS, func(s string) { o.Region = s }},
		{"--instance-arn", "Identity Center instance ARN (aws sso-admin list-instances)", o.InstanceARN == "" && !o.FromAWS, func(s string) { o.InstanceARN = s }},
		{"--identity-store-id", "Identity store id (d-...)", o.IdentityStoreID == "" && !o.FromAWS, func(s string) { o.IdentityStoreID = s }},
		{"--account", "An account that can be requested (NAME=ID)", len(o.Accounts) == 0 && !o.FromAWS, func(s string) { o.Accounts = splitList(s) }},
		{"--permission-set", "A standard permission set (NAME=ARN)", len(o.PermissionSets) == 0 && !o.FromAWS, func(s string) { o.PermissionSets = splitList(s) }},
	}
	var missing []string
	for _, q := range questions {
		if !q.missing {
			continue
		}
		if !p.enabled {
			missing = append(missing, q.flag)
			continue
		}
		answer, err := p.ask(q.question)
		if err != nil {
			return err
		}
		q.set(answer)
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (jit init asks for them only on a terminal)", strings.Join(missing, ", "))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// params turns the options into what the repository is rendered from.
func (o *initOptions) params() (initrepo.Params, error) {
	ref := o.ActionRef
	if ref == "" {
		r, err := o.Build.ActionRef()
		if err != nil {
			return initrepo.Params{}, err
		}
		ref = r
	}
	p := initrepo.Params{
		Admins:          o.Admins,
		Region:          o.Region,
		InstanceARN:     o.InstanceARN,
		IdentityStoreID: o.IdentityStoreID,
		MaxDuration:     o.MaxDuration,
		ActionRef:       ref,
		Version:         o.Build.Version,
	}
	for _, a := range o.Accounts {
		name, id, ok := strings.Cut(a, "=")
		if !ok || name == "" || id == "" {
			return p, fmt.Errorf("--account %q: write NAME=ID, e.g. payments-prod=111122223333", a)
		}
		p.Accounts = append(p.Accounts, initrepo.Account{Name: name, ID: id})
	}
	for _, s := range o.PermissionSets {
		name, arn, ok := strings.Cut(s, "=")
		if !ok || name == "" || arn == "" {
			return p, fmt.Errorf("--permission-set %q: write NAME=ARN, e.g. ReadOnlyAccess=arn:aws:sso:::permissionSet/ssoins-.../ps-...", s)
		}
		p.PermissionSets = append(p.PermissionSets, initrepo.PermissionSet{Name: name, ARN: arn})
	}
	p.Accounts = append(p.Accounts, o.discovered...)
	p.PermissionSets = append(p.PermissionSets, o.sets...)
	sort.SliceStable(p.Accounts, func(i, j int) bool { return p.Accounts[i].Name < p.Accounts[j].Name })
	return p, nil
}

// discover reads the rest of the config from AWS: the default credential
// chain, the region from --region or the AWS config, and AWS_ENDPOINT_URL.
func (o *initOptions) discover(ctx context.Context, stderr io.Writer) error {
	var loadOpts []func(*config.LoadOptions) error
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return errors.New("--from-aws needs the region of IAM Identity Center: give --region or set AWS_REGION")
	}
	start := time.Now()
	res, err := discover.Run(ctx, cfg, discover.Options{InstanceARN: o.InstanceARN})
	if err != nil {
		return fmt.Errorf("reading from AWS: %w", err)
	}
	if o.IdentityStoreID != "" && o.IdentityStoreID != res.IdentityStoreID {
		return fmt.Errorf("--identity-store-id %s is not the identity store of %s (%s)", o.IdentityStoreID, res.InstanceARN, res.IdentityStoreID)
	}
	o.Region, o.InstanceARN, o.IdentityStoreID = cfg.Region, res.InstanceARN, res.IdentityStoreID
	ids := make([]string, len(res.Accounts))
	names := make([]string, len(res.Accounts))
	for i, a := range res.Accounts {
		ids[i], names[i] = a.ID, a.Name
	}
	for i, folder := range initrepo.FolderNames(ids, names) {
		a := res.Accounts[i]
		o.discovered = append(o.discovered, initrepo.Account{Name: folder, ID: a.ID, Path: a.Path, Management: a.Management})
	}
	for _, ps := range res.PermissionSets {
		o.sets = append(o.sets, initrepo.PermissionSet{Name: ps.Name, ARN: ps.ARN, SessionDuration: ps.SessionDuration})
	}
	fmt.Fprintf(stderr, "jit: read %d accounts and %d permission sets of %s from AWS in %d requests (%s)\n",
		len(res.Accounts), len(res.PermissionSets), res.InstanceARN, res.Calls, time.Since(start).Round(time.Millisecond))
	for _, skipped := range res.Inactive {
		fmt.Fprintf(stderr, "jit: left out account %s\n", skipped)
	}
	return nil
}
