package githubemu

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hmarr/codeowners"
)

// GitHub asks the code owners of a pull request's changed files to review
// it by itself. From "About code owners" (docs.github.com/en/repositories/
// managing-your-repositorys-settings-and-features/customizing-your-
// repository/about-code-owners):
//
//	"Code owners are automatically requested for review when someone opens
//	a pull request that modifies code that they own. Code owners are not
//	automatically requested to review draft pull requests. [...] When you
//	mark a draft pull request as ready for review, code owners are
//	automatically notified."
//
//	"The people you choose as code owners must have write permissions for
//	the repository."
//
//	"To use a CODEOWNERS file, create a new file called CODEOWNERS in the
//	root, docs/, or .github/ directory of the repository, in the branch
//	where you'd like to add the code owners." [...] "For code owners to
//	receive review requests, the CODEOWNERS file must be on the base branch
//	of the pull request."
//
// GitHub reads the first of .github/CODEOWNERS, CODEOWNERS and
// docs/CODEOWNERS, and the last matching pattern of a file wins.
var codeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// opened is what GitHub sends when pull request pr was just opened:
// "opened", then, unless it is a draft, the code owners' review requests.
// The "opened" payload is built first, so that, as often on GitHub, it does
// not yet list them.
func (s *Server) opened(ctx context.Context, rp *repo, pr *pull) ([]pendingEvent, error) {
	evs := []pendingEvent{s.pullEvent(ctx, rp, pr, "opened", pr.author, nil)}
	s.mu.Lock()
	draft := pr.draft
	s.mu.Unlock()
	if draft {
		return evs, nil
	}
	asked, err := s.requestCodeOwners(ctx, rp, pr, pr.author)
	return append(evs, asked...), err
}

// readyForReview marks draft pull request pr ready for review, as actor
// (GitHub's GraphQL markPullRequestReadyForReview, which the REST API does
// not offer): "ready_for_review", then the code owners' review requests.
func (s *Server) readyForReview(ctx context.Context, rp *repo, pr *pull, actor string) ([]pendingEvent, error) {
	s.mu.Lock()
	switch {
	case pr.state != "open":
		s.mu.Unlock()
		return nil, statusErr(422, "pull request #%d is not open", pr.number)
	case !pr.draft:
		s.mu.Unlock()
		return nil, statusErr(422, "pull request #%d is not a draft", pr.number)
	}
	pr.draft = false
	pr.updated = s.now()
	s.mu.Unlock()
	evs := []pendingEvent{s.pullEvent(ctx, rp, pr, "ready_for_review", actor, nil)}
	asked, err := s.requestCodeOwners(ctx, rp, pr, actor)
	return append(evs, asked...), err
}

// requestCodeOwners asks the code owners of pr's changed files to review,
// by the base branch's CODEOWNERS: the teams of the repository's
// organisation and the users with write access, never the author. It
// returns the review_requested events, sent by actor.
func (s *Server) requestCodeOwners(ctx context.Context, rp *repo, pr *pull, actor string) ([]pendingEvent, error) {
	x := s.pullGit(ctx, rp, pr, false)
	rules, err := s.codeowners(ctx, rp, x.base)
	if err != nil || rules == nil {
		return nil, err
	}
	s.mu.Lock()
	from, err := s.diffBaseSnapshot(rp, pr)
	s.mu.Unlock()
	if err == nil && from == "" {
		from, err = rp.git.mergeBase(ctx, x.base, x.head)
	}
	if err != nil {
		return nil, err
	}
	files, err := rp.git.diff(ctx, from, x.head)
	if err != nil {
		return nil, err
	}
	var owners []codeowners.Owner
	for _, f := range files {
		for _, path := range []string{f.path, f.previous} {
			if path == "" {
				continue
			}
			rule, err := rules.Match(path)
			if err != nil {
				return nil, fmt.Errorf("matching %s against CODEOWNERS: %w", path, err)
			}
			if rule != nil {
				owners = append(owners, rule.Owners...)
			}
		}
	}
	var users, teams []string
	s.mu.Lock()
	for _, o := range owners {
		switch o.Type {
		case codeowners.TeamOwner:
			org, slug, _ := strings.Cut(o.Value, "/")
			t := s.teams[key(rp.owner, slug)]
			if strings.EqualFold(org, rp.owner) && t != nil && !slices.Contains(teams, t.slug) {
				teams = append(teams, t.slug)
			}
			continue
		case codeowners.EmailOwner:
			o.Value = s.loginForEmailLocked(o.Value)
		}
		u := s.userLocked(o.Value)
		if u == nil || strings.EqualFold(u.login, pr.author) || slices.Contains(users, u.login) {
			continue
		}
		switch s.permissionLocked(rp, u.login) {
		case "admin", "maintain", "write":
			users = append(users, u.login)
		}
	}
	s.mu.Unlock()
	if len(users)+len(teams) == 0 {
		return nil, nil
	}
	return s.requestReviewers(ctx, rp, pr, actor, users, teams, false)
}

// codeowners reads the CODEOWNERS file GitHub uses at commit base; nil
// when there is none. Like GitHub, it skips a line it cannot parse (GitHub
// shows the error on the file) and keeps the others.
func (s *Server) codeowners(ctx context.Context, rp *repo, base string) (*codeowners.Ruleset, error) {
	for _, path := range codeownersPaths {
		entries, err := rp.git.lsTree(ctx, base, path, false)
		if err != nil {
			return nil, err
		}
		if len(entries) != 1 || entries[0].path != path || entries[0].typ != "blob" {
			continue
		}
		data, err := rp.git.blob(ctx, entries[0].oid)
		if err != nil {
			return nil, err
		}
		var rules codeowners.Ruleset
		for line := range bytes.Lines(data) {
			if r, err := codeowners.ParseFile(bytes.NewReader(line)); err == nil {
				rules = append(rules, r...)
			}
		}
		return &rules, nil
	}
	return nil, nil
}

// permissionLocked is login's role on rp: the one set for it, else admin
// for the organisation's owner, write for a member of one of its teams,
// read for anyone else.
func (s *Server) permissionLocked(rp *repo, login string) string {
	if perm := rp.permissions[strings.ToLower(login)]; perm != "" {
		return perm
	}
	switch s.association(rp, login) {
	case "OWNER":
		return "admin"
	case "MEMBER":
		return "write"
	}
	return "read"
}
