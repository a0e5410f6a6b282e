package main

import (
	"fmt"
	"io"

	"github.com/jit-access/jit/internal/version"
	"github.com/spf13/cobra"
)

// versionOptions holds what `jit version` needs: the build to describe.
type versionOptions struct {
	Info version.Info
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print jit's version, the commit it was built from and that commit's date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.OutOrStdout(), versionOptions{Info: version.Read()})
		},
	}
}

func runVersion(out io.Writer, opts versionOptions) error {
	_, err := fmt.Fprintln(out, opts.Info.String())
	return err
}
