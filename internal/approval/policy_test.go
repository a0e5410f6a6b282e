package approval

import (
	_ "embed"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"

	"github.com/jit-access/jit/internal/teamstest"
)

var berlinOffice = &schema.WorkingHours{TimeZone: "Europe/Berlin", Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}

const oncallRuleName = "accounts/payments-prod/auto_approve[0]"

// oncallRule: the on-call team, up to 4h, in Berlin office hours.
var oncallRule = schema.NamedRule{Name: oncallRuleName, Rule: schema.AutoApproveRule{
	Requesters: []string{"@acme/oncall"}, MaxDuration: "4h", WorkingHours: berlinOffice,
}}

const oncallNote = "requester in @acme/oncall; at most 4h; mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin"

func rule(name string, r schema.AutoApproveRule) schema.NamedRule {
	return schema.NamedRule{Name: name, Rule: r}
}

// policyTest is one case of a request policy: the decision's summary, the
// reason, the rule misses and the emergency flag.
type policyTest struct {
	name   string
	kind   Kind // KindStandard when empty
	input  func(*Input)
	pr     *fakePR
	want   summary
	reason string
	misses []RuleMiss
	emerg  bool
	warn   []string
}

func runPolicyTests(t *testing.T, tests []policyTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = KindStandard
			}
			in := baseInput(kind)
			in.Now = at(0) // Monday 2026-11-23 11:00 in Berlin
			if tt.input != nil {
				tt.input(&in)
			}
			d := decide(t, in, tt.pr, tt.want)
			if tt.reason != "" && d.Reason != tt.reason {
				t.Errorf("Reason = %q\nwant     %q", d.Reason, tt.reason)
			}
			if diff := cmp.Diff(tt.misses, d.AutoApproveMisses, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("AutoApproveMisses (-want +got):\n%s", diff)
			}
			if d.Emergency != tt.emerg {
				t.Errorf("Emergency = %v, want %v", d.Emergency, tt.emerg)
			}
			if diff := cmp.Diff(tt.warn, d.Warnings, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAutoApprove(t *testing.T) {
	leads := []string{"@acme/payments-leads"}
	rules := func(rs ...schema.NamedRule) func(*Input) {
		return func(in *Input) { in.Policy.AutoApprove = rs }
	}
	sreOnly := rule("accounts/payments-prod/auto_approve[1]", schema.AutoApproveRule{Requesters: []string{"@acme/sre"}})
	upTo1h := rule("permission_sets/ReadOnlyAccess/auto_approve[0]", schema.AutoApproveRule{MaxDuration: "1h"})
	upTo4h := rule("permission_sets/ReadOnlyAccess/auto_approve[1]", schema.AutoApproveRule{MaxDuration: "4h"})
	runPolicyTests(t, []policyTest{
		{
			name:   "every condition holds",
			input:  rules(oncallRule),
			pr:     pr(),
			want:   summary{State: StateApproved, Approvals: []string{"rule:" + oncallRuleName + ":auto"}},
			reason: "Approved by rule " + oncallRuleName + " (" + oncallNote + ").",
		},
		{
			name:   "the requester is not in the rule's requesters",
			input:  rules(sreOnly),
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: sreOnly.Name, Reason: "@rita is not one of its requesters (@acme/sre)"}},
		},
		{
			name: "longer than the rule's max_duration",
			input: func(in *Input) {
				in.Policy.AutoApprove = []schema.NamedRule{oncallRule}
				in.RequestedDuration = 8 * time.Hour
			},
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: oncallRuleName, Reason: "the duration 8h is longer than its max_duration 4h"}},
		},
		{
			name:   "on a Saturday",
			input:  func(in *Input) { in.Policy.AutoApprove = []schema.NamedRule{oncallRule}; in.Now = at(5 * 24 * 60) },
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: oncallRuleName, Reason: "Sat 11:00 CET is outside its working hours (mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin)"}},
		},
		{
			name:   "after hours",
			input:  func(in *Input) { in.Policy.AutoApprove = []schema.NamedRule{oncallRule}; in.Now = at(7 * 60) },
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: oncallRuleName, Reason: "Mon 18:00 CET is outside its working hours (mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin)"}},
		},
		{
			name:   "time unknown: working hours fail closed",
			input:  func(in *Input) { in.Policy.AutoApprove = []schema.NamedRule{oncallRule}; in.Now = time.Time{} },
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: oncallRuleName, Reason: "the time of the request is not known, so its working hours cannot be checked"}},
		},
		{
			name:   "a broken time zone fails closed",
			input:  rules(rule("r", schema.AutoApproveRule{WorkingHours: &schema.WorkingHours{TimeZone: "Mars/Olympus", Days: []string{"mon"}, From: "09:00", To: "18:00"}})),
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: "r", Reason: `its working hours cannot be checked: time zone "Mars/Olympus" is not an IANA time zone name such as Europe/Berlin or America/New_York`}},
		},
		{
			name:   "a rule without conditions never matches",
			input:  rules(rule("r", schema.AutoApproveRule{})),
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: "r", Reason: "it has no condition, and a rule needs at least one"}},
		},
		{
			name:  "the first rule that matches approves; earlier misses are not listed",
			input: rules(sreOnly, upTo1h, upTo4h),
			pr:    pr(),
			want:  summary{State: StateApproved, Approvals: []string{"rule:" + upTo4h.Name + ":auto"}},
		},
		{
			name: "every rule misses: all are listed in order",
			input: func(in *Input) {
				in.Policy.AutoApprove = []schema.NamedRule{sreOnly, upTo1h}
				in.RequestedDuration = 2 * time.Hour
			},
			pr:   pr(),
			want: summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{
				{Rule: sreOnly.Name, Reason: "@rita is not one of its requesters (@acme/sre)"},
				{Rule: upTo1h.Name, Reason: "the duration 2h is longer than its max_duration 1h"},
			},
		},
		{
			name:  "a requester listed as a user",
			input: rules(rule("r", schema.AutoApproveRule{Requesters: []string{"@bob", "@Rita"}})),
			pr:    pr(),
			want:  summary{State: StateApproved, Approvals: []string{"rule:r:auto"}},
		},
		{
			name:  "an owner's request for changes still blocks",
			input: rules(oncallRule),
			pr:    pr(rv(1, "oscar", ReviewChangesRequested, head, 1, "not for this")),
			want: summary{State: StateRejected, Approvals: []string{"rule:" + oncallRuleName + ":auto"},
				Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name:  "a human approval makes the rule unnecessary",
			input: rules(oncallRule),
			pr:    pr(approve(1, "olivia", 1)),
			want:  summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name:  "custom permission sets are never auto-approved",
			kind:  KindCustom,
			input: rules(upTo4h),
			pr:    pr(),
			want:  summary{State: StatePendingOwner, Next: leads},
		},
		{
			name:  "admin changes are never auto-approved",
			kind:  KindAdminChange,
			input: rules(upTo4h),
			pr:    pr(),
			want:  summary{State: StatePendingAdmin, Next: []string{"@acme/sso-admins"}},
		},
		{
			name:  "an invalid request is never auto-approved",
			input: func(in *Input) { in.Policy.AutoApprove = []schema.NamedRule{upTo4h}; in.Invalid = true },
			pr:    pr(),
			want:  summary{State: StateInvalid},
		},
		{
			name:   "a requesters entry that is no user or team is ignored",
			input:  rules(rule("r", schema.AutoApproveRule{Requesters: []string{"rita"}})),
			pr:     pr(),
			want:   summary{State: StatePendingOwner, Next: leads},
			misses: []RuleMiss{{Rule: "r", Reason: "@rita is not one of its requesters (rita)"}},
			warn:   []string{`The auto_approve requester entry "rita" is neither @user nor @org/team and is ignored.`},
		},
	})
}

