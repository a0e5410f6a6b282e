package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// timeFlag is an RFC 3339 time flag; zero when not given.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want a time like 2026-11-23T10:00:00Z")
	}
	f.t = t
	return nil
}

func (f *timeFlag) Type() string { return "time" }

// The flags below mean the same in every command that has them, so they are
// defined, and worded, once.

// checkoutFlag is --repo of a command that reads the access repository's
// checkout.
func checkoutFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "repo", ".", "top folder of the access repository's checkout")
}

// githubURLFlag is --github-url of a command that calls GitHub with the
// user's token (github.com unless given); when says when it calls GitHub,
// "" for always.
func githubURLFlag(cmd *cobra.Command, p *string, when string) {
	cmd.Flags().StringVar(p, "github-url", "", when+"GitHub Enterprise Server's API URL, e.g. https://ghe.example.com/api/v3/ (default: github.com)")
}

// rehearsalFlag is --now of a command that judges times against the clock:
// judged says what it judges at the given time instead.
func rehearsalFlag(cmd *cobra.Command, p *timeFlag, judged string) {
	cmd.Flags().Var(p, "now", judged+" at this RFC 3339 time instead of the clock, for a rehearsal")
}
