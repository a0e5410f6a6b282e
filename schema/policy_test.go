package schema

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jit-access/jit/internal/teamstest"
)

func TestParseConfigPolicies(t *testing.T) {
	edit := func(old, new string) string { return edited(t, policyConfigYAML, old, new) }
	testParseConfig(t, []configCase{
		{name: "valid", data: policyConfigYAML},
		{
			name: "a time of day unquoted is still a string",
			data: edit(`from: "09:00"`, `from: 09:00`),
		},
		{
			name: "rule without a condition",
			data: edit("      - max_duration: 1h\n", "      - {}\n"),
			want: []Finding{ce(34, 9, "permission_sets[0].auto_approve[0] needs at least one of requesters, max_duration, working_hours", "add one of them")},
		},
		{
			name: "account rule for a set the account does not offer",
			data: edit("        permission_sets: [ReadOnlyAccess]\n", "        permission_sets: [ReadOnlyAcces]\n"),
			want: []Finding{ce(19, 27, `accounts[0].auto_approve[0] lists permission set "ReadOnlyAcces", which account payments-prod does not offer`, `did you mean "ReadOnlyAccess"?`)},
		},
		{
			name: "a permission set's rule cannot pick permission sets",
			data: edit("      - max_duration: 1h\n", "      - max_duration: 1h\n        permission_sets: [X]\n"),
			want: []Finding{ce(35, 9, `unknown key "permission_sets" in permission_sets[0].auto_approve[0]`, "remove it; known keys are max_duration, requesters, working_hours")},
		},
		{
			name: "rule max_duration not an allowed duration",
			data: edit("      - max_duration: 1h\n", "      - max_duration: 90m\n"),
			want: []Finding{ce(34, 23, `permission_sets[0].auto_approve[0].max_duration "90m" is not allowed`, "use one of 1h, 2h, 4h, 8h, 12h, 1d, 2d, 3d, 1w, 2w, 1mo")},
		},
		{
			name: "unknown time zone",
			data: edit("time_zone: Europe/Berlin", "time_zone: Europe/Berln"),
			want: []Finding{ce(22, 22, `accounts[0].auto_approve[0].working_hours: time zone "Europe/Berln" is not an IANA time zone name such as Europe/Berlin or America/New_York`,
				"use a name from the IANA time zone database (the TZ identifier column of its list)")},
		},
		{
			name: "the machine's time zone",
			data: edit("time_zone: Europe/Berlin", "time_zone: Local"),
			want: []Finding{ce(22, 22, `accounts[0].auto_approve[0].working_hours: time zone "Local" depends on the machine; name one such as Europe/Berlin or UTC`,
				"use a name from the IANA time zone database (the TZ identifier column of its list)")},
		},
		{
			name: "empty window",
			data: edit(`from: "09:00"`, `from: "18:00"`),
			want: []Finding{ce(25, 15, "accounts[0].auto_approve[0].working_hours: to 18:00 is not later than from 18:00, so the window is empty",
				"end the window later on the same day; for hours across midnight write two rules")},
		},
		{
			name: "time of day without a leading zero",
			data: edit(`from: "09:00"`, `from: "9:00"`),
			want: []Finding{ce(24, 17, `accounts[0].auto_approve[0].working_hours.from "9:00" is not valid`, `write a time of day as "HH:MM" on a 24-hour clock, e.g. "09:00"`)},
		},
		{
			name: "day spelled out",
			data: edit("days: [mon, tue, wed, thu, fri]", "days: [monday]"),
			want: []Finding{ce(23, 18, `accounts[0].auto_approve[0].working_hours.days[0] "monday" is not allowed`, "use one of mon, tue, wed, thu, fri, sat, sun")},
		},
		{
			name: "working hours without days",
			data: edit("          days: [mon, tue, wed, thu, fri]\n", ""),
			want: []Finding{ce(21, 9, `missing key "days" in accounts[0].auto_approve[0].working_hours`, `add "days: ["mon","tue","wed","thu","fri"]"`)},
		},
		{
			name: "requester without @",
			data: edit(`requesters: ["@acme/sre"]`, `requesters: ["acme/sre"]`),
			want: []Finding{ce(38, 18, `permission_sets[1].requesters[0] "acme/sre" is not valid`, "write a GitHub user as @login or a team as @org/team")},
		},
		{
			name: "empty requesters",
			data: edit(`requesters: ["@acme/sre"]`, `requesters: []`),
			want: []Finding{ce(38, 17, "permission_sets[1].requesters has 0 entries, at least 1 are needed", "list at least 1")},
		},
		{
			name: "emergency without a cap",
			data: edit("  max_duration: 4h\n  review_within", "  review_within"),
			want: []Finding{ce(39, 1, `missing key "max_duration" in emergency`, `add "max_duration: 4h"`)},
		},
		{
			name: "emergency review_within not a wait",
			data: edit("review_within: 12h", "review_within: 12 hours"),
			want: []Finding{ce(42, 18, `emergency.review_within "12 hours" is not valid`, "write a whole number of minutes, hours or days, e.g. 30m, 24h or 2d")},
		},
		{
			name: "unknown key in emergency",
			data: edit("  review_within: 12h\n", "  review_within: 12h\n  reviewers: [x]\n"),
			want: []Finding{ce(43, 3, `unknown key "reviewers" in emergency`, "remove it; known keys are max_duration, requesters, review_within")},
		},
		{
			name: "require_review_note not a boolean",
			data: edit("require_review_note: true", "require_review_note: yes please"),
			want: []Finding{ce(43, 22, "require_review_note must be true or false, not a string", "for example require_review_note: true")},
		},
	})
}

