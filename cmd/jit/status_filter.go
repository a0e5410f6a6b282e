package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// filters resolves --mine to a login and --account to a matcher. Both
// read the config of the clone: --mine maps git's user.email through its
// users, and an --account the config does not know is an error rather
// than an empty list that looks like "no grants".
func (o *statusOptions) filters(ctx context.Context, repo *ledger.Repo) error {
	o.onAccount = func(a string) bool { return strings.EqualFold(a, o.account) }
	if !o.mine && o.account == "" {
		return nil
	}
	if o.mine && o.user != "" {
		return fmt.Errorf("--mine and --user exclude each other")
	}
	cfg, findings, err := loadConfig(ctx, worktreeSource{dir: repo.Dir()})
	if err != nil {
		return err
	}
	if cfg == nil || schema.HasErrors(findings) {
		return fmt.Errorf("%s has errors (jit validate shows them), so --mine and --account cannot be checked", configPath)
	}
	if o.account != "" {
		acct, ok := cfg.Account(o.account)
		if !ok {
			var names []string
			for _, a := range cfg.Accounts {
				names = append(names, a.Name)
			}
			return fmt.Errorf("--account %q is not an account of %s: use one of %s", o.account, configPath, strings.Join(names, ", "))
		}
		// Requests name the account or its id; either matches.
		o.onAccount = func(a string) bool { return strings.EqualFold(a, acct.Name) || a == acct.ID }
	}
	if o.mine {
		// Plain git: the ledger runs git as the jit bot.
		email, err := ledger.OpenCheckout(repo.Dir()).Config(ctx, "user.email")
		if err != nil || email == "" {
			return fmt.Errorf("--mine: git has no user.email here; set it (git config user.email) or pass --user LOGIN")
		}
		login, err := loginForEmail(cfg, email)
		if err != nil {
			return err
		}
		o.user = login
	}
	return nil
}

// noreplyEmail is GitHub's private commit email: [ID+]LOGIN@users.noreply.github.com.
var noreplyEmail = regexp.MustCompile(`^(?:[0-9]+\+)?([A-Za-z0-9][A-Za-z0-9-]*)@users\.noreply\.github\.com$`)

// loginForEmail maps git's user.email to a GitHub login: GitHub's noreply
// address names it; otherwise the config's users entry whose Identity
// Center user name is the email (what users map logins to).
func loginForEmail(cfg *schema.Config, email string) (string, error) {
	if m := noreplyEmail.FindStringSubmatch(email); m != nil {
		return m[1], nil
	}
	logins := cfg.Logins(email)
	switch len(logins) {
	case 0:
		return "", fmt.Errorf("--mine: git's user.email %s is no Identity Center user under users: in %s; pass --user LOGIN", email, configPath)
	case 1:
		return logins[0], nil
	}
	return "", fmt.Errorf("--mine: git's user.email %s belongs to several logins in %s (%s); pass --user LOGIN", email, configPath, strings.Join(logins, ", "))
}

// statusJSON is one grant of jit status --format json.
type statusJSON struct {
	State         string     `json:"state"`
	Account       string     `json:"account"`
	PermissionSet string     `json:"permission_set"`
	Custom        bool       `json:"custom,omitempty"`
	User          string     `json:"user,omitempty"`
	Duration      string     `json:"duration"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Left          string     `json:"left,omitempty"`
	PullRequest   int        `json:"pull_request,omitempty"`
	Request       string     `json:"request"`
}

func writeStatusJSON(w io.Writer, rows []statusRow) error {
	out := make([]statusJSON, 0, len(rows))
	for _, r := range rows {
		j := statusJSON{State: r.state, Account: r.account, PermissionSet: strings.TrimSuffix(r.set, " (custom)"), Custom: r.custom,
			User: strings.TrimPrefix(r.user, "-"), Duration: r.duration, Left: strings.TrimPrefix(r.left, "-"), PullRequest: r.prNumber, Request: r.path}
		if !r.at.IsZero() {
			at := r.at.UTC()
			j.ExpiresAt = &at
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
