package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/schema"
)

// bobRequest is what bob writes on the request page: the page's script
// writes it with the rules of schema.RenderRequest, byte for byte.
var bobRequest = string(schema.RenderRequest(schema.Draft{Account: "payments-staging", PermissionSet: "ReadOnlyAccess",
	Duration: "1h", Justification: "OPS-77: check the staging settlement job after the deploy"}, ""))

// catalogPage: bob asks what he may request, as `jit list --requester bob`
// does with his own GitHub token, then writes the request on the request
// page the App's server serves (as jit serve --page-repo): the page lints
// it and links to GitHub's new-file page with the file filled in.
func (s *Story) catalogPage(ctx context.Context) error {
	w := s.w
	repo := ghrepo.Repo{Owner: Org, Name: RepoName}
	cfg, rules, _, err := w.App.RepoRules(ctx, repo)
	if err != nil {
		return err
	}
	token, err := w.GitHub.UserToken("bob")
	if err != nil {
		return err
	}
	client, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(w.GitHubURL, w.GitHubURL)
	if err != nil {
		return err
	}
	c, err := catalog.Build(cfg, catalog.Options{Requester: "bob", Teams: ghrepo.NewTeams(ctx, ghrepo.Members(client)), Owners: rules})
	if err != nil {
		return err
	}
	var text bytes.Buffer
	if err := catalog.WriteText(&text, c.Requestable()); err != nil {
		return err
	}
	s.say("bob", "jit list --requester bob")
	shown := false
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(line, "payments-staging") {
			shown = true
		}
		if shown && line == "" {
			break
		}
		if shown {
			s.say("", "  %s", line)
		}
	}
	if !strings.Contains(text.String(), "auto-approved when: requester in @acme/sso-admins; at most 1h [applies to you]") {
		return fmt.Errorf("jit list does not show bob the SSO admins' auto-approval rule:\n%s", text.String())
	}

	res, err := http.Get(w.PageURL + "catalog.json")
	if err != nil {
		return fmt.Errorf("loading the request page's catalog: %w", err)
	}
	var page catalog.Page
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("the request page's catalog.json: HTTP %d, %v", res.StatusCode, err)
	}
	s.say("bob", "opens the request page %s: payments-staging, ReadOnlyAccess, 1h, \"OPS-77: ...\"", w.PageURL)
	lint, err := http.Post(w.PageURL+"lint?path="+url.QueryEscape(bobPath), "text/plain", strings.NewReader(bobRequest))
	if err != nil {
		return err
	}
	var findings []catalog.LintFinding
	err = json.NewDecoder(lint.Body).Decode(&findings)
	lint.Body.Close()
	if err != nil || len(findings) > 0 {
		return fmt.Errorf("the page's linter refused bob's request: %v %+v", err, findings)
	}
	s.PageLink = page.NewFileURL(bobPath, bobRequest)
	s.say("page", "no findings; \"Create the pull request on GitHub\" opens %s", shorten(s.PageLink, 90))
	return nil
}

// linkedFile is the file a new-file link fills in.
func linkedFile(link string) (path, content string, err error) {
	u, err := url.Parse(link)
	if err != nil || !strings.HasSuffix(u.Path, "/"+Org+"/"+RepoName+"/new/main") {
		return "", "", fmt.Errorf("%q is not the new-file page of %s/%s on main", link, Org, RepoName)
	}
	return u.Query().Get("filename"), u.Query().Get("value"), nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
