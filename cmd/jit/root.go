package main

import (
	"context"
	"io"
	"os"

	"github.com/jit-access/jit/internal/version"
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Every subcommand is constructed here,
// given the process's environment and terminal where it reads them (tests
// give their own), so that the whole surface of the binary can be read in
// one place.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "jit",
		Short:         "Just-in-time AWS access through GitHub pull requests",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command refuses a numeric environment variable that is
		// not a number, rather than treating it as missing.
		PersistentPreRunE: checkNumericEnv(os.Getenv),
		// --version prints the same line as `jit version`.
		Version: version.Read().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		// subcommands are registered here, one line each.
		newValidateCmd(os.Getenv),
		newNewCmd(stdinIsTerminal),
		newServeCmd(),
		newSweepCmd(),
		newReconcileCmd(),
		newStatusCmd(),
		newListCmd(os.Getenv),
		newCatalogCmd(),
		newAuditCmd(),
		newSandboxCmd(),
		newPolicyCmd(),
		newVersionCmd(),
		newInitCmd(stdinIsTerminal, version.Read()),
		newSyncCmd(os.Getenv),
		newAppCmd(),
	)
	// Accounts, permission sets and durations complete from the config.
	for _, c := range root.Commands() {
		completeFromConfig(c)
	}
	return root
}

// runs is the RunE of a command whose Options run function takes the
// command's context, standard output and standard error. The run function
// must have a pointer receiver, so that it sees the parsed flags.
func runs(run func(ctx context.Context, stdout, stderr io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
}