func acme() *teamstest.Teams {
	return &teamstest.Teams{Members: map[string][]string{
		"acme/payments": {"rita"},
		"acme/oncall":   {"rita"},
		"acme/sre":      {"alice"},
	}}
}

// now is the fixed "now" of the request policy tests: a Monday.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestRequestPolicies(t *testing.T) {
	cfg := policyConfig(t)
	req := func(account, set, duration string, extra ...string) string {
		return lines(append([]string{
			"account: " + account,
			"permission_set: " + set,
			"duration: " + duration,
			`justification: "INC-1234: investigating 5xx errors"`,
		}, extra...)...)
	}
	const dataPath = "requests/data-prod/x.yaml"
	de := func(line, col int, msg, fix string) Finding {
		return Finding{Path: dataPath, Line: line, Col: col, Severity: SeverityError, Message: msg, Fix: fix}
	}
	const onlyRO = "only @acme/payments, @alice may request payments-prod/ReadOnlyAccess"
	tests := []struct {
		name  string
		path  string
		data  string
		opts  CheckOptions
		teams *teamstest.Teams // acme() when nil and opts.Teams is not disabled
		none  bool             // no Teams resolver
		want  []Finding
	}{
		// requesters of an account and of a permission set
		{name: "a requester listed as a user", data: req("payments-prod", "ReadOnlyAccess", "4h"), opts: CheckOptions{Requester: "alice"}},
		{name: "a requester listed as a user, in another case", data: req("payments-prod", "ReadOnlyAccess", "4h"), opts: CheckOptions{Requester: "@Alice"}},
		{name: "a requester in a listed team", data: req("payments-prod", "ReadOnlyAccess", "4h"), opts: CheckOptions{Requester: "rita"}},
		{
			name: "a requester not listed",
			data: req("payments-prod", "ReadOnlyAccess", "4h"),
			opts: CheckOptions{Requester: "octocat"},
			want: []Finding{e(1, 10, onlyRO, "ask the SSO admins to add @octocat to the requesters of account payments-prod in .github/jit.yaml")},
		},
		{
			name: "the account allows, the permission set does not",
			data: req("payments-prod", "PowerUserAccess", "4h"),
			opts: CheckOptions{Requester: "rita"},
			want: []Finding{e(2, 17, "only @acme/sre may request payments-prod/PowerUserAccess",
				"ask the SSO admins to add @rita to the requesters of permission set PowerUserAccess in .github/jit.yaml")},
		},
		{name: "both allow", data: req("payments-prod", "PowerUserAccess", "4h"), opts: CheckOptions{Requester: "alice"}},
		{
			name: "neither allows",
			data: req("payments-prod", "PowerUserAccess", "4h"),
			opts: CheckOptions{Requester: "octocat"},
			want: []Finding{
				e(1, 10, "only @acme/payments, @alice may request payments-prod/PowerUserAccess", "ask the SSO admins to add @octocat to the requesters of account payments-prod in .github/jit.yaml"),
				e(2, 17, "only @acme/sre may request payments-prod/PowerUserAccess", "ask the SSO admins to add @octocat to the requesters of permission set PowerUserAccess in .github/jit.yaml"),
			},
		},
		{
			name: "a custom set only needs the account's requesters",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "custom_permission_set:", "  name: S3Read", "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			opts: CheckOptions{Requester: "octocat"},
			want: []Finding{e(1, 10, "only @acme/payments, @alice may request payments-prod", "ask the SSO admins to add @octocat to the requesters of account payments-prod in .github/jit.yaml")},
		},
		{name: "no requester known: nothing to check", data: req("payments-prod", "PowerUserAccess", "4h")},
		{name: "an account without requesters", path: dataPath, data: req("data-prod", "ReadOnlyAccess", "4h"), opts: CheckOptions{Requester: "octocat"}},
		{
			name: "offline: a team cannot be checked, the App will",
			data: req("payments-prod", "ReadOnlyAccess", "4h"),
			opts: CheckOptions{Requester: "rita", Offline: true},
			none: true,
			want: []Finding{w(1, 10, "could not check team membership locally; the App checks it: "+onlyRO, "make sure @rita is in @acme/payments")},
		},
		{
			name: "offline: a user entry still decides",
			data: req("payments-prod", "ReadOnlyAccess", "4h"),
			opts: CheckOptions{Requester: "alice", Offline: true},
			none: true,
		},
		{
			name: "no team lookup and not offline: fail closed",
			data: req("payments-prod", "ReadOnlyAccess", "4h"),
			opts: CheckOptions{Requester: "rita"},
			none: true,
			want: []Finding{e(1, 10, "could not check whether rita is in @acme/payments (no team lookup is available), so the request is refused: "+onlyRO,
				"this is checked again on the next push or review")},
		},
		{
			name:  "a failing team lookup: fail closed",
			data:  req("payments-prod", "ReadOnlyAccess", "4h"),
			opts:  CheckOptions{Requester: "rita", Offline: true},
			teams: &teamstest.Teams{Err: errors.New("GET /orgs/acme/teams/payments/memberships/rita: 502 Bad Gateway")},
			want: []Finding{e(1, 10, "could not check whether rita is in @acme/payments (GET /orgs/acme/teams/payments/memberships/rita: 502 Bad Gateway), so the request is refused: "+onlyRO,
				"this is checked again on the next push or review")},
		},

		// emergency
		{name: "emergency by a listed user", path: dataPath, data: req("data-prod", "ReadOnlyAccess", "4h", "emergency: true"), opts: CheckOptions{Requester: "octocat"}},
		{name: "emergency by a member of a listed team", data: req("payments-prod", "ReadOnlyAccess", "4h", "emergency: true"), opts: CheckOptions{Requester: "rita"}},
		{name: "emergency: false is a plain request", path: dataPath, data: req("data-prod", "ReadOnlyAccess", "8h", "emergency: false"), opts: CheckOptions{Requester: "alice"}},
		{
			name: "emergency by someone not listed",
			path: dataPath,
			data: req("data-prod", "ReadOnlyAccess", "4h", "emergency: true"),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{de(5, 12, "only @acme/oncall, @octocat may request emergency access", "ask the SSO admins to add @alice to emergency.requesters in .github/jit.yaml")},
		},
		{
			name: "emergency longer than its cap",
			path: dataPath,
			data: req("data-prod", "ReadOnlyAccess", "8h", "emergency: true"),
			opts: CheckOptions{Requester: "octocat"},
			want: []Finding{de(3, 11, "duration 8h is longer than the 4h allowed for emergency access", "ask for 4h or less, or remove emergency: true to have longer access approved by the owners")},
		},
		{
			name: "emergency with a custom permission set",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "emergency: true", "custom_permission_set:", "  name: S3Read", "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			opts: CheckOptions{Requester: "rita"},
			want: []Finding{e(4, 1, "emergency access is only for a standard permission_set, not a custom_permission_set", "request a permission set the account offers, or remove emergency: true")},
		},
		{
			name: "emergency with start_at",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "emergency: true", "start_at: 2026-11-23T12:00:00Z"),
			opts: CheckOptions{Requester: "rita"},
			want: []Finding{e(6, 1, "emergency access starts at once, so it cannot have start_at", "remove start_at, or remove emergency: true to schedule the access")},
		},
		{
			name: "emergency written as a string",
			data: req("payments-prod", "ReadOnlyAccess", "4h", `emergency: "yes"`),
			opts: CheckOptions{Requester: "rita"},
			want: []Finding{e(5, 12, "emergency must be true or false, not a string", "for example emergency: true")},
		},

		// start_at
		{name: "start_at tomorrow", data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-11-24T08:00:00+01:00"), opts: CheckOptions{Requester: "alice"}},
		{name: "start_at quoted, lower-case t and z", data: req("payments-prod", "ReadOnlyAccess", "4h", `start_at: "2026-11-24t08:00:00z"`), opts: CheckOptions{Requester: "alice"}},
		{name: "start_at exactly 30 days ahead", data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-12-23T10:00:00Z"), opts: CheckOptions{Requester: "alice"}},
		{
			name: "start_at in the past",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-11-23T09:00:00Z"),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{e(5, 11, "start_at 2026-11-23T09:00:00Z is not in the future (it is 2026-11-23T10:00:00Z now)", "pick a later time, or remove start_at to start the access when the request is merged")},
		},
		{
			name: "start_at now",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-11-23T11:00:00+01:00"),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{e(5, 11, "start_at 2026-11-23T11:00:00+01:00 is not in the future (it is 2026-11-23T10:00:00Z now)", "pick a later time, or remove start_at to start the access when the request is merged")},
		},
		{
			name: "start_at more than 30 days ahead",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-12-23T10:00:01Z"),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{e(5, 11, "start_at 2026-12-23T10:00:01Z is more than 30 days ahead", "pick a time before 2026-12-23T10:00:00Z, or open the request later")},
		},
		{
			name: "start_at in the past on main",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: 2026-11-01T09:00:00Z", "status:", "  state: active"),
			opts: CheckOptions{Requester: "alice", AllowStatus: true},
		},
		{
			name: "on main: approvals by rule and reviews after the fact",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "emergency: true", "status:", "  state: active",
				"  approvals:",
				"    - {by: emergency, stage: emergency, at: 2026-11-23T09:00:00Z}",
				`    - {by: "rule:accounts/payments-prod/auto_approve[0]", stage: auto, at: 2026-11-23T09:00:00Z, note: at most 4h}`,
				"  post_hoc_reviews: [{by: olivia, stage: owner, at: 2026-11-23T12:00:00Z, note: confirmed}]"),
			opts: CheckOptions{Requester: "rita", AllowStatus: true},
		},
		{
			name: "a review after the fact is by an owner or admin",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "status:", "  state: active",
				"  post_hoc_reviews: [{by: olivia, stage: auto, at: 2026-11-23T12:00:00Z}]"),
			opts: CheckOptions{Requester: "alice", AllowStatus: true},
			want: []Finding{e(7, 42, `status.post_hoc_reviews[0].stage "auto" is not allowed`, "use one of owner, admin")},
		},
		{
			name: "start_at not a time",
			data: req("payments-prod", "ReadOnlyAccess", "4h", "start_at: tomorrow"),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{e(5, 11, `start_at "tomorrow" is not a valid date-time`, "write an RFC 3339 time such as 2026-11-23T10:02:11Z")},
		},
		{
			name: "start_at without a time zone",
			data: req("payments-prod", "ReadOnlyAccess", "4h", `start_at: "2026-11-24T08:00:00"`),
			opts: CheckOptions{Requester: "alice"},
			want: []Finding{e(5, 11, `start_at "2026-11-24T08:00:00" is not a valid date-time`, "write an RFC 3339 time such as 2026-11-23T10:02:11Z")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = testPath
			}
			opts := tt.opts
			opts.Now = now
			if !tt.none {
				teams := tt.teams
				if teams == nil {
					teams = acme()
				}
				opts.Teams = teams
			}
			_, got := ValidateRequest(path, []byte(tt.data), cfg, opts)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ValidateRequest findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmergencyNotEnabled(t *testing.T) {
	data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "emergency: true")
	_, got := ValidateRequest(testPath, []byte(data), testConfig(t), CheckOptions{Requester: "octocat"})
	want := []Finding{e(5, 1, "emergency access is not enabled in .github/jit.yaml", "remove emergency: true; the owners approve the request as usual")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// One team named by the account and by emergency is asked about once.
func TestTeamLookupsAreCached(t *testing.T) {
	cfg := policyConfig(t)
	cfg.Accounts[0].Requesters = []string{"@acme/oncall"}
	teams := acme()
	data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "emergency: true")
	if _, fs := ValidateRequest(testPath, []byte(data), cfg, CheckOptions{Requester: "rita", Teams: teams, Now: now}); len(fs) > 0 {
		t.Fatalf("findings: %v", fs)
	}
	if teams.Calls != 1 {
		t.Errorf("IsMember calls = %d, want 1", teams.Calls)
	}
}

// Without CheckOptions.Now the clock decides.
func TestStartAtAgainstTheClock(t *testing.T) {
	cfg := testConfig(t)
	for _, tt := range []struct {
		start string
		ok    bool
	}{
		{time.Now().Add(time.Hour).UTC().Format(time.RFC3339), true},
		{time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), false},
	} {
		data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "start_at: "+tt.start)
		_, fs := ValidateRequest(testPath, []byte(data), cfg, CheckOptions{})
		if HasErrors(fs) == tt.ok {
			t.Errorf("start_at %s: findings %v, want ok=%v", tt.start, fs, tt.ok)
		}
	}
}

