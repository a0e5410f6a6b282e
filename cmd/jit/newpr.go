package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/jit-access/jit/internal/ghauth"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/propose"
	"github.com/jit-access/jit/schema"
)

// openPR is jit new --pr: the request file goes to GitHub as a branch, a
// commit and a pull request made with the requester's own token, so the
// pull request is theirs.
func (o *newOptions) openPR(ctx context.Context, rel string, data []byte, stdout io.Writer) error {
	repo, err := o.prRepo(ctx)
	if err != nil {
		return err
	}
	host, err := ghauth.Host(o.githubURL)
	if err != nil {
		return err
	}
	if _, err := ghauth.Find(os.Getenv, host); err != nil {
		return fmt.Errorf("--pr: %w; the file is written, run the same command again once you have one", err)
	}
	c, err := userClient(os.Getenv, o.githubURL)
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(path.Base(rel), ".yaml")
	set := o.permissionSet
	if o.custom != "" {
		set = "custom " + o.custom
	}
	title := fmt.Sprintf("%s on %s for %s", set, o.account, o.duration)
	if o.emergency {
		title = "Emergency: " + title
	}
	u, err := propose.Open(ctx, c, repo, propose.Request{
		Path: rel, Content: data, Branch: schema.RequestBranch(o.account, name), Title: title,
		Body: strings.TrimSpace(o.justification) + "\n\nOpened with `jit new --pr`.",
	})
	if err != nil {
		return fmt.Errorf("%w; the file is written, run the same command again to finish", err)
	}
	fmt.Fprintf(stdout, "opened %s\n", u)
	return nil
}

// prRepo is --github-repo, or the repository the origin remote points at.
func (o *newOptions) prRepo(ctx context.Context) (ghrepo.Repo, error) {
	return githubRepoOf(ctx, o.repo, o.githubRepo, "--pr")
}

// githubRepoOf is flag (OWNER/NAME), or the repository the origin remote of
// the checkout dir points at; cmd names the command for the error.
func githubRepoOf(ctx context.Context, dir, flag, cmd string) (ghrepo.Repo, error) {
	if flag != "" {
		r, err := ghrepo.Parse(flag)
		if err != nil {
			return r, fmt.Errorf("--github-repo %w", err)
		}
		return r, nil
	}
	remote, err := ledger.OpenCheckout(dir).RemoteURL(ctx, "origin")
	if err != nil {
		return ghrepo.Repo{}, fmt.Errorf("%s needs the repository on GitHub: pass --github-repo OWNER/NAME (no origin remote: %v)", cmd, err)
	}
	return repoFromRemote(remote)
}

// repoFromRemote reads OWNER/NAME from a remote URL:
// https://github.com/OWNER/NAME(.git), git@github.com:OWNER/NAME(.git) or
// ssh://git@github.com/OWNER/NAME(.git).
func repoFromRemote(remote string) (ghrepo.Repo, error) {
	p := remote
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		p = u.Path
	} else if _, after, ok := strings.Cut(remote, ":"); ok && !strings.Contains(remote, "://") {
		p = after // scp-like git@host:OWNER/NAME
	}
	parts := strings.Split(strings.Trim(strings.TrimSuffix(p, ".git"), "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return ghrepo.Repo{}, fmt.Errorf("cannot tell OWNER/NAME from the origin remote %q: pass --github-repo", remote)
	}
	return ghrepo.Repo{Owner: parts[len(parts)-2], Name: parts[len(parts)-1]}, nil
}

// sameFile reports whether path holds exactly data.
func sameFile(path string, data []byte) bool {
	got, err := readRegularFile(path, int64(len(data))+1)
	return err == nil && bytes.Equal(got, data)
}