func TestAutoApproveRecordsTheRule(t *testing.T) {
	in := baseInput(KindStandard)
	in.Now = at(0)
	in.Policy.AutoApprove = []schema.NamedRule{oncallRule}
	d, err := Evaluate(in, pr(), org())
	if err != nil {
		t.Fatal(err)
	}
	want := []Approval{{By: "rule:" + oncallRuleName, Stage: StageAuto, As: "@acme/oncall", At: at(0), Note: oncallNote}}
	if diff := cmp.Diff(want, d.Approvals); diff != "" {
		t.Errorf("Approvals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"jit:approved"}, d.Labels()); diff != "" {
		t.Errorf("Labels (-want +got):\n%s", diff)
	}
}

func TestRuleTeamLookupErrorsFailClosed(t *testing.T) {
	boom := errors.New("boom")
	for name, policy := range map[string]Policy{
		"auto_approve": {AutoApprove: []schema.NamedRule{oncallRule}},
		"emergency":    {Emergency: &schema.Emergency{Requesters: []string{"@acme/oncall"}, MaxDuration: "4h"}},
	} {
		t.Run(name, func(t *testing.T) {
			in := baseInput(KindStandard)
			in.Now = at(0)
			in.Policy = policy
			_, err := Evaluate(in, pr(), &teamstest.Teams{Err: boom})
			if !errors.Is(err, boom) || err.Error() != "approval: checking whether rita is in @acme/oncall: boom" {
				t.Errorf("Evaluate error = %v", err)
			}
		})
	}
}

func TestEmergency(t *testing.T) {
	em := func(in *Input) {
		in.Policy.Emergency = &schema.Emergency{Requesters: []string{"@acme/oncall"}, MaxDuration: "4h", ReviewWithin: "12h"}
	}
	with := func(fs ...func(*Input)) func(*Input) {
		return func(in *Input) {
			for _, f := range fs {
				f(in)
			}
		}
	}
	ownersAndAdmins := []string{"@acme/payments-leads", "@acme/sso-admins"}
	const approvedAtOnce = "Approved at once as emergency access for @rita (as @acme/oncall)"
	runPolicyTests(t, []policyTest{
		{
			name:   "approved at once; owners and admins are asked to review after the fact",
			input:  em,
			pr:     pr(),
			want:   summary{State: StateApproved, Approvals: []string{"emergency:emergency"}, Next: ownersAndAdmins},
			reason: approvedAtOnce + "; an owner of payments-prod or an SSO admin must review it within 12h.",
			emerg:  true,
		},
		{
			name:   "an owner's approval is the review after the fact",
			input:  em,
			pr:     pr(approve(1, "olivia", 30, "confirmed, INC-1234 needed it")),
			want:   summary{State: StateApproved, Approvals: []string{"emergency:emergency", "olivia:owner"}},
			reason: approvedAtOnce + "; reviewed after the fact by @olivia.",
			emerg:  true,
		},
		{
			name:  "an admin's approval is one too",
			input: em,
			pr:    pr(approve(1, "ada", 30, "ok")),
			want:  summary{State: StateApproved, Approvals: []string{"emergency:emergency", "ada:admin"}},
			emerg: true,
		},
		{
			name:  "a review by someone else is not",
			input: em,
			pr:    pr(approve(1, "mallory", 30)),
			want: summary{State: StateApproved, Approvals: []string{"emergency:emergency"},
				Ignored: []string{"1 mallory: " + notEligible}, Next: ownersAndAdmins},
			emerg: true,
		},
		{
			name:  "an owner's request for changes blocks",
			input: em,
			pr:    pr(rv(1, "oscar", ReviewChangesRequested, head, 1, "not an emergency")),
			want: summary{State: StateRejected, Approvals: []string{"emergency:emergency"},
				Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
			emerg: true,
		},
		{
			name: "without usable owners the admins review",
			input: with(em, func(in *Input) {
				in.Owners = nil
				in.Policy.Emergency.ReviewWithin = ""
			}),
			pr:     pr(),
			want:   summary{State: StateApproved, Approvals: []string{"emergency:emergency"}, Next: []string{"@acme/sso-admins"}},
			reason: approvedAtOnce + "; an SSO admin must review it within 24h.",
			emerg:  true,
			warn:   []string{"CODEOWNERS names no usable owner of payments-prod, so only SSO admins may approve."},
		},
		{
			name:  "a requester listed as a user",
			input: with(em, func(in *Input) { in.Policy.Emergency.Requesters = []string{"@rita"} }),
			pr:    pr(),
			want:  summary{State: StateApproved, Approvals: []string{"emergency:emergency"}, Next: ownersAndAdmins},
			// "(as @rita)" would say nothing.
			reason: "Approved at once as emergency access for @rita; an owner of payments-prod or an SSO admin must review it within 12h.",
			emerg:  true,
		},
		{
			name:  "not an emergency requester: reviewed as usual",
			input: with(em, func(in *Input) { in.Policy.Emergency.Requesters = []string{"@acme/sre"} }),
			pr:    pr(),
			want:  summary{State: StatePendingOwner, Next: []string{"@acme/payments-leads"}},
			warn:  []string{"@rita is not one of the emergency requesters (@acme/sre), so the request is not approved as emergency access."},
		},
		{
			name:  "over the emergency cap: reviewed as usual",
			input: with(em, func(in *Input) { in.RequestedDuration = 8 * time.Hour }),
			pr:    pr(),
			want:  summary{State: StatePendingOwner, Next: []string{"@acme/payments-leads"}},
			warn:  []string{"The duration 8h is longer than the 4h emergency access allows, so the request is not approved as emergency access."},
		},
		{
			name:  "emergency takes precedence over auto-approval",
			input: with(em, func(in *Input) { in.Policy.AutoApprove = []schema.NamedRule{oncallRule} }),
			pr:    pr(),
			want:  summary{State: StateApproved, Approvals: []string{"emergency:emergency"}, Next: ownersAndAdmins},
			emerg: true,
		},
		{
			name:  "never for a custom permission set",
			kind:  KindCustom,
			input: em,
			pr:    pr(),
			want:  summary{State: StatePendingOwner, Next: []string{"@acme/payments-leads"}},
		},
		{
			name:  "never for an invalid request",
			input: with(em, func(in *Input) { in.Invalid = true }),
			pr:    pr(),
			want:  summary{State: StateInvalid},
		},
	})
}

func TestEmergencyLabelsAndPostHoc(t *testing.T) {
	in := baseInput(KindStandard)
	in.Now = at(0)
	in.Policy.Emergency = &schema.Emergency{Requesters: []string{"@acme/oncall"}, MaxDuration: "4h", ReviewWithin: "12h"}
	within := in.Policy.Emergency.ReviewWithinDuration()

	pending, err := Evaluate(in, pr(), org())
	if err != nil {
		t.Fatal(err)
	}
	reviewed, err := Evaluate(in, pr(approve(1, "olivia", 60, "confirmed")), org())
	if err != nil {
		t.Fatal(err)
	}
	rejected, err := Evaluate(in, pr(rv(1, "oscar", ReviewChangesRequested, head, 60, "no")), org())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Evaluate(baseInput(KindStandard), pr(approve(1, "olivia", 1)), org())
	if err != nil {
		t.Fatal(err)
	}
	wantApproval := Approval{By: EmergencyApprover, Stage: StageEmergency, As: "@acme/oncall", At: at(0)}
	if diff := cmp.Diff(wantApproval, pending.Approvals[0]); diff != "" {
		t.Errorf("emergency approval (-want +got):\n%s", diff)
	}
	tests := []struct {
		name     string
		d        Decision
		labels   []string
		reviewed bool
		overdue  map[time.Duration]bool // minutes after the approval -> overdue
	}{
		{"pending", pending, []string{"jit:approved", LabelEmergency}, false,
			map[time.Duration]bool{0: false, within - time.Nanosecond: false, within: true, 2 * within: true}},
		{"reviewed", reviewed, []string{"jit:approved", LabelEmergency}, true,
			map[time.Duration]bool{within: false}},
		{"rejected", rejected, []string{"jit:rejected", LabelEmergency}, false,
			map[time.Duration]bool{within: true}},
		{"not emergency", plain, []string{"jit:approved"}, false,
			map[time.Duration]bool{within: false}},
		{"emergency approval of unknown time", Decision{State: StateApproved, Emergency: true, Approvals: []Approval{{By: EmergencyApprover, Stage: StageEmergency}}},
			[]string{"jit:approved", LabelEmergency}, false, map[time.Duration]bool{0: true}},
		{"zero", Decision{}, nil, false, map[time.Duration]bool{within: false}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.labels, tt.d.Labels()); diff != "" {
			t.Errorf("%s: Labels (-want +got):\n%s", tt.name, diff)
		}
		if got := PostHocReviewed(tt.d); got != tt.reviewed {
			t.Errorf("%s: PostHocReviewed = %v, want %v", tt.name, got, tt.reviewed)
		}
		for after, want := range tt.overdue {
			if got := PostHocOverdue(tt.d, within, at(0).Add(after)); got != want {
				t.Errorf("%s: PostHocOverdue %v after = %v, want %v", tt.name, after, got, want)
			}
		}
	}
	if diff := cmp.Diff([]Approval{{By: "olivia", Stage: StageOwner, As: "@acme/payments-leads", At: at(60), ReviewID: 1, Note: "confirmed"}}, PostHocReviews(reviewed)); diff != "" {
		t.Errorf("PostHocReviews (-want +got):\n%s", diff)
	}
	if got := PostHocReviews(plain); got != nil {
		t.Errorf("PostHocReviews of a plain request = %v", got)
	}
}

func TestRequireReviewNote(t *testing.T) {
	note := func(in *Input) { in.Policy.RequireReviewNote = true }
	leads := []string{"@acme/payments-leads"}
	const noNote = "approval without a written reason; require_review_note is on"
	runPolicyTests(t, []policyTest{
		{
			name:  "an approval with a reason counts",
			input: note,
			pr:    pr(approve(1, "olivia", 1, "ok for INC-1234")),
			want:  summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name:  "an approval without a body does not",
			input: note,
			pr:    pr(approve(1, "olivia", 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 olivia: " + noNote}, Next: leads},
		},
		{
			name:  "a directive is no reason",
			input: note,
			pr:    pr(approve(1, "olivia", 1, "jit: duration 2h")),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 olivia: " + noNote}, Next: leads},
		},
		{
			name:  "blank lines are no reason",
			input: note,
			pr:    pr(approve(1, "olivia", 1, "  ", "\t", "")),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 olivia: " + noNote}, Next: leads},
		},
		{
			name:  "a reason next to a directive counts",
			input: note,
			pr:    pr(approve(1, "olivia", 1, "jit: duration 2h", "2h is plenty")),
			want:  summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name:  "a request for changes without a reason does not block",
			input: note,
			pr:    pr(rv(1, "oscar", ReviewChangesRequested, head, 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 oscar: no written reason; require_review_note is on" + noBlock}, Next: leads},
		},
		{
			name:  "a request for changes with a reason blocks",
			input: note,
			pr:    pr(rv(1, "oscar", ReviewChangesRequested, head, 1, "too long")),
			want:  summary{State: StateRejected, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "off: an approval without a body counts",
			pr:   pr(approve(1, "olivia", 1)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name:  "who may approve is checked first",
			input: note,
			pr:    pr(approve(1, "mallory", 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 mallory: " + notEligible}, Next: leads},
		},
		{
			name:  "and the commit before the note",
			input: note,
			pr:    pr(rv(1, "olivia", ReviewApproved, old, 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 olivia: " + stale}, Next: leads},
		},
		{
			name:  "custom requests: each stage needs a reason",
			kind:  KindCustom,
			input: note,
			pr:    pr(approve(1, "olivia", 1, "fine"), approve(2, "ada", 2)),
			want:  summary{State: StatePendingAdmin, Approvals: []string{"olivia:owner"}, Ignored: []string{"2 ada: " + noNote}, Next: []string{"@acme/sso-admins"}},
		},
		{
			name:  "admin changes too",
			kind:  KindAdminChange,
			input: note,
			pr:    pr(approve(1, "ada", 1)),
			want:  summary{State: StatePendingAdmin, Ignored: []string{"1 ada: " + noNote}, Next: []string{"@acme/sso-admins"}},
		},
		{
			name:  "a note-less request for changes does not stop auto-approval",
			input: func(in *Input) { note(in); in.Policy.AutoApprove = []schema.NamedRule{oncallRule} },
			pr:    pr(rv(1, "oscar", ReviewChangesRequested, head, 1)),
			want: summary{State: StateApproved, Approvals: []string{"rule:" + oncallRuleName + ":auto"},
				Ignored: []string{"1 oscar: no written reason; require_review_note is on" + noBlock}},
		},
	})
}

//go:embed testdata/policy-config.yaml
var policyConfig string

func TestPolicyFor(t *testing.T) {
	cfg, fs := schema.ParseConfig(layout.ConfigPath, []byte(policyConfig))
	if cfg == nil {
		t.Fatal(fs)
	}
	noEmergency := *cfg
	noEmergency.Emergency = nil
	names := func(p Policy) []string {
		var out []string
		for _, r := range p.AutoApprove {
			out = append(out, r.Name)
		}
		return out
	}
	tests := []struct {
		name      string
		cfg       *schema.Config
		req       *schema.Request
		rules     []string
		emergency bool
		note      bool
	}{
		{"standard set", cfg, &schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess"},
			[]string{"accounts/payments-prod/auto_approve[0]", "accounts/payments-prod/auto_approve[1]", "permission_sets/ReadOnlyAccess/auto_approve[0]"}, false, true},
		{"an account rule for other sets is left out", cfg, &schema.Request{Account: "payments-prod", PermissionSet: "PowerUserAccess"},
			[]string{"accounts/payments-prod/auto_approve[1]"}, false, true},
		{"custom set: no rules", cfg, &schema.Request{Account: "payments-prod", CustomPermissionSet: &schema.CustomPermissionSet{Name: "X"}}, nil, false, true},
		{"emergency", cfg, &schema.Request{Account: "payments-prod", PermissionSet: "PowerUserAccess", Emergency: true},
			[]string{"accounts/payments-prod/auto_approve[1]"}, true, true},
		{"emergency not configured", &noEmergency, &schema.Request{Account: "payments-prod", PermissionSet: "PowerUserAccess", Emergency: true},
			[]string{"accounts/payments-prod/auto_approve[1]"}, false, true},
		{"admin change", cfg, nil, nil, false, true},
		{"no config", nil, &schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Emergency: true}, nil, false, false},
	}
	for _, tt := range tests {
		p := PolicyFor(tt.cfg, tt.req)
		if diff := cmp.Diff(tt.rules, names(p)); diff != "" {
			t.Errorf("%s: rules (-want +got):\n%s", tt.name, diff)
		}
		if (p.Emergency != nil) != tt.emergency || p.RequireReviewNote != tt.note {
			t.Errorf("%s: Emergency = %v, RequireReviewNote = %v", tt.name, p.Emergency, p.RequireReviewNote)
		}
	}
	// The policy holds a copy: changing it does not change the config.
	p := PolicyFor(cfg, &schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Emergency: true})
	p.Emergency.MaxDuration = "1mo"
	if cfg.Emergency.MaxDuration != "4h" {
		t.Errorf("PolicyFor shares the config's emergency block")
	}
}
