package schema

import (
	"errors"
	"slices"
	"testing"
)

func TestMatchRequesters(t *testing.T) {
	teams := map[string][]string{"acme/oncall": {"bob"}, "acme/leads": {"carol"}}
	member := func(team, user string) (bool, error) {
		if team == "acme/broken" {
			return false, errors.New("HTTP 502")
		}
		return slices.Contains(teams[team], user), nil
	}
	for _, tc := range []struct {
		name      string
		entries   []string
		login     string
		member    func(team, user string) (bool, error)
		match     string
		unchecked []string
		err       bool
	}{
		{name: "user entry, any case", entries: []string{"@Alice"}, login: "alice", member: member, match: "@Alice"},
		{name: "login written with @", entries: []string{"@alice"}, login: "@alice", member: member, match: "@alice"},
		{name: "user before teams", entries: []string{"@acme/oncall", "@bob"}, login: "bob", member: member, match: "@bob"},
		{name: "team member", entries: []string{"@acme/leads", "@acme/oncall"}, login: "bob", member: member, match: "@acme/oncall"},
		{name: "nobody", entries: []string{"@alice", "@acme/oncall"}, login: "dave", member: member},
		{name: "empty login matches nothing", entries: []string{"@alice"}, login: "", member: member},
		{name: "broken team, no match", entries: []string{"@acme/broken", "@acme/oncall"}, login: "dave", member: member,
			unchecked: []string{"@acme/broken"}, err: true},
		{name: "broken team, later team matches", entries: []string{"@acme/broken", "@acme/oncall"}, login: "bob", member: member, match: "@acme/oncall"},
		{name: "no lookup: users still match", entries: []string{"@acme/oncall", "@bob"}, login: "bob", match: "@bob"},
		{name: "no lookup: teams unchecked", entries: []string{"@acme/oncall", "@alice"}, login: "bob",
			unchecked: []string{"@acme/oncall"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			match, unchecked, err := MatchRequesters(tc.entries, tc.login, tc.member)
			if match != tc.match || !slices.Equal(unchecked, tc.unchecked) || (err != nil) != tc.err {
				t.Errorf("MatchRequesters(%v, %q) = %q, %v, %v; want %q, %v, error %v", tc.entries, tc.login, match, unchecked, err, tc.match, tc.unchecked, tc.err)
			}
			if tc.member == nil && err != nil && !errors.Is(err, ErrNoTeams) {
				t.Errorf("error without a lookup = %v, want ErrNoTeams", err)
			}
		})
	}
}
