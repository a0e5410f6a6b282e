package schema

import (
	"errors"
	"strings"
)

// MatchRequesters decides whether login is in a requesters list (of an
// account, a permission set, an auto_approve rule, emergency, owners or
// admins): a user entry ("@login", compared ignoring case, as GitHub does)
// or a team entry ("@org/team") that member says login belongs to. Users
// are compared first, then teams are asked in the list's order. It is the
// one place this rule is decided: validation, the approval engine and the
// request catalog all call it.
//
// match is the entry that matched, "" when none did. unchecked are the team
// entries whose membership could not be read, and err the first such error:
// with no match and some unchecked entries, the answer is unknown and a
// caller that must decide fails closed. A nil member checks users only and
// reports every team entry as unchecked with ErrNoTeams.
func MatchRequesters(entries []string, login string, member func(team, user string) (bool, error)) (match string, unchecked []string, err error) {
	login = strings.TrimPrefix(login, "@")
	if login == "" {
		return "", nil, nil
	}
	for _, e := range entries {
		if !strings.Contains(e, "/") && strings.EqualFold(strings.TrimPrefix(e, "@"), login) {
			return e, nil, nil
		}
	}
	for _, e := range entries {
		team := strings.TrimPrefix(e, "@")
		if !strings.Contains(team, "/") {
			continue
		}
		var ok bool
		var merr error
		if member == nil {
			merr = ErrNoTeams
		} else {
			ok, merr = member(team, login)
		}
		if merr != nil {
			unchecked = append(unchecked, e)
			if err == nil {
				err = merr
			}
			continue
		}
		if ok {
			return e, nil, nil
		}
	}
	return "", unchecked, err
}

// ErrNoTeams says that team membership could not be checked because no
// team lookup (a GitHub token) is at hand.
var ErrNoTeams = errors.New("no team lookup is available")
