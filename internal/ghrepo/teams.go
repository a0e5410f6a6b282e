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
	// rosters are the members of the teams Prefetch listed, by lower-case
	// "org/slug".
	rosters map[string]map[string]bool
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
	if roster, listed := t.rosters[strings.ToLower(strings.TrimPrefix(team, "@"))]; listed && !ok {
		v, ok = roster[strings.ToLower(user)], true
	}
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

// TeamRosters lists a team's members, for resolvers that read whole teams
// ahead of the questions.
type TeamRosters interface {
	// TeamMembers returns the logins of the team's active members, child
	// teams' included, as GitHub's membership check counts them; ok is
	// false when the team is too large to list in a few pages.
	TeamMembers(ctx context.Context, org, slug string) (members []string, ok bool, err error)
}

// Prefetch reads the rosters of teams ("@org/slug") at once, so that the
// decision that follows finds its questions answered instead of asking one
// (team, user) after the other. A roster answers every user's question with
// one request, which GitHub revalidates with a 304 that does not count
// against the rate limit; a per-user check of a non-member is a 404 that
// always counts. A team that cannot be listed (too large, or an error) is
// left to IsMember, which asks per user and reports errors where the
// decision needs the answer.
func (t *Teams) Prefetch(teams []string) {
	rl, ok := t.m.(TeamRosters)
	if !ok {
		return
	}
	var wg sync.WaitGroup
	for _, team := range teams {
		org, slug, found := strings.Cut(strings.TrimPrefix(team, "@"), "/")
		if !found {
			continue
		}
		wg.Go(func() {
			members, ok, err := rl.TeamMembers(t.ctx, org, slug)
			if err != nil || !ok {
				return
			}
			set := make(map[string]bool, len(members))
			for _, m := range members {
				set[strings.ToLower(m)] = true
			}
			t.mu.Lock()
			if t.rosters == nil {
				t.rosters = map[string]map[string]bool{}
			}
			t.rosters[strings.ToLower(org+"/"+slug)] = set
			t.mu.Unlock()
		})
	}
	wg.Wait()
}
