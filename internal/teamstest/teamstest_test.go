package teamstest

import (
	"errors"
	"testing"
)

func TestTeams(t *testing.T) {
	f := &Teams{Members: map[string][]string{"acme/sre": {"Alice"}}}
	// Team names and logins ignore case, as on GitHub.
	for _, team := range []string{"acme/sre", "ACME/SRE"} {
		for _, user := range []string{"alice", "ALICE"} {
			if ok, err := f.IsMember(team, user); err != nil || !ok {
				t.Errorf("IsMember(%q, %q) = %v, %v; want true", team, user, ok, err)
			}
		}
	}
	if ok, err := f.IsMember("acme/sre", "bob"); err != nil || ok {
		t.Errorf("bob is in acme/sre: %v, %v", ok, err)
	}
	if ok, err := f.IsMember("acme/dev", "alice"); err != nil || ok {
		t.Errorf("alice is in acme/dev, which has no members: %v, %v", ok, err)
	}
	if f.Calls != 6 {
		t.Errorf("Calls = %d, want 6", f.Calls)
	}
	boom := errors.New("502")
	if _, err := (&Teams{Err: boom}).IsMember("acme/sre", "alice"); !errors.Is(err, boom) {
		t.Errorf("IsMember with Err = %v, want %v", err, boom)
	}
}
