package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/app"
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

// appFlags are the GitHub App credentials shared by serve and sweep. Each
// flag falls back to an environment variable so that secrets need not be
// passed on the command line, where other users could read them.
type appFlags struct {
	appID          int64
	privateKeyFile string
	secretFile     string
	githubURL      string
}

func (f *appFlags) register(cmd *cobra.Command) {
	id, _ := strconv.ParseInt(os.Getenv("JIT_APP_ID"), 10, 64)
	cmd.Flags().Int64Var(&f.appID, "app-id", id, "GitHub App id (env JIT_APP_ID)")
	cmd.Flags().StringVar(&f.privateKeyFile, "private-key-file", os.Getenv("JIT_PRIVATE_KEY_FILE"), "PEM file of the App's private key (env JIT_PRIVATE_KEY_FILE; or the key itself in JIT_PRIVATE_KEY)")
	cmd.Flags().StringVar(&f.githubURL, "github-url", envOr("JIT_GITHUB_URL", "https://api.github.com/"), "GitHub REST API root (env JIT_GITHUB_URL), e.g. https://ghe.example.com/api/v3/")
}

func (f *appFlags) options(log *slog.Logger) (app.Options, error) {
	key, err := privateKey(os.Getenv, f.privateKeyFile)
	if err != nil {
		return app.Options{}, err
	}
	if len(key) == 0 {
		return app.Options{}, errors.New("the App's private key is missing: set --private-key-file, JIT_PRIVATE_KEY_FILE or JIT_PRIVATE_KEY")
	}
	return app.Options{AppID: f.appID, PrivateKey: key, BaseURL: f.githubURL, Logger: log}, nil
}

// webhookSecret reads the secret from a file or JIT_WEBHOOK_SECRET.
func webhookSecret(file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the webhook secret: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	return []byte(os.Getenv("JIT_WEBHOOK_SECRET")), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