func TestStartAt(t *testing.T) {
	for _, tt := range []struct {
		in    string
		want  time.Time
		set   bool
		error string
	}{
		{in: ""},
		{in: "2026-11-24T08:00:00Z", want: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), set: true},
		{in: "2026-11-24t09:30:00+01:00", want: time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC), set: true},
		{in: "2026-11-24T08:00:00.5Z", want: time.Date(2026, 11, 24, 8, 0, 0, 5e8, time.UTC), set: true},
		{in: "2026-11-24 08:00", set: true, error: `start_at "2026-11-24 08:00" is not an RFC 3339 time such as 2026-11-24T08:00:00Z`},
	} {
		got, set, err := (&Request{Start: tt.in}).StartAt()
		if !got.Equal(tt.want) || set != tt.set || fmt.Sprint(err) != orNil(tt.error) {
			t.Errorf("StartAt(%q) = %v, %v, %v; want %v, %v, %s", tt.in, got, set, err, tt.want, tt.set, tt.error)
		}
	}
}

func TestParseRequestFillsPolicyKeys(t *testing.T) {
	data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`, "emergency: true", "start_at: 2026-11-24T08:00:00Z")
	f, fs := ParseRequest(testPath, []byte(data))
	if f == nil {
		t.Fatal(fs)
	}
	if !f.Request.Emergency || f.Request.Start != "2026-11-24T08:00:00Z" {
		t.Errorf("Emergency = %v, Start = %q", f.Request.Emergency, f.Request.Start)
	}
}

func TestAutoApproveRules(t *testing.T) {
	cfg := policyConfig(t)
	names := func(rs []NamedRule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name+" "+r.Rule.String())
		}
		return out
	}
	tests := []struct {
		account, set string
		want         []string
	}{
		{"payments-prod", "ReadOnlyAccess", []string{
			"accounts/payments-prod/auto_approve[0] requester in @acme/oncall; for ReadOnlyAccess; at most 4h; mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin",
			"permission_sets/ReadOnlyAccess/auto_approve[0] at most 1h",
		}},
		{"111122223333", "ReadOnlyAccess", []string{
			"accounts/payments-prod/auto_approve[0] requester in @acme/oncall; for ReadOnlyAccess; at most 4h; mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin",
			"permission_sets/ReadOnlyAccess/auto_approve[0] at most 1h",
		}},
		{"payments-prod", "PowerUserAccess", nil},
		{"data-prod", "ReadOnlyAccess", []string{"permission_sets/ReadOnlyAccess/auto_approve[0] at most 1h"}},
		{"payments-prod", "", nil}, // a custom set is never auto-approved
		{"nowhere", "ReadOnlyAccess", []string{"permission_sets/ReadOnlyAccess/auto_approve[0] at most 1h"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, names(cfg.AutoApproveRules(tt.account, tt.set))); diff != "" {
			t.Errorf("AutoApproveRules(%q, %q) (-want +got):\n%s", tt.account, tt.set, diff)
		}
	}
	if got := (*Config)(nil).AutoApproveRules("payments-prod", "ReadOnlyAccess"); got != nil {
		t.Errorf("nil config gave rules %v", got)
	}
}

func TestWorkingHoursContains(t *testing.T) {
	w := &WorkingHours{TimeZone: "Europe/Berlin", Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-11-23T08:00:00Z", true},  // Monday 09:00 in Berlin (CET, +1)
		{"2026-11-23T07:59:59Z", false}, // 08:59:59
		{"2026-11-23T16:59:59Z", true},  // 17:59:59
		{"2026-11-23T17:00:00Z", false}, // 18:00, the end is exclusive
		{"2026-11-28T10:00:00Z", false}, // Saturday
		{"2026-11-22T23:30:00Z", false}, // Monday 00:30 in Berlin
		{"2026-07-06T07:00:00Z", true},  // Monday 09:00 in summer (CEST, +2)
		{"2026-07-06T16:00:00Z", false}, // 18:00 CEST
		{"2026-11-23T09:00:00+01:00", true},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.Contains(at)
		if err != nil || got != tt.want {
			t.Errorf("Contains(%s) = %v, %v; want %v", tt.at, got, err, tt.want)
		}
	}
	for _, bad := range []WorkingHours{
		{TimeZone: "Mars/Olympus", Days: []string{"mon"}, From: "09:00", To: "18:00"},
		{TimeZone: "Local", Days: []string{"mon"}, From: "09:00", To: "18:00"},
		{TimeZone: "UTC", Days: []string{"mon"}, From: "9", To: "18:00"},
		{TimeZone: "UTC", Days: []string{"mon"}, From: "09:00", To: "24:00"},
	} {
		if ok, err := bad.Contains(now); err == nil || ok {
			t.Errorf("Contains with %+v = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestEmergencyDurations(t *testing.T) {
	e := &Emergency{MaxDuration: "4h"}
	if d, err := e.MaxAccess(); err != nil || d != 4*time.Hour {
		t.Errorf("MaxAccess = %v, %v", d, err)
	}
	if d := e.ReviewWithinDuration(); d != DefaultEmergencyReviewWithin {
		t.Errorf("default ReviewWithinDuration = %v", d)
	}
	e.ReviewWithin = "90m"
	if d := e.ReviewWithinDuration(); d != 90*time.Minute {
		t.Errorf("ReviewWithinDuration(90m) = %v", d)
	}
}

func orNil(s string) string {
	if s == "" {
		return "<nil>"
	}
	return s
}
