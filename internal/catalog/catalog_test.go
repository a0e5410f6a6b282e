package catalog

import (
	_ "embed"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

//go:embed testdata/config.yaml
var testConfig string

type fakeTeams map[string][]string

func (f fakeTeams) IsMember(team, user string) (bool, error) {
	if team == "acme/broken" {
		return false, errors.New("HTTP 502")
	}
	return slices.Contains(f[strings.TrimPrefix(team, "@")], user), nil
}

func load(t *testing.T) (*schema.Config, *owners.Rules) {
	t.Helper()
	cfg, findings := schema.ParseConfig(layout.ConfigPath, []byte(testConfig))
	if schema.HasErrors(findings) {
		t.Fatalf("test config: %v", findings)
	}
	rules, err := owners.Parse(".github/CODEOWNERS", []byte("/requests/prod/ @acme/prod-owners\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, rules
}

// view is what a requester is told, one line per set.
func view(c *Catalog) []string {
	var out []string
	for _, a := range c.Accounts {
		for _, s := range append(append([]Set{}, a.PermissionSets...), a.Custom) {
			var rules []string
			for _, r := range s.AutoApprove {
				rules = append(rules, r.Name+"="+string(r.Access))
			}
			var steps []string
			for _, st := range s.Approval {
				steps = append(steps, st.Who+" "+strings.Join(st.Entries, ","))
			}
			out = append(out, strings.Join([]string{a.Name, s.Name, "access=" + string(s.Access), "max=" + s.MaxDuration,
				strings.Join(steps, " / "), strings.Join(rules, ",")}, " | "))
		}
	}
	return out
}

func TestBuild(t *testing.T) {
	cfg, rules := load(t)
	teams := fakeTeams{"acme/oncall": {"bob"}, "acme/data": {"bob"}}
	for _, tc := range []struct {
		name      string
		opts      Options
		want      []string
		emergency Access
	}{
		{
			name: "no requester: the rules are shown, not applied",
			opts: Options{Owners: rules},
			want: []string{
				"prod | ReadOnlyAccess | access= | max=1d | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | accounts/prod/auto_approve[0]=,permission_sets/ReadOnlyAccess/auto_approve[0]=",
				"prod | PowerUserAccess | access= | max=8h | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | ",
				"prod | custom | access= | max=1d | an owner @acme/prod-owners / then an SSO admin @acme/sso-admins | ",
				"data | ReadOnlyAccess | access= | max= | an SSO admin @acme/sso-admins | permission_sets/ReadOnlyAccess/auto_approve[0]=",
				"data | custom | access= | max= | an SSO admin @acme/sso-admins / a second SSO admin @acme/sso-admins | ",
			},
		},
		{
			name: "team member, teams read",
			opts: Options{Requester: "bob", Teams: teams, Owners: rules},
			want: []string{
				"prod | ReadOnlyAccess | access=yes | max=1d | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | accounts/prod/auto_approve[0]=yes,permission_sets/ReadOnlyAccess/auto_approve[0]=no",
				"prod | PowerUserAccess | access=yes | max=8h | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | ",
				"prod | custom | access=yes | max=1d | an owner @acme/prod-owners / then an SSO admin @acme/sso-admins | ",
				"data | ReadOnlyAccess | access=yes | max= | an SSO admin @acme/sso-admins | permission_sets/ReadOnlyAccess/auto_approve[0]=no",
				"data | custom | access=yes | max= | an SSO admin @acme/sso-admins / a second SSO admin @acme/sso-admins | ",
			},
			emergency: Allowed,
		},
		{
			name: "outsider, teams read: the lists leave alice out",
			opts: Options{Requester: "alice", Teams: teams, Owners: rules},
			want: []string{
				"prod | ReadOnlyAccess | access=yes | max=1d | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | accounts/prod/auto_approve[0]=no,permission_sets/ReadOnlyAccess/auto_approve[0]=yes",
				"prod | PowerUserAccess | access=no | max=8h | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | ",
				"prod | custom | access=yes | max=1d | an owner @acme/prod-owners / then an SSO admin @acme/sso-admins | ",
				"data | ReadOnlyAccess | access=no | max= | an SSO admin @acme/sso-admins | permission_sets/ReadOnlyAccess/auto_approve[0]=yes",
				"data | custom | access=no | max= | an SSO admin @acme/sso-admins / a second SSO admin @acme/sso-admins | ",
			},
			emergency: Denied,
		},
		{
			name: "no token: what only a team allows is unknown, a user entry still decides",
			opts: Options{Requester: "carol", Owners: rules},
			want: []string{
				"prod | ReadOnlyAccess | access=yes | max=1d | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | accounts/prod/auto_approve[0]=unknown,permission_sets/ReadOnlyAccess/auto_approve[0]=no",
				"prod | PowerUserAccess | access=unknown | max=8h | an owner or an SSO admin @acme/prod-owners,@acme/sso-admins | ",
				"prod | custom | access=yes | max=1d | an owner @acme/prod-owners / then an SSO admin @acme/sso-admins | ",
				"data | ReadOnlyAccess | access=yes | max= | an SSO admin @acme/sso-admins | permission_sets/ReadOnlyAccess/auto_approve[0]=no",
				"data | custom | access=yes | max= | an SSO admin @acme/sso-admins / a second SSO admin @acme/sso-admins | ",
			},
			emergency: Unknown,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Build(cfg, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, view(c)); d != "" {
				t.Errorf("catalog (-want +got):\n%s", d)
			}
			if c.Emergency == nil || c.Emergency.Access != tc.emergency {
				t.Errorf("emergency = %+v, want access %q", c.Emergency, tc.emergency)
			}
		})
	}
}

func TestRequestableDropsDenied(t *testing.T) {
	cfg, rules := load(t)
	c, err := Build(cfg, Options{Requester: "alice", Teams: fakeTeams{}, Owners: rules})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Requestable()
	var got []string
	for _, a := range r.Accounts {
		for _, s := range a.PermissionSets {
			got = append(got, a.Name+"/"+s.Name)
		}
	}
	if d := cmp.Diff([]string{"prod/ReadOnlyAccess"}, got); d != "" {
		t.Errorf("requestable sets (-want +got):\n%s", d)
	}
	if r.Emergency != nil {
		t.Errorf("emergency access shown to alice, who is not an emergency requester")
	}
	if c.UserName != "alice@acme.example" {
		t.Errorf("UserName = %q", c.UserName)
	}
}

func TestDurationsFollowTheCap(t *testing.T) {
	cfg, rules := load(t)
	c, err := Build(cfg, Options{Owners: rules})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Accounts[0].PermissionSets[1].Durations; !slices.Equal(got, []string{"1h", "2h", "4h", "8h"}) {
		t.Errorf("PowerUserAccess durations = %v, want up to its 8h cap", got)
	}
	if got := c.Accounts[1].Custom.Durations; !slices.Equal(got, schema.DurationNames()) {
		t.Errorf("uncapped durations = %v, want all", got)
	}
}

func TestBrokenTeamLookupIsAnError(t *testing.T) {
	cfg, _ := load(t)
	cfg.Accounts[1].Requesters = []string{"@acme/broken"}
	if _, err := Build(cfg, Options{Requester: "bob", Teams: fakeTeams{}}); err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Errorf("Build with a failing team lookup: err = %v, want the lookup's error", err)
	}
}

func TestWriteText(t *testing.T) {
	cfg, rules := load(t)
	c, err := Build(cfg, Options{Requester: "dave", Owners: rules})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteText(&b, c.Requestable()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"What @dave may request (team memberships not checked",
		"warning: @dave has no Identity Center user",
		"prod (111122223333), owners: @acme/prod-owners",
		"  PowerUserAccess  max 8h   approved by an owner or an SSO admin (@acme/prod-owners, @acme/sso-admins); isolated",
		"    only if in @acme/oncall (the requesters of permission set PowerUserAccess; team membership not checked)",
		"    auto-approved when: requester in @acme/oncall; for ReadOnlyAccess; at most 4h [team membership not checked] (accounts/prod/auto_approve[0])",
		"data (777788889999), owners: none (only SSO admins approve)",
		"Emergency access (emergency: true on a standard set): max 4h",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
