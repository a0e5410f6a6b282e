package approval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/teamstest"
)

const (
	stale       = "approved an older commit 0000000; the pull request has changed since (head is now 1111111)"
	notEligible = "not an owner of payments-prod nor an SSO admin"
	ownAuthor   = "opened this pull request; nobody approves their own request"
	noBlock     = ", so the request for changes does not block"
)

type ruleTest struct {
	name   string
	input  func(*Input)
	pr     *fakePR
	want   summary
	effect time.Duration // EffectiveDuration when non-zero
}

// decide evaluates pr with in against the test organisation and checks
// the decision's summary; it returns the decision for further checks.
func decide(t *testing.T, in Input, pr *fakePR, want summary) Decision {
	t.Helper()
	d, err := Evaluate(in, pr, org())
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(want, summarise(d)); diff != "" {
		t.Errorf("decision (-want +got):\n%s\nreason: %s", diff, d.Reason)
	}
	return d
}

func runRuleTests(t *testing.T, kind Kind, tests []ruleTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(kind)
			if tt.input != nil {
				tt.input(&in)
			}
			d := decide(t, in, tt.pr, tt.want)
			if tt.effect != 0 && d.EffectiveDuration != tt.effect {
				t.Errorf("EffectiveDuration = %v, want %v", d.EffectiveDuration, tt.effect)
			}
		})
	}
}

