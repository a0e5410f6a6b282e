package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jit-access/jit/internal/layout"
)

// configCase is a config file and the findings ParseConfig must give.
type configCase struct {
	name string
	data string
	want []Finding
}

// ce is an error finding in .github/jit.yaml.
func ce(line, col int, msg, fix string) Finding {
	return Finding{Path: layout.ConfigPath, Line: line, Col: col, Severity: SeverityError, Message: msg, Fix: fix}
}

// testParseConfig checks each case: the findings are the wanted ones, and
// a config comes back exactly when there are no errors.
func testParseConfig(t *testing.T, tests []configCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, got := ParseConfig(layout.ConfigPath, []byte(tt.data))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseConfig findings (-want +got):\n%s", diff)
			}
			if (cfg == nil) != HasErrors(got) {
				t.Errorf("ParseConfig returned config %v with findings %v; want a config exactly when there are no errors", cfg != nil, got)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	edit := func(old, new string) string { return edited(t, testConfigYAML, old, new) }
	testParseConfig(t, []configCase{
		{name: "valid", data: testConfigYAML},
		{
			name: "account id written as a number",
			data: edit(`id: "111122223333"`, "id: 111122223333"),
			want: []Finding{ce(11, 9, "accounts[0].id is written as a YAML number (111122223333) but must be a string; quote it", `write id: "111122223333"`)},
		},
		{
			name: "account id with a leading zero written as a number",
			data: edit(`id: "111122223333"`, "id: 011122223333"),
			want: []Finding{ce(11, 9, "accounts[0].id is written as a YAML number (011122223333) but must be a string; quote it", `write id: "011122223333"`)},
		},
		{
			name: "account id not 12 digits",
			data: edit(`id: "111122223333"`, `id: "11112222333"`),
			want: []Finding{ce(11, 9, `accounts[0].id "11112222333" is not valid`, "an AWS account id is exactly 12 digits")},
		},
		{
			name: "duplicate account name",
			data: edit("name: data-prod", "name: payments-prod"),
			want: []Finding{ce(14, 11, `account name "payments-prod" is used twice (first on line 10)`, "give every account its own name")},
		},
		{
			name: "duplicate account id",
			data: edit(`id: "777788889999"`, `id: "111122223333"`),
			want: []Finding{ce(15, 9, "account id 111122223333 is used twice (first on line 11)", "list every AWS account once")},
		},
		{
			name: "account offers an undefined permission set",
			data: edit("permission_sets: [ReadOnlyAccess]\n", "permission_sets: [ReadOnlyAcces]\n"),
			want: []Finding{ce(16, 23, `account data-prod offers permission set "ReadOnlyAcces", which is not defined under permission_sets`, `did you mean "ReadOnlyAccess"?`)},
		},
		{
			name: "permission set defined twice",
			data: edit("name: PowerUserAccess", "name: ReadOnlyAccess"),
			want: []Finding{
				ce(12, 39, `account payments-prod offers permission set "PowerUserAccess", which is not defined under permission_sets`, "define it under permission_sets: or remove it from the account"),
				ce(21, 11, `permission set "ReadOnlyAccess" is defined twice (first on line 18)`, "keep one definition"),
			},
		},
		{
			name: "permission set of another instance",
			data: edit("ssoins-0123456789abcdef/ps-fedcba9876543210", "ssoins-aaaaaaaaaaaaaaaa/ps-fedcba9876543210"),
			want: []Finding{ce(22, 10, "permission set PowerUserAccess belongs to instance ssoins-aaaaaaaaaaaaaaaa, but identity_center.instance_arn is instance ssoins-0123456789abcdef",
				"copy the ARN from aws sso-admin list-permission-sets for this instance")},
		},
		{
			name: "no admins",
			data: edit(`admins: ["@acme/sso-admins"]`, "admins: []"),
			want: []Finding{ce(6, 9, "admins has 0 entries, at least 1 are needed", "list at least 1")},
		},
		{
			name: "admin without @",
			data: edit(`admins: ["@acme/sso-admins"]`, "admins: [acme/sso-admins]"),
			want: []Finding{ce(6, 10, `admins[0] "acme/sso-admins" is not valid`, "write a GitHub user as @login or a team as @org/team")},
		},
		{
			name: "unknown key in an account",
			data: edit("    max_duration: 1d\n", "    max_duraton: 1d\n"),
			want: []Finding{ce(13, 5, `unknown key "max_duraton" in accounts[0]`, `did you mean "max_duration"?`)},
		},
		{
			name: "max_duration not an allowed duration",
			data: edit("max_duration: 8h", "max_duration: 9h"),
			want: []Finding{ce(23, 19, `permission_sets[1].max_duration "9h" is not allowed`, "use one of 1h, 2h, 4h, 8h, 12h, 1d, 2d, 3d, 1w, 2w, 1mo")},
		},
		{
			name: "wrong version",
			data: edit("version: 1", "version: 2"),
			want: []Finding{ce(1, 10, "version is 2, but must be 1", "write version: 1")},
		},
		{
			name: "missing identity center",
			data: edit("identity_center:\n  region: us-east-1\n  instance_arn: arn:aws:sso:::instance/ssoins-0123456789abcdef\n  identity_store_id: d-0123456789\n", ""),
			want: []Finding{ce(1, 1, `missing key "identity_center"`, `add "identity_center: ..."`)},
		},
		{
			name: "escalation not before expiry",
			data: testConfigYAML + "request_ttl: 2h\nescalate_after: 3h\n",
			want: []Finding{ce(25, 17, "escalate_after (3h) is not shorter than request_ttl (2h): requests would expire before the admins are asked", "make escalate_after shorter than request_ttl")},
		},
		{
			name: "wait in an unknown unit",
			data: testConfigYAML + "request_ttl: 2 days\n",
			want: []Finding{ce(24, 14, `request_ttl "2 days" is not valid`, "write a whole number of minutes, hours or days, e.g. 30m, 24h or 2d")},
		},
		{
			name: "same login twice in another case",
			data: edit("  octocat: octocat@acme.example\n", "  octocat: octocat@acme.example\n  OctoCat: other@acme.example\n"),
			want: []Finding{ce(8, 12, `users lists "OctoCat" and "octocat", which are the same GitHub login (logins ignore case)`, "keep one of them")},
		},
		{
			name: "login that is not a GitHub login",
			data: edit("  octocat: octocat@acme.example\n", "  \"@octocat\": octocat@acme.example\n"),
			want: []Finding{ce(8, 3, `"@octocat" is not a valid key in users`, "keys are GitHub logins without the @")},
		},
		{
			name: "larger than the cap",
			data: testConfigYAML + "# " + strings.Repeat("x", MaxConfigBytes),
			want: []Finding{ce(1, 1, fmt.Sprintf("the config is %d bytes, more than the 1048576 bytes allowed", len(testConfigYAML)+2+MaxConfigBytes), "a config is a short YAML file; check that this is the right file")},
		},
	})
}

