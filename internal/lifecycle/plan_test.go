package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/wanterr"
	"github.com/jit-access/jit/schema"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

// grant builds a standard ReadOnlyAccess grant on payments-prod for user.
func grant(path, user string, st *schema.Status) Grant {
	if st != nil && st.Requester == "" {
		st.Requester = user
	}
	return Grant{Path: path, Request: schema.Request{
		Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h",
		Justification: "INC-1: looking", Status: st,
	}}
}

// active is a grant activated at now+activated with a 4h duration.
func active(path, user string, activated time.Duration) Grant {
	return grant(path, user, &schema.Status{State: schema.StateActive, ActivatedAt: at(activated)})
}

// scheduled is a merged grant with start_at that no run has seen yet.
func scheduled(path, start string) Grant {
	return Grant{Path: path, Request: schema.Request{Account: "a", PermissionSet: "P", Duration: "1h", Start: start}}
}

// emergency is a break-glass grant of alice.
func emergency(path string, st *schema.Status) Grant {
	g := grant(path, "alice", st)
	g.Request.Emergency = true
	return g
}

// row is the part of an Item a test compares.
type row struct {
	Path        string
	At          time.Time
	Resume      bool
	Keep        bool
	Preexisting bool
	Overlapping []string
	Reason      string
}

type summary struct {
	Activate, Starting, Scheduled, Expire, Revoke, Wait, Active, Failed, Invalid, Review []row
}

func summarize(p Plan) summary {
	conv := func(items []Item) []row {
		var out []row
		for _, it := range items {
			out = append(out, row{it.Path, it.At, it.Resume, it.KeepAssignment, it.Preexisting, it.Overlapping, it.Reason})
		}
		return out
	}
	return summary{conv(p.Activate), conv(p.Starting), conv(p.Scheduled), conv(p.Expire), conv(p.Revoke), conv(p.Wait), conv(p.Active), conv(p.Failed), conv(p.Invalid), conv(p.Review)}
}