func TestOnlyTheHeadCommitCounts(t *testing.T) {
	leads := []string{"@acme/payments-leads"}
	runRuleTests(t, KindStandard, []ruleTest{
		{
			name: "approval of the head commit",
			pr:   pr(approve(1, "olivia", 1)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name: "a push after approval sends it back",
			pr:   pr(rv(1, "olivia", ReviewApproved, old, 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 olivia: " + stale}, Next: leads},
		},
		{
			name: "approving again after the push counts, the old approval is superseded",
			pr:   pr(rv(1, "olivia", ReviewApproved, old, 1), approve(2, "olivia", 5)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"},
				Ignored: []string{"1 olivia: superseded by a later review by @olivia"}},
		},
		{
			name: "a later comment does not undo an approval",
			pr:   pr(approve(1, "olivia", 1), rv(2, "olivia", ReviewCommented, head, 2)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"},
				Ignored: []string{"2 olivia: a comment, not an approval"}},
		},
		{
			name: "a dismissed approval does not count",
			pr:   pr(dismissed(1, "olivia", ReviewApproved, "bob", 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 olivia: dismissed: a dismissed approval no longer counts"}, Next: leads},
		},
		{
			name: "dismissing the latest approval withdraws the reviewer's earlier one too",
			pr:   pr(approve(1, "olivia", 1), dismissed(2, "olivia", ReviewApproved, "bob", 2)),
			want: summary{State: StatePendingOwner, Ignored: []string{
				"1 olivia: superseded by a later review by @olivia",
				"2 olivia: dismissed: a dismissed approval no longer counts",
			}, Next: leads},
		},
		{
			name: "latest by submission time, not list order",
			pr:   pr(approve(2, "olivia", 5), rv(1, "olivia", ReviewChangesRequested, head, 1)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"},
				Ignored: []string{"1 olivia: superseded by a later review by @olivia"}},
		},
		{
			name: "an approval of an older commit given after one of the head wins and does not count",
			pr:   pr(approve(1, "olivia", 1), rv(2, "olivia", ReviewApproved, old, 2)),
			want: summary{State: StatePendingOwner, Ignored: []string{
				"1 olivia: superseded by a later review by @olivia",
				"2 olivia: " + stale,
			}, Next: leads},
		},
		{
			name: "pending, unknown-state, deleted-account and commit-less reviews",
			pr: pr(
				rv(1, "olivia", ReviewPending, head, 1),
				rv(2, "oscar", "APPROVED_MAYBE", head, 2),
				rv(3, "", ReviewApproved, head, 3),
				rv(4, "olivia", ReviewApproved, "", 4),
			),
			want: summary{State: StatePendingOwner, Ignored: []string{
				"1 olivia: not submitted yet",
				`2 oscar: unknown review state "APPROVED_MAYBE"`,
				"3 : the reviewer's account no longer exists",
				"4 olivia: the review is not tied to a commit",
			}, Next: leads},
		},
	})
}

func TestAuthorsAndCommittersNeverApprove(t *testing.T) {
	withCommits := func(cs ...Commit) *fakePR {
		p := pr(approve(1, "olivia", 1), approve(2, "oscar", 2))
		p.CommitsValue = cs
		return p
	}
	ritaOwns := func(in *Input) { in.Owners = []string{"@rita", "@acme/payments-leads"} }
	runRuleTests(t, KindStandard, []ruleTest{
		{
			name:  "the author cannot approve their own request even as an owner",
			input: ritaOwns,
			pr:    pr(approve(1, "rita", 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 rita: " + ownAuthor}, Next: []string{"@acme/payments-leads"}},
		},
		{
			name:  "the author is compared case-insensitively",
			input: ritaOwns,
			pr:    pr(approve(1, "RITA", 1)),
			want:  summary{State: StatePendingOwner, Ignored: []string{"1 RITA: " + ownAuthor}, Next: []string{"@acme/payments-leads"}},
		},
		{
			name: "a commit author cannot approve",
			pr:   withCommits(Commit{SHA: head, Author: "rita", Committer: "web-flow"}, Commit{SHA: "2222222222", Author: "Olivia", Committer: "web-flow"}),
			want: summary{State: StateApproved, Approvals: []string{"oscar:owner"},
				Ignored: []string{"1 olivia: authored commit 2222222 of this pull request; nobody approves a change they made"}},
		},
		{
			name: "a committer cannot approve",
			pr:   withCommits(Commit{SHA: "3333333333", Author: "rita", Committer: "oscar"}),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"},
				Ignored: []string{"2 oscar: committed 3333333 to this pull request; nobody approves a change they made"}},
		},
		{
			name: "author and committer of the same commit are both out",
			pr:   withCommits(Commit{SHA: "3333333333", Author: "olivia", Committer: "oscar"}),
			want: summary{State: StatePendingOwner, Ignored: []string{
				"1 olivia: authored commit 3333333 of this pull request; nobody approves a change they made",
				"2 oscar: committed 3333333 to this pull request; nobody approves a change they made",
			}, Next: []string{"@acme/payments-leads"}},
		},
		{
			name:  "the App never counts, with or without [bot]",
			input: func(in *Input) { in.Admins = []string{"@acme/sso-admins", "@jit-app"} },
			pr:    pr(approve(1, "jit-app[bot]", 1), approve(2, "JIT-APP", 2)),
			want: summary{State: StatePendingOwner, Ignored: []string{
				"1 jit-app[bot]: a review by the jit App itself never counts",
				"2 JIT-APP: a review by the jit App itself never counts",
			}, Next: []string{"@acme/payments-leads"}},
		},
		{
			name: "someone who is neither owner nor admin",
			pr:   pr(approve(1, "mallory", 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 mallory: " + notEligible}, Next: []string{"@acme/payments-leads"}},
		},
	})
}

func TestUnlinkedCommitsAreFlagged(t *testing.T) {
	p := pr(approve(1, "olivia", 1))
	p.CommitsValue = []Commit{{SHA: "4444444444", Author: "", Committer: ""}}
	d, err := Evaluate(baseInput(KindStandard), p, org())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Commit 4444444 has an author who is not linked to a GitHub account: jit cannot tell who wrote it, so reviewers should make sure it is not theirs.",
		"Commit 4444444 has a committer who is not linked to a GitHub account: jit cannot tell who pushed it, so reviewers should make sure it is not theirs.",
	}
	if diff := cmp.Diff(want, d.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	if d.State != StateApproved {
		t.Errorf("State = %s, want approved (an unlinked commit is flagged, not blocking)", d.State)
	}
}

func TestStandardNeedsOneOwnerOrAdmin(t *testing.T) {
	runRuleTests(t, KindStandard, []ruleTest{
		{
			name: "owner through a team",
			pr:   pr(approve(1, "olivia", 1)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name: "SSO admin through a team",
			pr:   pr(approve(1, "ada", 1)),
			want: summary{State: StateApproved, Approvals: []string{"ada:admin"}},
		},
		{
			name:  "owner listed as a user, compared case-insensitively",
			input: func(in *Input) { in.Owners = []string{"@Olivia"} },
			pr:    pr(approve(1, "olivia", 1)),
			want:  summary{State: StateApproved, Approvals: []string{"olivia:owner"}},
		},
		{
			name:  "admin listed as a user",
			input: func(in *Input) { in.Admins = []string{"@Ada"} },
			pr:    pr(approve(1, "ADA", 1)),
			want:  summary{State: StateApproved, Approvals: []string{"ADA:admin"}},
		},
		{
			name: "someone who is both counts as owner",
			pr:   pr(approve(1, "both", 1)),
			want: summary{State: StateApproved, Approvals: []string{"both:owner"}},
		},
		{
			name: "every counted approval is listed",
			pr:   pr(approve(1, "olivia", 1), approve(2, "ada", 2), approve(3, "mallory", 3)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner", "ada:admin"},
				Ignored: []string{"3 mallory: " + notEligible}},
		},
		{
			name: "nobody yet",
			pr:   pr(),
			want: summary{State: StatePendingOwner, Next: []string{"@acme/payments-leads"}},
		},
	})
}

func TestCustomNeedsOwnerThenDifferentAdmin(t *testing.T) {
	admins := []string{"@acme/sso-admins"}
	leads := []string{"@acme/payments-leads"}
	runRuleTests(t, KindCustom, []ruleTest{
		{
			name: "owner then admin",
			pr:   pr(approve(1, "olivia", 1), approve(2, "ada", 2)),
			want: summary{State: StateApproved, Approvals: []string{"olivia:owner", "ada:admin"}},
		},
		{
			name: "admin then owner: the owner still only completes the owner stage",
			pr:   pr(approve(1, "ada", 1), approve(2, "olivia", 2)),
			want: summary{State: StateApproved, Approvals: []string{"ada:admin", "olivia:owner"}},
		},
		{
			name: "owner only waits for an admin",
			pr:   pr(approve(1, "olivia", 1)),
			want: summary{State: StatePendingAdmin, Approvals: []string{"olivia:owner"}, Next: admins},
		},
		{
			name: "admin only waits for an owner",
			pr:   pr(approve(1, "ada", 1)),
			want: summary{State: StatePendingOwner, Approvals: []string{"ada:admin"}, Next: leads},
		},
		{
			name: "one person who is owner and admin fills one stage only",
			pr:   pr(approve(1, "both", 1)),
			want: summary{State: StatePendingAdmin, Approvals: []string{"both:owner"}, Next: admins},
		},
		{
			name: "owner+admin first, then an owner: they are matched as admin and owner",
			pr:   pr(approve(1, "both", 1), approve(2, "oscar", 2)),
			want: summary{State: StateApproved, Approvals: []string{"both:admin", "oscar:owner"}},
		},
		{
			name: "owner+admin, then an admin: owner and admin",
			pr:   pr(approve(1, "both", 1), approve(2, "ada", 2)),
			want: summary{State: StateApproved, Approvals: []string{"both:owner", "ada:admin"}},
		},
		{
			name: "two owners are not an admin",
			pr:   pr(approve(1, "olivia", 1), approve(2, "oscar", 2)),
			want: summary{State: StatePendingAdmin, Approvals: []string{"olivia:owner", "oscar:owner"}, Next: admins},
		},
		{
			name: "two admins are not an owner when owners exist",
			pr:   pr(approve(1, "ada", 1), approve(2, "adam", 2)),
			want: summary{State: StatePendingOwner, Approvals: []string{"ada:admin", "adam:admin"}, Next: leads},
		},
		{
			name: "extra approvals are listed with their role",
			pr:   pr(approve(1, "both", 1), approve(2, "adam", 2), approve(3, "olivia", 3)),
			want: summary{State: StateApproved, Approvals: []string{"both:admin", "adam:admin", "olivia:owner"}},
		},
		{
			name: "a stale admin approval does not fill the admin stage",
			pr:   pr(approve(1, "olivia", 1), rv(2, "ada", ReviewApproved, old, 2)),
			want: summary{State: StatePendingAdmin, Approvals: []string{"olivia:owner"},
				Ignored: []string{"2 ada: " + stale}, Next: admins},
		},
	})
}

func TestChangesRequestedRejects(t *testing.T) {
	runRuleTests(t, KindStandard, []ruleTest{
		{
			name: "an owner's request for changes rejects",
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, head, 1, "too long")),
			want: summary{State: StateRejected, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "it does not go stale on a push",
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, old, 1)),
			want: summary{State: StateRejected, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "it wins over another owner's approval",
			pr:   pr(approve(1, "olivia", 1), rv(2, "ada", ReviewChangesRequested, head, 2)),
			want: summary{State: StateRejected, Approvals: []string{"olivia:owner"}, Rejections: []string{"ada"}, Next: []string{"@ada"}},
		},
		{
			name: "a later comment does not withdraw it",
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, head, 1), rv(2, "oscar", ReviewCommented, head, 2)),
			want: summary{State: StateRejected, Rejections: []string{"oscar"}, Next: []string{"@oscar"},
				Ignored: []string{"2 oscar: a comment, not an approval"}},
		},
		{
			name: "superseded by the same reviewer's approval",
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, old, 1), approve(2, "oscar", 2)),
			want: summary{State: StateApproved, Approvals: []string{"oscar:owner"},
				Ignored: []string{"1 oscar: superseded by a later review by @oscar"}},
		},
		{
			name: "withdrawn when its author dismisses it",
			pr:   pr(dismissed(1, "oscar", ReviewChangesRequested, "oscar", 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 oscar: dismissed by its author: the request for changes is withdrawn"},
				Next: []string{"@acme/payments-leads"}},
		},
		{
			name: "lifted when an SSO admin dismisses it",
			pr:   pr(dismissed(1, "oscar", ReviewChangesRequested, "ada", 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 oscar: dismissed by SSO admin @ada (@acme/sso-admins): the request for changes is lifted"},
				Next: []string{"@acme/payments-leads"}},
		},
		{
			name: "stands when the requester dismisses it",
			pr:   pr(dismissed(1, "oscar", ReviewChangesRequested, "rita", 1), approve(2, "olivia", 2)),
			want: summary{State: StateRejected, Approvals: []string{"olivia:owner"}, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "stands when GitHub does not say who dismissed it",
			pr:   pr(dismissed(1, "oscar", "", "", 1), approve(2, "olivia", 2)),
			want: summary{State: StateRejected, Approvals: []string{"olivia:owner"}, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "another reviewer's approval does not withdraw it",
			pr:   pr(rv(1, "oscar", ReviewChangesRequested, head, 1), approve(2, "olivia", 2)),
			want: summary{State: StateRejected, Approvals: []string{"olivia:owner"}, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "someone who is neither owner nor admin cannot block",
			pr:   pr(rv(1, "mallory", ReviewChangesRequested, head, 1)),
			want: summary{State: StatePendingOwner, Ignored: []string{"1 mallory: " + notEligible + noBlock},
				Next: []string{"@acme/payments-leads"}},
		},
		{
			name: "an owner who committed can still block",
			pr: func() *fakePR {
				p := pr(rv(1, "oscar", ReviewChangesRequested, head, 1))
				p.CommitsValue = append(p.CommitsValue, Commit{SHA: "5555555555", Author: "oscar", Committer: "oscar"})
				return p
			}(),
			want: summary{State: StateRejected, Rejections: []string{"oscar"}, Next: []string{"@oscar"}},
		},
		{
			name: "the App cannot block",
			input: func(in *Input) {
				in.Owners = []string{"@jit-app"}
			},
			pr: pr(rv(1, "jit-app[bot]", ReviewChangesRequested, head, 1)),
			want: summary{State: StatePendingAdmin, Ignored: []string{"1 jit-app[bot]: a review by the jit App itself never counts" + noBlock},
				Next: []string{"@acme/sso-admins"}},
		},
	})
}

func TestWithoutUsableOwnersOnlyAdminsApprove(t *testing.T) {
	admins := []string{"@acme/sso-admins"}
	broken := func(in *Input) { in.OwnersErr = errors.New(".github/CODEOWNERS:3:1: negation (\"!\") does not work") }
	none := func(in *Input) { in.Owners = nil }
	const noOwners = "not an SSO admin, and payments-prod has no usable owners so only SSO admins count"
	t.Run("standard", func(t *testing.T) {
		runRuleTests(t, KindStandard, []ruleTest{
			{
				name:  "a CODEOWNERS error: an owner's approval does not count",
				input: broken,
				pr:    pr(approve(1, "olivia", 1)),
				want:  summary{State: StatePendingAdmin, Ignored: []string{"1 olivia: " + noOwners}, Next: admins},
			},
			{
				name:  "a CODEOWNERS error: an admin approves",
				input: broken,
				pr:    pr(approve(1, "ada", 1)),
				want:  summary{State: StateApproved, Approvals: []string{"ada:admin"}},
			},
			{
				name:  "no owners: an admin approves",
				input: none,
				pr:    pr(approve(1, "olivia", 1), approve(2, "ada", 2)),
				want:  summary{State: StateApproved, Approvals: []string{"ada:admin"}, Ignored: []string{"1 olivia: " + noOwners}},
			},
			{
				name:  "owner entries that are not @user or @org/team are unusable",
				input: func(in *Input) { in.Owners = []string{"payments-team", "olivia@acme.example", "@a b"} },
				pr:    pr(approve(1, "olivia", 1)),
				want:  summary{State: StatePendingAdmin, Ignored: []string{"1 olivia: " + noOwners}, Next: admins},
			},
			{
				name:  "the only owner is the requester",
				input: func(in *Input) { in.Owners = []string{"@rita"} },
				pr:    pr(approve(1, "ada", 1)),
				want:  summary{State: StateApproved, Approvals: []string{"ada:admin"}},
			},
		})
	})
	t.Run("custom", func(t *testing.T) {
		runRuleTests(t, KindCustom, []ruleTest{
			{
				name:  "one admin fills the owner stage and waits for another",
				input: broken,
				pr:    pr(approve(1, "ada", 1), approve(2, "olivia", 2)),
				want:  summary{State: StatePendingAdmin, Approvals: []string{"ada:owner"}, Ignored: []string{"2 olivia: " + noOwners}, Next: admins},
			},
			{
				name:  "two different admins",
				input: none,
				pr:    pr(approve(1, "ada", 1), approve(2, "adam", 2)),
				want:  summary{State: StateApproved, Approvals: []string{"ada:owner", "adam:admin"}},
			},
			{
				name:  "nobody yet waits for admins",
				input: broken,
				pr:    pr(),
				want:  summary{State: StatePendingAdmin, Next: admins},
			},
			{
				name: "an individually listed admin who filled the owner stage is not asked again",
				input: func(in *Input) {
					in.Owners = nil
					in.Admins = []string{"@ada", "@acme/sso-admins"}
				},
				pr:   pr(approve(1, "ada", 1)),
				want: summary{State: StatePendingAdmin, Approvals: []string{"ada:owner"}, Next: admins},
			},
		})
	})
}

func TestWarningsExplainFailingClosed(t *testing.T) {
	tests := []struct {
		name  string
		input func(*Input)
		want  []string
	}{
		{"CODEOWNERS error", func(in *Input) { in.OwnersErr = errors.New("CODEOWNERS:1:1: bad\nCODEOWNERS:2:1: worse") },
			[]string{"CODEOWNERS cannot be used (CODEOWNERS:1:1: bad; CODEOWNERS:2:1: worse), so only SSO admins may approve."}},
		{"no owners", func(in *Input) { in.Owners = nil },
			[]string{"CODEOWNERS names no usable owner of payments-prod, so only SSO admins may approve."}},
		{"bad entries", func(in *Input) { in.Owners = []string{"team"}; in.Admins = []string{"admins@acme.example"} },
			[]string{
				`The SSO admin entry "admins@acme.example" is neither @user nor @org/team and is ignored.`,
				"No SSO admins are configured, so nothing that needs an admin can be approved.",
				`The owner entry "team" is neither @user nor @org/team and is ignored.`,
				"CODEOWNERS names no usable owner of payments-prod, so only SSO admins may approve.",
			}},
		{"every owner took part", func(in *Input) { in.Owners = []string{"@rita", "@RITA"} },
			[]string{"Every owner of payments-prod took part in this pull request, so only SSO admins may approve."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(KindStandard)
			tt.input(&in)
			d, err := Evaluate(in, pr(), org())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, d.Warnings); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdminChangeNeedsAnAdmin(t *testing.T) {
	admins := []string{"@acme/sso-admins"}
	runRuleTests(t, KindAdminChange, []ruleTest{
		{
			name: "an owner does not count",
			pr:   pr(approve(1, "olivia", 1)),
			want: summary{State: StatePendingAdmin, Ignored: []string{"1 olivia: not an SSO admin, and a change that is not a plain request needs one"}, Next: admins},
		},
		{
			name: "an admin approves",
			pr:   pr(approve(1, "ada", 1)),
			want: summary{State: StateApproved, Approvals: []string{"ada:admin"}},
		},
		{
			name: "an admin who committed does not count",
			pr: func() *fakePR {
				p := pr(approve(1, "ada", 1))
				p.CommitsValue = append(p.CommitsValue, Commit{SHA: "6666666666", Author: "rita", Committer: "ada"})
				return p
			}(),
			want: summary{State: StatePendingAdmin, Ignored: []string{"1 ada: committed 6666666 to this pull request; nobody approves a change they made"}, Next: admins},
		},
		{
			name:  "owners are ignored even when CODEOWNERS is broken",
			input: func(in *Input) { in.OwnersErr = errors.New("broken") },
			pr:    pr(approve(1, "ada", 1)),
			want:  summary{State: StateApproved, Approvals: []string{"ada:admin"}},
		},
	})
}

func TestInvalidCountsNothing(t *testing.T) {
	in := baseInput(KindStandard)
	in.Invalid = true
	in.InvalidReason = "requests/payments-prod/a.yaml:3:11: duration \"5h\" is not allowed\n"
	d, err := Evaluate(in, pr(approve(1, "olivia", 1), rv(2, "oscar", ReviewChangesRequested, head, 2)), org())
	if err != nil {
		t.Fatal(err)
	}
	want := summary{State: StateInvalid, Ignored: []string{
		"1 olivia: the request is invalid: nothing counts until it is fixed",
		"2 oscar: the request is invalid: nothing counts until it is fixed",
	}}
	if diff := cmp.Diff(want, summarise(d)); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if want := `The request is invalid: requests/payments-prod/a.yaml:3:11: duration "5h" is not allowed.`; d.Reason != want {
		t.Errorf("Reason = %q, want %q", d.Reason, want)
	}
	if d.Label() != "jit:invalid" || d.Approved() {
		t.Errorf("Label = %q, Approved = %v", d.Label(), d.Approved())
	}
}

func TestErrorsPropagate(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		kind  Kind
		pr    *fakePR
		teams Teams
		want  string
		is    error
	}{
		{name: "unknown kind", kind: "emergency", pr: pr(), teams: org(), want: `approval: unknown pull request kind "emergency"`},
		{name: "no author", pr: &fakePR{HeadSHAValue: head}, teams: org(), want: "approval: the pull request has no author, so self-approval cannot be ruled out"},
		{name: "no head", pr: &fakePR{AuthorValue: "rita"}, teams: org(), want: "approval: the pull request has no head commit"},
		{name: "commits", pr: &fakePR{AuthorValue: "rita", HeadSHAValue: head, CommitsError: boom}, teams: org(),
			want: "approval: listing the pull request's commits: boom", is: boom},
		{name: "reviews", pr: &fakePR{AuthorValue: "rita", HeadSHAValue: head, ReviewsError: boom}, teams: org(),
			want: "approval: listing the pull request's reviews: boom", is: boom},
		{name: "team lookup", pr: pr(approve(1, "olivia", 1)), teams: &teamstest.Teams{Err: boom},
			want: "approval: checking whether olivia is in @acme/payments-leads: boom", is: boom},
		{name: "no team resolver", pr: pr(approve(1, "olivia", 1)), teams: nil,
			want: "approval: checking whether olivia is in @acme/payments-leads: no team resolver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = KindStandard
			}
			in := baseInput(kind)
			d, err := Evaluate(in, tt.pr, tt.teams)
			if err == nil {
				t.Fatalf("Evaluate succeeded with %+v", d)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if d.State != "" || d.Label() != "" {
				t.Errorf("a failed evaluation returned state %q", d.State)
			}
		})
	}
	if _, err := Evaluate(baseInput(KindStandard), nil, org()); err == nil {
		t.Error("Evaluate with a nil pull request succeeded")
	}
}

func TestTeamLookups(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		setup  func(*Input)
		review []Review
		calls  int
	}{
		{name: "a standard owner needs no admin lookup", kind: KindStandard, review: []Review{approve(1, "olivia", 1)}, calls: 1},
		{name: "a standard admin is looked up in both", kind: KindStandard, review: []Review{approve(1, "ada", 1)}, calls: 2},
		{name: "users are compared before teams are asked", kind: KindStandard,
			setup: func(in *Input) { in.Owners = []string{"@acme/payments-leads", "@olivia"} }, review: []Review{approve(1, "olivia", 1)}, calls: 0},
		{name: "the same team as owner and admin is asked once", kind: KindCustom,
			setup: func(in *Input) { in.Owners = in.Admins }, review: []Review{approve(1, "ada", 1)}, calls: 1},
		{name: "reviews that fail a free check cost nothing", kind: KindCustom,
			review: []Review{approve(1, "rita", 1), approve(2, "jit-app[bot]", 2), rv(3, "x", ReviewCommented, head, 3)}, calls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(tt.kind)
			if tt.setup != nil {
				tt.setup(&in)
			}
			teams := org()
			if _, err := Evaluate(in, pr(tt.review...), teams); err != nil {
				t.Fatal(err)
			}
			if teams.Calls != tt.calls {
				t.Errorf("IsMember calls = %d, want %d", teams.Calls, tt.calls)
			}
		})
	}
}

func TestNextReviewersLeaveOutWhoCannotApprove(t *testing.T) {
	in := baseInput(KindStandard)
	in.Owners = []string{"@rita", "@oscar", "@olivia", "@jit-app", "@acme/payments-leads", "@Olivia"}
	p := pr()
	p.CommitsValue = append(p.CommitsValue, Commit{SHA: "7777777777", Author: "rita", Committer: "oscar"})
	d, err := Evaluate(in, p, org())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"@olivia", "@acme/payments-leads"}, d.NextReviewers); diff != "" {
		t.Errorf("NextReviewers (-want +got):\n%s", diff)
	}
}

// TestFullDecision pins every field of one custom decision, so that a field
// that stops being filled in shows up here.
func TestFullDecision(t *testing.T) {
	in := baseInput(KindCustom)
	p := pr(
		rv(1, "olivia", ReviewApproved, old, 1, "fine"),
		rv(2, "mallory", ReviewApproved, head, 2),
		approve(3, "olivia", 3, "ok for INC-1234", "jit: duration 2h"),
		approve(4, "ada", 4, "jit: duration 1w"),
	)
	d, err := Evaluate(in, p, org())
	if err != nil {
		t.Fatal(err)
	}
	want := Decision{
		State:   StateApproved,
		Kind:    KindCustom,
		HeadSHA: head,
		Approvals: []Approval{
			{By: "olivia", Stage: StageOwner, As: "@acme/payments-leads", At: at(3), ReviewID: 3, Note: "ok for INC-1234", Duration: 2 * time.Hour},
			{By: "ada", Stage: StageAdmin, As: "@acme/sso-admins", At: at(4), ReviewID: 4},
		},
		Ignored: []Ignored{
			{Review: p.ReviewsValue[0], Reason: "superseded by a later review by @olivia"},
			{Review: p.ReviewsValue[1], Reason: notEligible},
		},
		IgnoredDirectives: []IgnoredDirective{{By: "ada", ReviewID: 4, Line: "jit: duration 1w",
			Reason: "1w is longer than the requested 4h; an approver may only shorten the access, so the approval counts for 4h"}},
		RequestedDuration: 4 * time.Hour,
		EffectiveDuration: 2 * time.Hour,
		Reason:            "Approved by @olivia for the owner stage and SSO admin @ada.",
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Decision (-want +got):\n%s", diff)
	}
	if d.Label() != "jit:approved" || !d.Approved() {
		t.Errorf("Label = %q, Approved = %v", d.Label(), d.Approved())
	}
}

func TestLabels(t *testing.T) {
	for s, want := range map[State]string{
		StateInvalid: "jit:invalid", StatePendingOwner: "jit:pending-owner", StatePendingAdmin: "jit:pending-admin",
		StateApproved: "jit:approved", StateRejected: "jit:rejected", "": "",
	} {
		if got := (Decision{State: s}).Label(); got != want {
			t.Errorf("Label(%q) = %q, want %q", s, got, want)
		}
	}
}

// Evaluate must not change the caller's slice of reviews (it sorts a copy).
func TestEvaluateDoesNotReorderInput(t *testing.T) {
	p := pr(approve(2, "olivia", 5), approve(1, "ada", 1))
	before := append([]Review(nil), p.ReviewsValue...)
	if _, err := Evaluate(baseInput(KindStandard), p, org()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, p.ReviewsValue); diff != "" {
		t.Errorf("reviews changed (-want +got):\n%s", diff)
	}
}

func TestBodyWithCRLF(t *testing.T) {
	d, err := Evaluate(baseInput(KindStandard), pr(approve(1, "olivia", 1, "ok\r\njit: duration 1h\r\n")), org())
	if err != nil {
		t.Fatal(err)
	}
	if d.EffectiveDuration != time.Hour || d.Approvals[0].Note != "ok" {
		t.Errorf("EffectiveDuration = %v, note = %q", d.EffectiveDuration, d.Approvals[0].Note)
	}
	if strings.Contains(d.Approvals[0].Note, "\r") {
		t.Errorf("note keeps a carriage return")
	}
}

// The requester is left out as an owner even when none of the commits is
// theirs (someone else pushed the branch).
func TestRequesterWithoutCommitsIsStillNoOwner(t *testing.T) {
	in := baseInput(KindStandard)
	in.Owners = []string{"@rita"}
	p := pr()
	p.CommitsValue = []Commit{{SHA: head, Author: "olivia", Committer: "olivia"}}
	d, err := Evaluate(in, p, org())
	if err != nil {
		t.Fatal(err)
	}
	want := summary{State: StatePendingAdmin, Next: []string{"@acme/sso-admins"}}
	if diff := cmp.Diff(want, summarise(d)); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Every owner of payments-prod took part in this pull request, so only SSO admins may approve."}, d.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}
