package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/catalog"
)

func newCatalogCmd() *cobra.Command {
	var o catalogOptions
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Write the request page as static files (for GitHub Pages)",
		Long: `catalog --html DIR writes the request page that jit serve serves at /
as static files: index.html, page.js, request.js, page.css and catalog.json, made from
.github/jit.yaml and .github/CODEOWNERS of --repo. The page is the catalog as
a form; it writes the request file and opens GitHub's "new file" page, so the
requester opens the pull request as themselves. It holds no secret.

A static copy has no linter of its own: pass --lint-url with the /lint of a
jit serve (started with --page-repo) to show the linter's findings as the
requester types; the pull request's check validates the file in any case.

Exit status: 0 written, 2 jit could not run.`,
		Example: `  jit catalog --html site --github-repo acme/aws-access
  jit catalog --html site --github-repo acme/aws-access --lint-url https://jit.acme.example/lint`,
		Args: cobra.NoArgs,
		RunE: runs(o.run),
	}
	checkoutFlag(cmd, &o.repo)
	f := cmd.Flags()
	f.StringVar(&o.html, "html", "", "folder to write the page to (required)")
	f.StringVar(&o.githubRepo, "github-repo", os.Getenv("GITHUB_REPOSITORY"), "the access repository on GitHub, OWNER/NAME (env GITHUB_REPOSITORY)")
	f.StringVar(&o.branch, "branch", "main", "the branch request pull requests go to")
	f.StringVar(&o.webURL, "web-url", "https://github.com", "GitHub's web address (an Enterprise server's own)")
	f.StringVar(&o.lintURL, "lint-url", "", "the /lint of a jit serve, for findings as the requester types")
	return cmd
}

type catalogOptions struct {
	repo, html, githubRepo, branch, webURL, lintURL string
}

func (o *catalogOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.html == "" {
		return errors.New("--html DIR is required: the folder to write the page to")
	}
	if o.githubRepo == "" {
		return errors.New("--github-repo OWNER/NAME is required: the page links to that repository's new-file page")
	}
	cfg, rules, err := loadRules(ctx, o.repo, stderr)
	if err != nil {
		return err
	}
	p, err := catalog.NewPage(cfg, catalog.Options{Owners: rules}, o.githubRepo, o.branch, o.webURL)
	if err != nil {
		return err
	}
	p.Lint = o.lintURL
	if err := catalog.WriteStatic(o.html, p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the request page to %s (open %s/index.html, or publish the folder with GitHub Pages)\n", o.html, strings.TrimSuffix(o.html, "/"))
	return nil
}

// pageNow is the request page's clock in jit serve: start_at is linted
// against the time of the request.
func pageNow() time.Time { return time.Now() }