func TestPlanAt(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name      string
		grants    []Grant
		lookahead time.Duration
		want      summary
	}{
		{
			name: "merged, never reconciled: activate",
			grants: []Grant{
				{Path: "requests/a/x.yaml", Request: schema.Request{Account: "a", PermissionSet: "P", Duration: "1h"}},
			},
			want: summary{Activate: []row{{Path: "requests/a/x.yaml"}}},
		},
		{
			name: "start_at: future beyond the lookahead is scheduled, within it starting, come or passed activates",
			grants: []Grant{
				scheduled("requests/a/later.yaml", now.Add(h).Format(time.RFC3339)),
				scheduled("requests/a/soon.yaml", now.Add(4*time.Minute).Format(time.RFC3339)),
				scheduled("requests/a/edge.yaml", now.Add(5*time.Minute).Format(time.RFC3339)),
				scheduled("requests/a/tomorrow.yaml", now.Add(24*h).Format(time.RFC3339)),
				scheduled("requests/a/now.yaml", now.Format(time.RFC3339)),
				scheduled("requests/a/past.yaml", now.Add(-h).Format(time.RFC3339)),
				scheduled("requests/a/bad.yaml", "next tuesday"),
			},
			lookahead: 5 * time.Minute,
			want: summary{
				Activate: []row{{Path: "requests/a/bad.yaml"}, {Path: "requests/a/now.yaml"}, {Path: "requests/a/past.yaml"}},
				Starting: []row{
					{Path: "requests/a/soon.yaml", At: now.Add(4 * time.Minute)},
					{Path: "requests/a/edge.yaml", At: now.Add(5 * time.Minute)},
				},
				Scheduled: []row{
					{Path: "requests/a/later.yaml", At: now.Add(h)},
					{Path: "requests/a/tomorrow.yaml", At: now.Add(24 * h)},
				},
			},
		},
		{
			name: "start_at without lookahead: a future start is scheduled, never waited for",
			grants: []Grant{
				scheduled("requests/a/soon.yaml", now.Add(time.Second).Format(time.RFC3339)),
			},
			want: summary{Scheduled: []row{{Path: "requests/a/soon.yaml", At: now.Add(time.Second)}}},
		},
		{
			name: "start_at only matters before activation: an active scheduled grant expires at start_at plus duration",
			grants: []Grant{
				{Path: "requests/a/x.yaml", Request: schema.Request{Account: "a", PermissionSet: "P", Duration: "4h",
					Start:  now.Add(-5 * h).Format(time.RFC3339),
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-3 * h)}}},
			},
			want: summary{Expire: []row{{Path: "requests/a/x.yaml", At: now.Add(-h)}}},
		},
		{
			name: "emergency grants: live ones and unreviewed ended ones are followed for their review after the fact",
			grants: []Grant{
				emergency("requests/a/active.yaml", &schema.Status{State: schema.StateActive, ActivatedAt: at(-h)}),
				emergency("requests/a/revoking.yaml", &schema.Status{State: schema.StateRevoking, ActivatedAt: at(-h)}),
				emergency("requests/a/expired.yaml", &schema.Status{State: schema.StateExpired, ActivatedAt: at(-5 * h)}),
				emergency("requests/a/reviewed.yaml", &schema.Status{State: schema.StateExpired, ActivatedAt: at(-5 * h),
					PostHocReviews: []schema.Approval{{By: "bob", Stage: "owner", At: now.Add(-h)}}}),
				emergency("requests/a/reviewed-active.yaml", &schema.Status{State: schema.StateActive, ActivatedAt: at(-h),
					PostHocReviews: []schema.Approval{{By: "bob", Stage: "owner", At: now.Add(-h)}}}),
				emergency("requests/a/failed.yaml", &schema.Status{State: schema.StateFailed}),
				emergency("requests/a/new.yaml", nil),
				active("requests/a/plain.yaml", "bob", -h),
			},
			want: summary{
				Activate: []row{{Path: "requests/a/new.yaml"}},
				Revoke: []row{{Path: "requests/a/revoking.yaml", Keep: true,
					Overlapping: []string{"requests/a/active.yaml", "requests/a/reviewed-active.yaml"}}},
				Active: []row{
					{Path: "requests/a/active.yaml", At: now.Add(3 * h)},
					{Path: "requests/a/plain.yaml", At: now.Add(3 * h)},
					{Path: "requests/a/reviewed-active.yaml", At: now.Add(3 * h)},
				},
				Failed: []row{{Path: "requests/a/failed.yaml"}},
				Review: []row{
					{Path: "requests/a/active.yaml"},
					{Path: "requests/a/expired.yaml"},
					{Path: "requests/a/reviewed-active.yaml"},
					{Path: "requests/a/revoking.yaml"},
				},
			},
		},
		{
			name: "activating intent left by a crash: activate again, marked resume",
			grants: []Grant{
				grant("requests/a/x.yaml", "bob", &schema.Status{State: schema.StateActivating}),
			},
			want: summary{Activate: []row{{Path: "requests/a/x.yaml", Resume: true}}},
		},
		{
			name: "expiry exactly now is expired, not waited for",
			grants: []Grant{
				active("requests/a/x.yaml", "bob", -4*h),
			},
			lookahead: 5 * time.Minute,
			want:      summary{Expire: []row{{Path: "requests/a/x.yaml", At: now}}},
		},
		{
			name: "late run: expired an hour ago still expires",
			grants: []Grant{
				active("requests/a/x.yaml", "bob", -5*h),
			},
			want: summary{Expire: []row{{Path: "requests/a/x.yaml", At: now.Add(-h)}}},
		},
		{
			name: "very late run: expired a week ago still expires, earliest first",
			grants: []Grant{
				active("requests/a/y.yaml", "carol", -5*h),
				active("requests/a/x.yaml", "bob", -7*24*h),
			},
			want: summary{Expire: []row{
				{Path: "requests/a/x.yaml", At: now.Add(-7*24*h + 4*h)},
				{Path: "requests/a/y.yaml", At: now.Add(-h)},
			}},
		},
		{
			name: "lookahead boundary: expiry at now+lookahead waits, one second later stays active",
			grants: []Grant{
				active("requests/a/edge.yaml", "bob", -4*h+5*time.Minute),
				active("requests/a/after.yaml", "carol", -4*h+5*time.Minute+time.Second),
				active("requests/a/soon.yaml", "dave", -4*h+time.Minute),
			},
			lookahead: 5 * time.Minute,
			want: summary{
				Wait: []row{
					{Path: "requests/a/soon.yaml", At: now.Add(time.Minute)},
					{Path: "requests/a/edge.yaml", At: now.Add(5 * time.Minute)},
				},
				Active: []row{{Path: "requests/a/after.yaml", At: now.Add(5*time.Minute + time.Second)}},
			},
		},
		{
			name: "no lookahead: nothing waits",
			grants: []Grant{
				active("requests/a/x.yaml", "bob", -4*h+time.Second),
			},
			want: summary{Active: []row{{Path: "requests/a/x.yaml", At: now.Add(time.Second)}}},
		},
		{
			name: "effective duration shortened by an approver wins over the requested one",
			grants: []Grant{
				grant("requests/a/x.yaml", "bob", &schema.Status{State: schema.StateActive, Duration: "1h", ActivatedAt: at(-90 * time.Minute)}),
			},
			want: summary{Expire: []row{{Path: "requests/a/x.yaml", At: now.Add(-30 * time.Minute)}}},
		},
		{
			name: "recorded expires_at earlier than the computed expiry wins",
			grants: []Grant{
				grant("requests/a/x.yaml", "bob", &schema.Status{State: schema.StateActive, ActivatedAt: at(-h), ExpiresAt: at(-time.Minute)}),
			},
			want: summary{Expire: []row{{Path: "requests/a/x.yaml", At: now.Add(-time.Minute)}}},
		},
		{
			name: "active without a computable expiry fails closed: revoked now",
			grants: []Grant{
				grant("requests/a/x.yaml", "bob", &schema.Status{State: schema.StateActive}),
			},
			want: summary{Expire: []row{{Path: "requests/a/x.yaml", At: now,
				Reason: "expiry cannot be computed (status has neither activated_at nor expires_at); revoking now"}}},
		},
		{
			name: "revoking is revoked at once, even before expiry",
			grants: []Grant{
				grant("requests/a/x.yaml", "bob", &schema.Status{State: schema.StateRevoking, ActivatedAt: at(-h)}),
			},
			lookahead: 5 * time.Minute,
			want:      summary{Revoke: []row{{Path: "requests/a/x.yaml"}}},
		},
		{
			name: "ended grants are left out; failed ones are reported, not acted on",
			grants: []Grant{
				grant("requests/a/e.yaml", "bob", &schema.Status{State: schema.StateExpired}),
				grant("requests/a/r.yaml", "bob", &schema.Status{State: schema.StateRevoked}),
				grant("requests/a/f.yaml", "bob", &schema.Status{State: schema.StateFailed, Reason: "merged without approval"}),
			},
			want: summary{Failed: []row{{Path: "requests/a/f.yaml", Reason: "merged without approval"}}},
		},
		{
			name: "unknown or missing state fails closed: reported, not acted on",
			grants: []Grant{
				grant("requests/a/u.yaml", "bob", &schema.Status{State: "suspended", ActivatedAt: at(-10 * h)}),
				grant("requests/a/m.yaml", "bob", &schema.Status{}),
			},
			want: summary{Invalid: []row{
				{Path: "requests/a/m.yaml", Reason: "status has no state"},
				{Path: "requests/a/u.yaml", Reason: `unknown state "suspended"; left alone until a person looks at it`},
			}},
		},
		{
			name: "overlap: an expiring grant keeps the assignment another active grant holds",
			grants: []Grant{
				active("requests/a/old.yaml", "bob", -5*h),
				active("requests/a/new.yaml", "Bob", -h),
			},
			want: summary{
				Expire: []row{{Path: "requests/a/old.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/a/new.yaml"}}},
				Active: []row{{Path: "requests/a/new.yaml", At: now.Add(3 * h)}},
			},
		},
		{
			name: "overlap: different user, account or set does not overlap",
			grants: []Grant{
				active("requests/a/old.yaml", "bob", -5*h),
				active("requests/a/other-user.yaml", "carol", -h),
				{Path: "requests/b/other-account.yaml", Request: schema.Request{Account: "b", PermissionSet: "ReadOnlyAccess", Duration: "4h",
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-h)}}},
				{Path: "requests/a/other-set.yaml", Request: schema.Request{Account: "payments-prod", PermissionSet: "PowerUserAccess", Duration: "4h",
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-h)}}},
			},
			want: summary{
				Expire: []row{{Path: "requests/a/old.yaml", At: now.Add(-h)}},
				Active: []row{
					{Path: "requests/a/other-set.yaml", At: now.Add(3 * h)},
					{Path: "requests/a/other-user.yaml", At: now.Add(3 * h)},
					{Path: "requests/b/other-account.yaml", At: now.Add(3 * h)},
				},
			},
		},
		{
			name: "overlap: three grants on one tuple ending together, exactly the last deletes",
			grants: []Grant{
				active("requests/a/1.yaml", "bob", -5*h),
				active("requests/a/2.yaml", "bob", -5*h),
				grant("requests/a/3.yaml", "bob", &schema.Status{State: schema.StateRevoking, ActivatedAt: at(-h)}),
			},
			want: summary{
				Expire: []row{
					{Path: "requests/a/1.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/a/2.yaml", "requests/a/3.yaml"}},
					{Path: "requests/a/2.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/a/3.yaml"}},
				},
				Revoke: []row{{Path: "requests/a/3.yaml"}},
			},
		},
		{
			name: "overlap: waits on one tuple, the later one deletes",
			grants: []Grant{
				active("requests/a/late.yaml", "bob", -4*h+3*time.Minute),
				active("requests/a/early.yaml", "bob", -4*h+time.Minute),
			},
			lookahead: 5 * time.Minute,
			want: summary{Wait: []row{
				{Path: "requests/a/early.yaml", At: now.Add(time.Minute), Keep: true, Overlapping: []string{"requests/a/late.yaml"}},
				{Path: "requests/a/late.yaml", At: now.Add(3 * time.Minute)},
			}},
		},
		{
			name: "overlap: an account named by id and by name is one tuple with the config",
			grants: []Grant{
				active("requests/payments-prod/x.yaml", "bob", -5*h),
				{Path: "requests/111122223333/y.yaml", Request: schema.Request{Account: "111122223333", PermissionSet: "ReadOnlyAccess", Duration: "4h",
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-h),
						PermissionSetARN: "arn:aws:sso:::permissionSet/ssoins-1/ps-1"}}},
			},
			want: summary{
				Expire: []row{{Path: "requests/payments-prod/x.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/111122223333/y.yaml"}}},
				Active: []row{{Path: "requests/111122223333/y.yaml", At: now.Add(3 * h)}},
			},
		},
		{
			name: "custom sets never overlap",
			grants: []Grant{
				{Path: "requests/a/c1.yaml", Request: schema.Request{Account: "a", Duration: "1h", CustomPermissionSet: &schema.CustomPermissionSet{Name: "S3"},
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-2 * h)}}},
				{Path: "requests/a/c2.yaml", Request: schema.Request{Account: "a", Duration: "1h", CustomPermissionSet: &schema.CustomPermissionSet{Name: "S3"},
					Status: &schema.Status{State: schema.StateActive, Requester: "bob", ActivatedAt: at(-30 * time.Minute)}}},
			},
			want: summary{
				Expire: []row{{Path: "requests/a/c1.yaml", At: now.Add(-h)}},
				Active: []row{{Path: "requests/a/c2.yaml", At: now.Add(30 * time.Minute)}},
			},
		},
		{
			name: "unknown requester never overlaps (it cannot be matched safely)",
			grants: []Grant{
				{Path: "requests/a/x.yaml", Request: schema.Request{Account: "a", PermissionSet: "P", Duration: "1h",
					Status: &schema.Status{State: schema.StateActive, ActivatedAt: at(-2 * h)}}},
				{Path: "requests/a/y.yaml", Request: schema.Request{Account: "a", PermissionSet: "P", Duration: "4h",
					Status: &schema.Status{State: schema.StateActive, ActivatedAt: at(-2 * h)}}},
			},
			want: summary{
				Expire: []row{{Path: "requests/a/x.yaml", At: now.Add(-h)}},
				Active: []row{{Path: "requests/a/y.yaml", At: now.Add(2 * h)}},
			},
		},
		{
			name: "preexisting: never deleted, even by the last grant, and inherited by a new grant",
			grants: []Grant{
				grant("requests/a/perm.yaml", "bob", &schema.Status{State: schema.StateActive, ActivatedAt: at(-5 * h), Preexisting: true}),
				active("requests/a/last.yaml", "bob", -4*h+time.Minute),
				grant("requests/a/next.yaml", "bob", nil),
			},
			lookahead: 5 * time.Minute,
			want: summary{
				Activate: []row{{Path: "requests/a/next.yaml"}},
				Expire:   []row{{Path: "requests/a/perm.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/a/last.yaml"}}},
				Wait:     []row{{Path: "requests/a/last.yaml", At: now.Add(time.Minute), Keep: true}},
			},
		},
		{
			name: "activation sees the holders that stay and inherits preexisting from any",
			grants: []Grant{
				grant("requests/a/perm.yaml", "bob", &schema.Status{State: schema.StateActive, ActivatedAt: at(-5 * h), Preexisting: true}),
				active("requests/a/stays.yaml", "bob", -h),
				grant("requests/a/new.yaml", "bob", &schema.Status{State: schema.StateActivating, Requester: "bob"}),
			},
			want: summary{
				Activate: []row{{Path: "requests/a/new.yaml", Resume: true, Preexisting: true, Overlapping: []string{"requests/a/stays.yaml"}}},
				Expire:   []row{{Path: "requests/a/perm.yaml", At: now.Add(-h), Keep: true, Overlapping: []string{"requests/a/stays.yaml"}}},
				Active:   []row{{Path: "requests/a/stays.yaml", At: now.Add(3 * h)}},
			},
		},
	}
	cfg := &schema.Config{
		Accounts:       []schema.Account{{Name: "payments-prod", ID: "111122223333"}},
		PermissionSets: []schema.PermissionSet{{Name: "ReadOnlyAccess", ARN: "arn:aws:sso:::permissionSet/ssoins-1/ps-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(NewPlanner(cfg).PlanAt(tt.grants, now, tt.lookahead))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanAtWithoutConfigKeepsNamesApart(t *testing.T) {
	grants := []Grant{
		active("requests/payments-prod/x.yaml", "bob", -5*time.Hour),
		active("requests/payments-prod/y.yaml", "bob", -time.Hour),
	}
	p := PlanAt(grants, now, 0)
	if len(p.Expire) != 1 || !p.Expire[0].KeepAssignment {
		t.Fatalf("same names without config must still overlap: %+v", p.Expire)
	}
	grants[1].Request.Account = "111122223333"
	p = PlanAt(grants, now, 0)
	if len(p.Expire) != 1 || p.Expire[0].KeepAssignment {
		t.Fatalf("name and id are different accounts without config: %+v", p.Expire)
	}
}

func TestExpiryOf(t *testing.T) {
	tests := []struct {
		name    string
		req     schema.Request
		want    time.Time
		wantErr string
	}{
		{"requested duration", schema.Request{Duration: "1d", Status: &schema.Status{ActivatedAt: at(0)}}, now.Add(24 * time.Hour), ""},
		{"1mo is 30 days", schema.Request{Duration: "1mo", Status: &schema.Status{ActivatedAt: at(0)}}, now.Add(30 * 24 * time.Hour), ""},
		{"effective duration", schema.Request{Duration: "1d", Status: &schema.Status{Duration: "2h", ActivatedAt: at(0)}}, now.Add(2 * time.Hour), ""},
		{"later expires_at does not extend", schema.Request{Duration: "1h", Status: &schema.Status{ActivatedAt: at(0), ExpiresAt: at(2 * time.Hour)}}, now.Add(time.Hour), ""},
		{"bad duration but expires_at", schema.Request{Duration: "5h", Status: &schema.Status{ActivatedAt: at(0), ExpiresAt: at(time.Hour)}}, now.Add(time.Hour), ""},
		{"bad duration", schema.Request{Duration: "5h", Status: &schema.Status{ActivatedAt: at(0)}}, time.Time{}, `duration: duration "5h" is not one of`},
		{"bad effective duration", schema.Request{Duration: "1h", Status: &schema.Status{Duration: "7m", ActivatedAt: at(0)}}, time.Time{}, `status.duration: duration "7m"`},
		{"no status", schema.Request{Duration: "1h"}, time.Time{}, "no status"},
		{"activated after start_at ends with its window", schema.Request{Duration: "4h", Start: now.Add(-time.Hour).Format(time.RFC3339),
			Status: &schema.Status{ActivatedAt: at(0)}}, now.Add(3 * time.Hour), ""},
		{"activated at start_at", schema.Request{Duration: "4h", Start: now.Format(time.RFC3339),
			Status: &schema.Status{ActivatedAt: at(0)}}, now.Add(4 * time.Hour), ""},
		{"start_at with the effective duration", schema.Request{Duration: "4h", Start: now.Add(-time.Hour).Format(time.RFC3339),
			Status: &schema.Status{Duration: "2h", ActivatedAt: at(0)}}, now.Add(time.Hour), ""},
		{"unreadable start_at is left to the other records", schema.Request{Duration: "1h", Start: "soon",
			Status: &schema.Status{ActivatedAt: at(0)}}, now.Add(time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpiryOf(tt.req)
			if !wanterr.Check(t, err, tt.wantErr) {
				return
			}
			if !got.Equal(tt.want) {
				t.Errorf("expiry = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHoldersForAGrantWithoutStatus(t *testing.T) {
	p := PlanAt([]Grant{
		grant("requests/a/perm.yaml", "bob", &schema.Status{State: schema.StateActive, ActivatedAt: at(-5 * time.Hour), Preexisting: true}),
		active("requests/a/stays.yaml", "bob", -time.Hour),
		active("requests/a/carol.yaml", "carol", -time.Hour),
		grant("requests/a/new.yaml", "", nil),
	}, now, 0)
	if len(p.Activate) != 1 || p.Activate[0].Overlapping != nil {
		t.Fatalf("a grant with no status has no known requester, so no holders: %+v", p.Activate)
	}
	tuple := p.Activate[0].Tuple
	tuple.User = "bob" // learnt from the pull request
	paths, pre := p.Holders(tuple)
	if diff := cmp.Diff([]string{"requests/a/stays.yaml"}, paths); diff != "" || !pre {
		t.Errorf("holders (-want +got):\n%s\npreexisting = %v, want true", diff, pre)
	}
	tuple.User = ""
	if paths, pre := p.Holders(tuple); paths != nil || pre {
		t.Errorf("no user: holders %v preexisting %v, want none", paths, pre)
	}
}

func TestNotices(t *testing.T) {
	lead := 15 * time.Minute
	p := PlanAt([]Grant{
		active("requests/a/in-window.yaml", "bob", -4*time.Hour+16*time.Minute),  // expires now+16m: notice at now+1m
		active("requests/a/at-start.yaml", "carol", -4*time.Hour+15*time.Minute), // notice exactly now
		active("requests/a/at-end.yaml", "dave", -4*time.Hour+20*time.Minute),    // notice exactly now+5m
		active("requests/a/before.yaml", "erin", -4*time.Hour+14*time.Minute),    // notice was a minute ago: an earlier run's
		active("requests/a/after.yaml", "finn", -4*time.Hour+21*time.Minute),     // notice after the window: a later run's
		active("requests/a/waited.yaml", "gus", -4*time.Hour+2*time.Minute),      // expires within the lookahead; notice long past
	}, now, 5*time.Minute)
	var got []string
	for _, it := range p.Notices(lead, now, now.Add(5*time.Minute)) {
		got = append(got, it.Path)
	}
	want := []string{"requests/a/at-start.yaml", "requests/a/in-window.yaml", "requests/a/at-end.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	// Consecutive windows that share an edge split the notices between
	// them: the edge belongs to both, every other time to one.
	first := p.Notices(lead, now.Add(-5*time.Minute), now.Add(-time.Nanosecond))
	if len(first) != 1 || first[0].Path != "requests/a/before.yaml" {
		t.Errorf("the previous window's notices = %+v, want before.yaml only", first)
	}
}
