// Package teamstest holds a hand-written fake of the GitHub team lookups
// that the approval policy and the request policies ask through their
// Teams interfaces, for the tests of both.
package teamstest

import "strings"

// Teams resolves membership from a map of "org/slug" (lower case) to logins
// and counts the lookups. With Err set every lookup fails with it.
type Teams struct {
	Members map[string][]string
	Err     error
	Calls   int
}

// IsMember reports whether user is in team; team names and logins ignore
// case, as on GitHub.
func (f *Teams) IsMember(team, user string) (bool, error) {
	f.Calls++
	if f.Err != nil {
		return false, f.Err
	}
	for _, m := range f.Members[strings.ToLower(team)] {
		if strings.EqualFold(m, user) {
			return true, nil
		}
	}
	return false, nil
}
