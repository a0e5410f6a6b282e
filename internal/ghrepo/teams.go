package ghrepo

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// TeamMembers is the one call a Teams resolver makes.
type TeamMembers interface {
	IsTeamMember(ctx context.Context, org, slug, user string) (bool, error)
}

// Teams resolves "@org/team" entries of owners, admins and requesters for
// one evaluation, with one API call per (team, user). It implements
// approval.Teams and schema.Teams; the reconcile uses it too, so that both
// read memberships alike.
type Teams struct {
	ctx context.Context
	m   TeamMembers
	mu  sync.Mutex
	got map[string]bool
}

// NewTeams returns a resolver that asks m, within ctx.
func NewTeams(ctx context.Context, m TeamMembers) *Teams {
	return &Teams{ctx: ctx, m: m, got: map[string]bool{}}
}

// IsMember reports whether user is an active member of team ("@org/slug"
// or "org/slug").
func (t *Teams) IsMember(team, user string) (bool, error) {
	key := strings.ToLower(team + "|" + user)
	t.mu.Lock()
	v, ok := t.got[key]
	t.mu.Unlock()
	if ok {
		return v, nil
	}
	org, slug, found := strings.Cut(strings.TrimPrefix(team, "@"), "/")
	if !found {
		return false, fmt.Errorf("team %q is not written as @org/team", team)
	}
	v, err := t.m.IsTeamMember(t.ctx, org, slug, user)
	if err != nil {
		return false, err
	}
	t.mu.Lock()
	t.got[key] = v
	t.mu.Unlock()
	return v, nil
}
