package configsync

import (
	_ "embed"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/discover"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/wanttext"
	"github.com/jit-access/jit/schema"
)

const (
	inst = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
	psRO = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000001"
	psPU = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000002"
	psAD = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000003"
)

// config is the admins' hand-kept config, comments and all; its ARNs are
// inst, psRO and psPU.
//
//go:embed testdata/config.yaml
var config string

func parse(t *testing.T, b []byte) *schema.Config {
	t.Helper()
	cfg, findings := schema.ParseConfig(layout.ConfigPath, b)
	if schema.HasErrors(findings) || cfg == nil {
		t.Fatalf("findings %v in\n%s", findings, b)
	}
	return cfg
}

func TestCompare(t *testing.T) {
	cfg := parse(t, []byte(config))
	aws := discover.Result{
		InstanceARN: inst,
		Accounts: []discover.Account{
			{ID: "111122223333", Name: "Payments Prod", Path: "Root/Prod"},
			{ID: "777788889999", Name: "Payments Prod", Path: "Root/Workloads/Dev"}, // folder name taken in the config
			{ID: "222233334444", Name: "Data Lake", Path: "Root/Workloads/Prod"},
		},
		InactiveAccounts: []discover.Account{{ID: "444455556666", Name: "Old sandbox", Status: "SUSPENDED"}},
		PermissionSets: []discover.PermissionSet{
			{Name: "ReadOnlyAccess", ARN: psRO},
			{Name: "AdministratorAccess", ARN: psAD},
		},
	}
	d := Compare(cfg, aws)
	var got []string
	for _, a := range d.NewAccounts {
		got = append(got, "+account "+a.Name+" "+a.ID+" "+a.Path)
	}
	for _, g := range d.GoneAccounts {
		got = append(got, "-account "+g.Name+" "+g.ID+" "+g.Reason)
	}
	for _, ps := range d.NewSets {
		got = append(got, "+set "+ps.Name)
	}
	for _, g := range d.GoneSets {
		got = append(got, "-set "+g.Name+" "+g.Reason)
	}
	want := []string{
		"+account data-lake 222233334444 Root/Workloads/Prod",
		"+account payments-prod-777788889999 777788889999 Root/Workloads/Dev",
		"-account old-sandbox 444455556666 SUSPENDED",
		"+set AdministratorAccess",
		"-set PowerUserAccess not in the instance",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// An account gone from the organisation altogether.
	aws.InactiveAccounts = nil
	d = Compare(cfg, aws)
	if len(d.GoneAccounts) != 1 || d.GoneAccounts[0].Reason != "not in the organisation" {
		t.Errorf("gone accounts = %+v", d.GoneAccounts)
	}

	// The same world twice: nothing differs.
	same := discover.Result{
		Accounts:       []discover.Account{{ID: "111122223333"}, {ID: "444455556666"}},
		PermissionSets: []discover.PermissionSet{{Name: "ReadOnlyAccess", ARN: psRO}, {Name: "PowerUserAccess", ARN: psPU}},
	}
	if d := Compare(cfg, same); !d.Empty() {
		t.Errorf("no difference expected, got %+v", d)
	}
}

func TestApplyKeepsCommentsAndSettings(t *testing.T) {
	cfg := parse(t, []byte(config))
	d := Compare(cfg, discover.Result{
		Accounts: []discover.Account{
			{ID: "111122223333", Name: "Payments Prod", Path: "Root/Prod"},
			{ID: "222233334444", Name: "Data Lake", Path: "Root/Workloads/Prod"},
			{ID: "999999999999", Name: "Management", Path: "Root", Management: true},
		},
		InactiveAccounts: []discover.Account{{ID: "444455556666", Status: "SUSPENDED"}},
		PermissionSets:   []discover.PermissionSet{{Name: "ReadOnlyAccess", ARN: psRO}, {Name: "AdministratorAccess", ARN: psAD}},
	})
	out, err := Apply([]byte(config), d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	wanttext.All(t, "the edited config", s,
		"# yaml-language-server: $schema=https://example.com/config.schema.json\n# The admins' header comment.\n",
		"# Accounts, kept by hand.\n",
		"# Payments' production: owners in CODEOWNERS.\n",
		"request_ttl: 24h # keep this\n",
		"max_duration: 4h\n",
		"- name: data-lake\n    id: \"222233334444\"\n    # Root/Workloads/Prod\n",
		"permission_sets: []\n",
		"management_account: true\n",
		"- name: AdministratorAccess\n    arn: \""+psAD+"\"\n",
	)
	for _, gone := range []string{"old-sandbox", "PowerUserAccess", "auto_approve", "payments-oncall"} {
		if strings.Contains(s, gone) {
			t.Errorf("the edited config still has %q:\n%s", gone, s)
		}
	}
	after := parse(t, out)
	if len(after.Accounts) != 3 || len(after.PermissionSets) != 2 {
		t.Errorf("%d accounts, %d permission sets:\n%s", len(after.Accounts), len(after.PermissionSets), s)
	}
	if a, _ := after.Account("111122223333"); strings.Join(a.PermissionSets, ",") != "ReadOnlyAccess" {
		t.Errorf("payments-prod offers %v", a.PermissionSets)
	}
	// The edit is the whole difference: comparing again finds none.
	if d := Compare(after, discover.Result{
		Accounts:       []discover.Account{{ID: "111122223333"}, {ID: "222233334444"}, {ID: "999999999999"}},
		PermissionSets: []discover.PermissionSet{{Name: "ReadOnlyAccess", ARN: psRO}, {Name: "AdministratorAccess", ARN: psAD}},
	}); !d.Empty() {
		t.Errorf("after the edit: %+v", d)
	}
}

func TestApplyRefusesWhatIsNotAConfig(t *testing.T) {
	for _, src := range []string{"- a\n- b\n", "version: 1\n", "accounts: {}\n"} {
		if _, err := Apply([]byte(src), Diff{NewAccounts: []NewAccount{{Name: "x"}}}); err == nil {
			t.Errorf("Apply(%q) succeeded", src)
		}
	}
}
