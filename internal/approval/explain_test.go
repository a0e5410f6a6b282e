package approval

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/schema"
)

// TestExplain checks the status comment of a decision as approvers read it.
func TestExplain(t *testing.T) {
	approved := pr(
		rv(1, "olivia", ReviewApproved, old, 1, "fine"),
		approve(2, "olivia", 3, "ok for INC-1234", "jit: duration 2h"),
		rv(3, "mallory", ReviewApproved, head, 4),
		approve(4, "ada", 5, "jit: duration 1w"),
	)
	approved.CommitsValue = append(approved.CommitsValue, Commit{SHA: "8888888888", Author: "", Committer: "rita"})
	for _, tc := range []struct {
		name string
		kind Kind
		pr   *fakePR
		want string
	}{
		{
			name: "approved, with reviews and directives that did not count",
			kind: KindCustom,
			pr:   approved,
			want: "### jit: approved\n\n" +
				"Approved by @\u200bolivia for the owner stage and SSO admin @\u200bada.\n\n" +
				"- **State:** `jit:approved`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Access duration:** `2h` (requested `4h`, shortened by an approver)\n" +
				"\n#### Approvals that count\n\n" +
				"- `@olivia`, owner stage (as `@acme/payments-leads`), 2026-11-23T10:03:00Z, shortened to `2h`: `ok for INC-1234`\n" +
				"- `@ada`, admin stage (as `@acme/sso-admins`), 2026-11-23T10:05:00Z\n" +
				"\n#### Reviews that do not count\n\n" +
				"- `@olivia`, approved 2026-11-23T10:01:00Z: superseded by a later review by @\u200bolivia\n" +
				"- `@mallory`, approved 2026-11-23T10:04:00Z: not an owner of payments-prod nor an SSO admin\n" +
				"\n#### Directives that had no effect\n\n" +
				"- `@ada` wrote `jit: duration 1w`: 1w is longer than the requested 4h; an approver may only shorten the access, so the approval counts for 4h\n" +
				"\n#### Warnings\n\n" +
				"- Commit 8888888 has an author who is not linked to a GitHub account: jit cannot tell who wrote it, so reviewers should make sure it is not theirs.\n",
		},
		{
			name: "changes requested",
			kind: KindStandard,
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, old, 1, "Too long.\nUse 1h.")),
			want: "### jit: changes requested\n\n" +
				"@\u200boscar asked for changes; the request is blocked until they approve, or they or an SSO admin dismiss their review.\n\n" +
				"- **State:** `jit:rejected`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Next to review:** `@oscar`\n" +
				"- **Access duration:** `4h`\n" +
				"\n#### Changes requested\n\n" +
				"- `@oscar` (as `@acme/payments-leads`), 2026-11-23T10:01:00Z on `0000000`: `Too long. Use 1h.`\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Evaluate(baseInput(tc.kind), tc.pr, org())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, Explain(d)); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

// Review bodies are written by anyone who can review; quoted in the sticky
// comment they must not mention teams, inject HTML or break out of their
// code span.
func TestExplainNeutralisesReviewText(t *testing.T) {
	d := Decision{
		State:  StateApproved,
		Reason: "Approved by @olivia <img src=x> [link](http://x) **bold**",
		Approvals: []Approval{{
			By: "olivia", Stage: StageOwner, At: t0,
			Note: "ping @acme/everyone `code` ``` <script>alert(1)</script>\n# heading\n" + strings.Repeat("x", 400),
		}},
		Ignored: []Ignored{{Review: Review{User: "", State: ReviewApproved}, Reason: "the reviewer's account no longer exists"}},
	}
	got := Explain(d)
	for _, bad := range []string{"Approved by @olivia", " <img", "[link]", "**bold**", "\n# heading"} {
		if strings.Contains(got, bad) {
			t.Errorf("Explain output contains %q:\n%s", bad, got)
		}
	}
	wantNote := "````ping @acme/everyone `code` ``` <script>alert(1)</script> # heading " + strings.Repeat("x", 300-len("ping @acme/everyone `code` ``` <script>alert(1)</script> # heading ")) + "…````"
	if !strings.Contains(got, wantNote) {
		t.Errorf("note not fenced and cut as expected:\n%s", got)
	}
	if !strings.Contains(got, "- `(deleted account)`, approved: the reviewer's account no longer exists\n") {
		t.Errorf("deleted account not shown:\n%s", got)
	}
}

func TestExplainUnknownState(t *testing.T) {
	got := Explain(Decision{RequestedDuration: time.Hour})
	if !strings.HasPrefix(got, "### jit: unknown state (not approved)\n") {
		t.Errorf("Explain of a zero Decision = %q", got)
	}
}

func TestExplainPolicies(t *testing.T) {
	emergency := &schema.Emergency{Requesters: []string{"@acme/oncall"}, MaxDuration: "4h"}
	tests := []struct {
		name   string
		policy Policy
		dur    time.Duration
		pr     *fakePR
		want   string
	}{
		{
			name:   "emergency, not yet reviewed",
			policy: Policy{Emergency: emergency},
			pr:     pr(),
			want: "### jit: approved as emergency access\n\n" +
				"Approved at once as emergency access for @\u200brita (as @\u200bacme/oncall); an owner of payments-prod or an SSO admin must review it within 24h.\n\n" +
				"- **State:** `jit:approved`, `jit:emergency`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Next to review:** `@acme/payments-leads`, `@acme/sso-admins`\n" +
				"- **Access duration:** `4h`\n" +
				"- **Emergency access:** not yet reviewed after the fact by an owner or SSO admin\n" +
				"\n#### Approvals that count\n\n" +
				"- `emergency`, emergency stage (as `@acme/oncall`), 2026-11-23T10:00:00Z\n",
		},
		{
			name:   "emergency, reviewed",
			policy: Policy{Emergency: emergency},
			pr:     pr(approve(1, "olivia", 30, "confirmed")),
			want: "### jit: approved as emergency access\n\n" +
				"Approved at once as emergency access for @\u200brita (as @\u200bacme/oncall); reviewed after the fact by @\u200bolivia.\n\n" +
				"- **State:** `jit:approved`, `jit:emergency`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Access duration:** `4h`\n" +
				"- **Emergency access:** reviewed after the fact by `@olivia`\n" +
				"\n#### Approvals that count\n\n" +
				"- `emergency`, emergency stage (as `@acme/oncall`), 2026-11-23T10:00:00Z\n" +
				"- `@olivia`, owner stage (as `@acme/payments-leads`), 2026-11-23T10:30:00Z: `confirmed`\n",
		},
		{
			name:   "auto-approved",
			policy: Policy{AutoApprove: []schema.NamedRule{oncallRule}},
			pr:     pr(),
			want: "### jit: approved\n\n" +
				"Approved by rule accounts/payments-prod/auto\\_approve\\[0\\] (requester in @\u200bacme/oncall; at most 4h; mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin).\n\n" +
				"- **State:** `jit:approved`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Access duration:** `4h`\n" +
				"\n#### Approvals that count\n\n" +
				"- `rule:accounts/payments-prod/auto_approve[0]`, auto stage (as `@acme/oncall`), 2026-11-23T10:00:00Z: `" + oncallNote + "`\n",
		},
		{
			name:   "no rule matched",
			policy: Policy{AutoApprove: []schema.NamedRule{oncallRule}},
			dur:    8 * time.Hour,
			pr:     pr(),
			want: "### jit: waiting for an owner\n\n" +
				"Waiting for an owner of payments-prod (or an SSO admin) to approve.\n\n" +
				"- **State:** `jit:pending-owner`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Next to review:** `@acme/payments-leads`\n" +
				"- **Access duration:** `8h`\n" +
				"\n#### Auto-approval rules that did not match\n\n" +
				"- `accounts/payments-prod/auto_approve[0]`: the duration 8h is longer than its max\\_duration 4h\n",
		},
		{
			name:   "a review without a note",
			policy: Policy{RequireReviewNote: true},
			pr:     pr(approve(1, "olivia", 1)),
			want: "### jit: waiting for an owner\n\n" +
				"Waiting for an owner of payments-prod (or an SSO admin) to approve.\n\n" +
				"- **State:** `jit:pending-owner`\n" +
				"- **Commit:** `1111111` (only reviews of this commit count)\n" +
				"- **Next to review:** `@acme/payments-leads`\n" +
				"- **Access duration:** `4h`\n" +
				"\n#### Reviews that do not count\n\n" +
				"- `@olivia`, approved 2026-11-23T10:01:00Z: approval without a written reason; require\\_review\\_note is on\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(KindStandard)
			in.Now = at(0)
			in.Policy = tt.policy
			if tt.dur != 0 {
				in.RequestedDuration = tt.dur
			}
			d, err := Evaluate(in, tt.pr, org())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, Explain(d)); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		input func(*Input)
		revs  []Review
		want  string
	}{
		{"standard approved by owner", KindStandard, nil, []Review{approve(1, "olivia", 1)}, "Approved by @olivia, an owner of payments-prod."},
		{"standard approved by admin", KindStandard, nil, []Review{approve(1, "ada", 1)}, "Approved by SSO admin @ada."},
		{"standard waiting", KindStandard, nil, nil, "Waiting for an owner of payments-prod (or an SSO admin) to approve."},
		{"standard without owners", KindStandard, func(in *Input) { in.Owners = nil }, nil, "No usable owner of payments-prod, so an SSO admin must approve."},
		{"custom approved", KindCustom, nil, []Review{approve(1, "ada", 1), approve(2, "olivia", 2)}, "Approved by @olivia for the owner stage and SSO admin @ada."},
		{"custom waiting for owner", KindCustom, nil, nil, "Waiting for an owner of payments-prod, then an SSO admin."},
		{"custom admin first", KindCustom, nil, []Review{approve(1, "ada", 1)}, "SSO admin @ada approved; waiting for an owner of payments-prod (a different person)."},
		{"custom owner first", KindCustom, nil, []Review{approve(1, "olivia", 1)}, "Owner @olivia approved; waiting for an SSO admin (a different person)."},
		{"custom without owners", KindCustom, func(in *Input) { in.Owners = nil }, nil, "No usable owner of payments-prod, so two different SSO admins must approve."},
		{"custom without owners, one admin", KindCustom, func(in *Input) { in.Owners = nil }, []Review{approve(1, "ada", 1)},
			"No usable owner of payments-prod, so two different SSO admins must approve; @ada has, waiting for another."},
		{"admin change waiting", KindAdminChange, nil, nil, "This pull request is not a plain request; waiting for an SSO admin to approve."},
		{"admin change approved", KindAdminChange, nil, []Review{approve(1, "ada", 1)}, "Approved by SSO admin @ada."},
		{"rejected by two", KindStandard, nil, []Review{rv(1, "oscar", ReviewChangesRequested, head, 1), rv(2, "ada", ReviewChangesRequested, old, 2)},
			"@oscar and @ada asked for changes; the request is blocked until they approve, or they or an SSO admin dismiss their review."},
		{"no account name", KindStandard, func(in *Input) { in.Account = "" }, nil, "Waiting for an owner of the account (or an SSO admin) to approve."},
		{"invalid without a reason", KindStandard, func(in *Input) { in.Invalid = true }, nil, "The request is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(tt.kind)
			if tt.input != nil {
				tt.input(&in)
			}
			d, err := Evaluate(in, pr(tt.revs...), org())
			if err != nil {
				t.Fatal(err)
			}
			if d.Reason != tt.want {
				t.Errorf("Reason = %q, want %q", d.Reason, tt.want)
			}
		})
	}
}