func TestConfigLookups(t *testing.T) {
	cfg := testConfig(t)
	if a, ok := cfg.Account("777788889999"); !ok || a.Name != "data-prod" {
		t.Errorf("Account(id) = %v, %v", a, ok)
	}
	if a, ok := cfg.Account("payments-prod"); !ok || a.ID != "111122223333" {
		t.Errorf("Account(name) = %v, %v", a, ok)
	}
	if _, ok := cfg.Account("nope"); ok {
		t.Errorf("Account(nope) found something")
	}
	if ps, ok := cfg.PermissionSet("PowerUserAccess"); !ok || ps.MaxDuration != "8h" {
		t.Errorf("PermissionSet = %v, %v", ps, ok)
	}
	for _, login := range []string{"octocat", "OCTOCAT", "@octocat"} {
		if u, ok := cfg.UserName(login); !ok || u != "octocat@acme.example" {
			t.Errorf("UserName(%q) = %q, %v", login, u, ok)
		}
	}
	if _, ok := cfg.UserName("mallory"); ok {
		t.Errorf("UserName(mallory) found something")
	}
	if got := cfg.Logins("OCTOCAT@acme.example"); !slices.Equal(got, []string{"octocat"}) {
		t.Errorf("Logins(OCTOCAT@acme.example) = %v", got)
	}
	if got := cfg.Logins("mallory@acme.example"); len(got) != 0 {
		t.Errorf("Logins(mallory@acme.example) = %v", got)
	}
	for _, tt := range []struct {
		account, set string
		want         time.Duration
	}{
		{"payments-prod", "ReadOnlyAccess", 24 * time.Hour},
		{"111122223333", "PowerUserAccess", 8 * time.Hour},
		{"payments-prod", "", 24 * time.Hour},
		{"data-prod", "", 0},
		{"data-prod", "ReadOnlyAccess", 7 * 24 * time.Hour},
	} {
		if got := cfg.MaxDuration(tt.account, tt.set); got != tt.want {
			t.Errorf("MaxDuration(%q, %q) = %v, want %v", tt.account, tt.set, got, tt.want)
		}
	}
	if cfg.RequestTTLDuration() != 24*time.Hour || cfg.EscalateAfterDuration() != time.Hour {
		t.Errorf("defaults = %v, %v; want 24h, 1h", cfg.RequestTTLDuration(), cfg.EscalateAfterDuration())
	}
	cfg.RequestTTL, cfg.EscalateAfter = "2d", "30m"
	if cfg.RequestTTLDuration() != 48*time.Hour || cfg.EscalateAfterDuration() != 30*time.Minute {
		t.Errorf("set = %v, %v; want 48h, 30m", cfg.RequestTTLDuration(), cfg.EscalateAfterDuration())
	}
}
