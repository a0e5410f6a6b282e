package main

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/catalog"
)

// completeFromConfig registers shell completion (jit completion bash|zsh|
// fish|powershell) for the flags of cmd that name something of the config:
// --account (names and ids), --permission-set (the account's sets when
// --account is given) and --duration (up to the cap of the account and
// set given). Flags cmd lacks are skipped. The config is read from --repo.
func completeFromConfig(cmd *cobra.Command) {
	complete := func(flag string, values func(c *catalog.Catalog, account, set string) []string) {
		if cmd.Flags().Lookup(flag) == nil {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
			c := completionCatalog(cmd)
			if c == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			account, _ := cmd.Flags().GetString("account")
			set, _ := cmd.Flags().GetString("permission-set")
			var out []string
			for _, v := range values(c, account, set) {
				if strings.HasPrefix(v, prefix) {
					out = append(out, v)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		})
	}
	complete("account", func(c *catalog.Catalog, _, _ string) []string {
		var out []string
		for _, a := range c.Accounts {
			out = append(out, a.Name+"\t"+a.ID, a.ID+"\t"+a.Name)
		}
		return out
	})
	complete("permission-set", func(c *catalog.Catalog, account, _ string) []string {
		var out []string
		seen := map[string]bool{}
		for _, a := range c.Accounts {
			if account != "" && account != a.Name && account != a.ID {
				continue
			}
			for _, s := range a.PermissionSets {
				if !seen[s.Name] {
					seen[s.Name] = true
					out = append(out, s.Name)
				}
			}
		}
		return out
	})
	complete("duration", func(c *catalog.Catalog, account, set string) []string {
		for _, a := range c.Accounts {
			if account != a.Name && account != a.ID {
				continue
			}
			if set == "" {
				return a.Custom.Durations
			}
			for _, s := range a.PermissionSets {
				if s.Name == set {
					return s.Durations
				}
			}
		}
		return c.Durations
	})
}

// completionCatalog reads the config of --repo for completion; nil when it
// cannot be read (completion then offers nothing rather than failing).
func completionCatalog(cmd *cobra.Command) *catalog.Catalog {
	repo, _ := cmd.Flags().GetString("repo")
	if repo == "" {
		repo = "."
	}
	cfg, _, err := loadRules(context.Background(), repo, io.Discard)
	if err != nil {
		return nil
	}
	c, err := catalog.Build(cfg, catalog.Options{})
	if err != nil {
		return nil
	}
	return c
}
