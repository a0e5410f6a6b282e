package teamstest

import (
	"errors"
	"testing"
)

func TestTeams(t *testing.T) {
	f := &Teams{Members: map[string][]string{"acme/sre": {"Alice"}}}
	for _, tc := range []struct {
		team, user string
		want       bool
	}{
		{"acme/sre", "alice", true},
		{"ACME/SRE", "ALICE", true},
		{"acme/sre", "bob", false},
		{"acme/dev", "alice", false},
	} {
		if got, err := f.IsMember(tc.team, tc.user); err != nil || got != tc.want {
			t.Errorf("IsMember(%q, %q) = %v, %v; want %v", tc.team, tc.user, got, err, tc.want)
		}
	}
	if f.Calls != 4 {
		t.Errorf("Calls = %d, want 4", f.Calls)
	}
	boom := errors.New("502")
	if _, err := (&Teams{Err: boom}).IsMember("acme/sre", "alice"); !errors.Is(err, boom) {
		t.Errorf("IsMember with Err = %v, want %v", err, boom)
	}
}
