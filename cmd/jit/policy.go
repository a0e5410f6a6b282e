package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/rolepolicy"
	"github.com/jit-access/jit/schema"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the IAM policies of the role the reconcile Action assumes",
		Args:  cobra.NoArgs,
	}
	var prov policyOptions
	provisioner := &cobra.Command{
		Use:   "provisioner",
		Short: "Print the role's permissions policy, generated from .github/jit.yaml",
		Long: `provisioner prints the permissions policy of the reconcile role for the
repository's config: read-only access to the instance; assignments only of
the configured permission sets and of sets tagged jit:managed; creating and
tagging only with jit's own tags; changing, provisioning and deleting only
sets tagged jit:managed; identitystore:GetUserId in the configured store;
kms:Decrypt of the instance's key when the config names one; and the IAM
permissions for the management account when the config allows requests for it.`,
		Args: cobra.NoArgs,
		RunE: runs(prov.provisioner),
	}
	checkoutFlag(provisioner, &prov.dir)

	var tr policyOptions
	trust := &cobra.Command{
		Use:   "trust",
		Short: "Print the role's OIDC trust policy for the access repository",
		Long: `trust prints the trust policy of the reconcile role: GitHub's OIDC provider
in --account may assume it for jobs of the repository --repo (OWNER/NAME)
that run in its "jit" environment. The partition comes from the instance ARN
in the config of --dir.`,
		Args: cobra.NoArgs,
		RunE: runs(tr.trust),
	}
	trust.Flags().StringVar(&tr.repo, "repo", "", "the access repository on GitHub, OWNER/NAME (required)")
	trust.Flags().StringVar(&tr.account, "account", "", "the AWS account id that holds the role and GitHub's OIDC provider (required)")
	trust.Flags().StringVar(&tr.dir, "dir", ".", "the access repository's clone, for the config")
	cmd.AddCommand(provisioner, trust)
	return cmd
}

type policyOptions struct {
	dir, repo, account string
}

// config reads the clone's config; findings with errors end the command.
func (o *policyOptions) config(ctx context.Context, stderr io.Writer) (*schema.Config, error) {
	cfg, findings, err := loadConfig(ctx, worktreeSource{dir: o.dir})
	if err != nil {
		return nil, err
	}
	if schema.HasErrors(findings) || cfg == nil {
		printFindings(stderr, findings)
		return nil, fmt.Errorf("%s has errors; fix them first", configPath)
	}
	return cfg, nil
}

func (o *policyOptions) provisioner(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := o.config(ctx, stderr)
	if err != nil {
		return err
	}
	doc, err := rolepolicy.Provisioner(cfg)
	if err != nil {
		return err
	}
	_, err = stdout.Write(doc.JSON())
	return err
}

func (o *policyOptions) trust(ctx context.Context, stdout, stderr io.Writer) error {
	if o.repo == "" || o.account == "" {
		return fmt.Errorf("--repo OWNER/NAME and --account ID are required")
	}
	cfg, err := o.config(ctx, stderr)
	if err != nil {
		return err
	}
	doc, err := rolepolicy.Trust(o.repo, o.account, cfg.Partition())
	if err != nil {
		return err
	}
	_, err = stdout.Write(doc.JSON())
	return err
}
