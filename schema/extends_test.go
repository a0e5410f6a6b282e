package schema

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// grantMap serves the grants on main from memory.
type grantMap struct {
	m   map[string]Request
	err error
}

func (g grantMap) Grant(path string) (Request, bool, error) {
	if g.err != nil {
		return Request{}, false, g.err
	}
	r, ok := g.m[path]
	return r, ok, nil
}

func TestExtends(t *testing.T) {
	cfg := testConfig(t)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	active := func(account, set, requester string, activated time.Duration, duration string) Request {
		return Request{Account: account, PermissionSet: set, Duration: duration, Justification: "INC-1: the original",
			Status: &Status{State: StateActive, Requester: requester, PullRequest: 7, ActivatedAt: at(activated), ExpiresAt: at(activated + mustDuration(duration))}}
	}
	customSet := &CustomPermissionSet{Name: "S3Read", SessionDuration: "1h", ManagedPolicies: []string{"AmazonS3ReadOnlyAccess"}}
	withStatus := func(r Request, st Status) Request { r.Status = &st; return r }
	grants := map[string]Request{
		// Ends at now+2h.
		"requests/payments-prod/mine.yaml":  active("payments-prod", "ReadOnlyAccess", "octocat", -2*time.Hour, "4h"),
		"requests/payments-prod/by-id.yaml": active("111122223333", "ReadOnlyAccess", "octocat", -2*time.Hour, "4h"),
		// Ends at now+8h: a 4h extension would shorten it.
		"requests/payments-prod/long.yaml":   active("payments-prod", "ReadOnlyAccess", "octocat", 0, "8h"),
		"requests/payments-prod/hers.yaml":   active("payments-prod", "ReadOnlyAccess", "alice", -time.Hour, "4h"),
		"requests/payments-prod/power.yaml":  active("payments-prod", "PowerUserAccess", "octocat", -time.Hour, "4h"),
		"requests/data-prod/data.yaml":       active("data-prod", "ReadOnlyAccess", "octocat", -time.Hour, "4h"),
		"requests/payments-prod/merged.yaml": {Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h"},
		"requests/payments-prod/later.yaml":  {Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h", Start: "2026-11-24T08:00:00Z"},
		"requests/payments-prod/starting.yaml": withStatus(active("payments-prod", "ReadOnlyAccess", "octocat", 0, "4h"),
			Status{State: StateActivating, Requester: "octocat", ExpiresAt: at(4 * time.Hour)}),
		"requests/payments-prod/gone.yaml": withStatus(active("payments-prod", "ReadOnlyAccess", "octocat", 0, "4h"),
			Status{State: StateExpired, Requester: "octocat", ActivatedAt: at(-5 * time.Hour), ExpiresAt: at(-time.Hour)}),
		"requests/payments-prod/ext.yaml": {Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h", Extends: "requests/payments-prod/mine.yaml",
			Status: &Status{State: StateExtended, Requester: "octocat"}},
		"requests/payments-prod/custom.yaml": {Account: "payments-prod", Duration: "4h", CustomPermissionSet: customSet,
			Status: &Status{State: StateActive, Requester: "octocat", ActivatedAt: at(-3 * time.Hour), ExpiresAt: at(time.Hour)}},
		// Extended once already: it ends at its extension's end, now+30m.
		"requests/payments-prod/extended.yaml": withStatus(active("payments-prod", "ReadOnlyAccess", "octocat", -5*time.Hour, "4h"),
			Status{State: StateActive, Requester: "octocat", ActivatedAt: at(-5 * time.Hour), ExpiresAt: at(30 * time.Minute),
				Extensions: []Extension{{Request: "requests/payments-prod/ext.yaml", PreviousExpiresAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * time.Minute), At: now.Add(-90 * time.Minute)}}}),
	}
	std := func(extends string, extra ...string) string {
		return lines(append([]string{
			"account: payments-prod",
			"permission_set: ReadOnlyAccess",
			"duration: 4h",
			`justification: "INC-1234: need more time"`,
			"extends: " + extends,
		}, extra...)...)
	}
	const fresh = "remove extends: to ask for access of your own"
	tests := []struct {
		name      string
		data      string
		requester string
		grants    Grants
		want      []Finding
	}{
		{name: "own active grant, later end", data: std("requests/payments-prod/mine.yaml"), requester: "octocat"},
		{name: "requester compared without case or @", data: std("requests/payments-prod/mine.yaml"), requester: "@OctoCat"},
		{name: "the grant names the account by id", data: std("requests/payments-prod/by-id.yaml"), requester: "octocat"},
		{name: "an extended grant ends at its extension's end", data: std("requests/payments-prod/extended.yaml"), requester: "octocat"},
		{name: "no such file on main", data: std("requests/payments-prod/nope.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "extends: requests/payments-prod/nope.yaml is not a request file on main",
				"write the path of your active grant's request file as it is on main, e.g. requests/payments-prod/<name>.yaml (jit status --mine lists them), or "+fresh)}},
		{name: "someone else's grant", data: std("requests/payments-prod/hers.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/hers.yaml is alice's grant: only its requester can extend it", fresh+", or ask alice to extend it")}},
		{name: "another account", data: std("requests/data-prod/data.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/data-prod/data.yaml is for account data-prod, and this request is for payments-prod", "ask for account data-prod to extend it, or "+fresh)}},
		{name: "another permission set", data: std("requests/payments-prod/power.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/power.yaml is for permission set PowerUserAccess, and this request asks for ReadOnlyAccess",
				"copy its permission_set or custom_permission_set exactly, or "+fresh)}},
		{name: "a standard request for a custom grant", data: std("requests/payments-prod/custom.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/custom.yaml is for the custom permission set S3Read, and this request asks for permission set ReadOnlyAccess",
				"copy its permission_set or custom_permission_set exactly, or "+fresh)}},
		{name: "the same custom set", requester: "octocat", data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: need more time"`,
			"extends: requests/payments-prod/custom.yaml", "custom_permission_set:", "  name: S3Read", "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]")},
		{name: "a custom set defined differently", requester: "octocat", data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: need more time"`,
			"extends: requests/payments-prod/custom.yaml", "custom_permission_set:", "  name: S3Read", "  session_duration: 2h", "  managed_policies: [AmazonS3FullAccess]"),
			want: []Finding{e(4, 10, "requests/payments-prod/custom.yaml is for a custom permission set defined differently (session_duration, managed_policies differ)",
				"copy its permission_set or custom_permission_set exactly, or "+fresh)}},
		{name: "merged, not activated", data: std("requests/payments-prod/merged.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/merged.yaml is not active yet: it was merged but the reconcile has not activated it yet, so it has no end to move", "push again once it is active, or "+fresh)}},
		{name: "scheduled", data: std("requests/payments-prod/later.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/later.yaml is not active yet: it is scheduled to start at 2026-11-24T08:00:00Z, so it has no end to move", "push again once it is active, or "+fresh)}},
		{name: "being activated", data: std("requests/payments-prod/starting.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/starting.yaml is being activated right now, so its end is not fixed yet", "push again in a minute, once the reconcile has recorded it active")}},
		{name: "expired", data: std("requests/payments-prod/gone.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/gone.yaml is expired: only an active grant can be extended", fresh)}},
		{name: "an extension names the grant it extended", data: std("requests/payments-prod/ext.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "requests/payments-prod/ext.yaml is itself an extension, of requests/payments-prod/mine.yaml, which holds the access", "write extends: requests/payments-prod/mine.yaml")}},
		{name: "the new end is not later", data: std("requests/payments-prod/long.yaml"), requester: "octocat",
			want: []Finding{e(3, 11, "requests/payments-prod/long.yaml ends at 2026-11-23T18:00:00Z; duration 4h from now ends at 2026-11-23T14:00:00Z, which is not later",
				"ask for more than the 8h it has left, e.g. 12h")}},
		{name: "itself", data: std(testPath), requester: "octocat",
			want: []Finding{e(5, 10, "a request cannot extend itself", "write the path of your active grant's request file")}},
		{name: "not a clean path", data: std("requests/../mine.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, "extends: requests/../mine.yaml is not a clean path",
				"write the path of the grant's request file from the top of the repository, e.g. requests/payments-prod/alice-inc-1234.yaml")}},
		{name: "not a request path", data: std("mine.yaml"), requester: "octocat",
			want: []Finding{e(5, 10, `extends "mine.yaml" is not valid`, "write the path of the grant's request file from the top of the repository, e.g. requests/payments-prod/alice-inc-1234.yaml")}},
		{name: "emergency and start_at", data: std("requests/payments-prod/mine.yaml", "emergency: true", "start_at: 2026-11-23T12:00:00Z"), requester: "octocat",
			want: []Finding{
				e(6, 1, "an extension cannot be emergency access: it is approved like the grant it extends", "remove emergency: true, or remove extends: and open an emergency request of its own"),
				e(6, 1, "emergency access is not enabled in .github/jit.yaml", "remove emergency: true; the owners approve the request as usual"),
				e(7, 1, "an extension starts where the grant it extends ends, so it cannot have start_at", "remove start_at"),
				e(7, 1, "emergency access starts at once, so it cannot have start_at", "remove start_at, or remove emergency: true to schedule the access"),
			}},
		{name: "main cannot be read", data: std("requests/payments-prod/mine.yaml"), requester: "octocat", grants: grantMap{err: errors.New("the API is down")},
			want: []Finding{e(5, 10, "could not read requests/payments-prod/mine.yaml, so the extension is refused: the API is down", "this is checked again on the next push or review")}},
		{name: "nothing to look the grant up in", data: std("requests/payments-prod/mine.yaml"), requester: "octocat", grants: Grants(nil),
			want: []Finding{w(5, 10, "the grant requests/payments-prod/mine.yaml could not be checked here; the App checks it on the pull request",
				"make sure it is your active grant, for the same account and permission set")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.grants
			if g == nil && tt.name != "nothing to look the grant up in" {
				g = grantMap{m: grants}
			}
			_, got := ValidateRequest(testPath, []byte(tt.data), cfg, CheckOptions{Requester: tt.requester, Now: now, Grants: g})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// After the merge (AllowStatus, the reconcile's check) the end is not
// compared: the reconcile compares it with the time it moves the end.
func TestExtendsAfterTheMerge(t *testing.T) {
	cfg := testConfig(t)
	end := now.Add(8 * time.Hour)
	g := grantMap{m: map[string]Request{"requests/payments-prod/long.yaml": {Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "8h",
		Status: &Status{State: StateActive, Requester: "octocat", ActivatedAt: &now, ExpiresAt: &end}}}}
	data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: need more time"`, "extends: requests/payments-prod/long.yaml")
	if _, fs := ValidateRequest(testPath, []byte(data), cfg, CheckOptions{Requester: "octocat", Now: now, Grants: g, AllowStatus: true}); len(fs) > 0 {
		t.Errorf("findings after the merge: %v", fs)
	}
	req, _ := DecodeRequest(testPath, []byte(data))
	target := g.m["requests/payments-prod/long.yaml"]
	p, bad := CheckExtension(cfg, &req, "octocat", &target, now, now.Add(9*time.Hour))
	if bad != nil || !p.CurrentEnd.Equal(end) || !p.NewEnd.Equal(now.Add(9*time.Hour)) || p.Path != "requests/payments-prod/long.yaml" {
		t.Errorf("CheckExtension = %+v, %v", p, bad)
	}
	if _, bad := CheckExtension(cfg, &req, "octocat", &target, now, end); bad == nil || bad.Field != "duration" {
		t.Errorf("an end equal to the current one: %v, want refused at duration", bad)
	}
	if _, bad := CheckExtension(cfg, &req, "octocat", &target, end, end.Add(time.Hour)); bad == nil ||
		bad.Message != "requests/payments-prod/long.yaml ended at 2026-11-23T18:00:00Z, so there is no access left to extend" {
		t.Errorf("a grant whose end has come: %v, want refused", bad)
	}
}

func TestExpiryWithExtensions(t *testing.T) {
	act := now
	first, nine := now.Add(4*time.Hour), now.Add(9*time.Hour)
	for _, tt := range []struct {
		name string
		st   Status
		want time.Time
	}{
		{"not extended", Status{ActivatedAt: &act}, now.Add(4 * time.Hour)},
		{"the last extension's end", Status{ActivatedAt: &act, ExpiresAt: &nine, Extensions: []Extension{
			{ExpiresAt: now.Add(6 * time.Hour)}, {ExpiresAt: now.Add(9 * time.Hour)}}}, now.Add(9 * time.Hour)},
		{"an earlier expires_at still wins", Status{ActivatedAt: &act, ExpiresAt: &first, Extensions: []Extension{{ExpiresAt: now.Add(9 * time.Hour)}}}, first},
	} {
		got, err := Request{Duration: "4h", Status: &tt.st}.Expiry()
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: Expiry = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// The reconcile's record of an extension reads back through the schema,
// as every later check of the file does.
func TestExtensionRecordRoundTrips(t *testing.T) {
	end, later := now.Add(time.Hour), now.Add(5*time.Hour)
	st := &Status{State: StateActive, Requester: "octocat", PullRequest: 1, ActivatedAt: &now, ExpiresAt: &later,
		Extensions: []Extension{{Request: "requests/payments-prod/more.yaml", PullRequest: 2, PreviousExpiresAt: end, ExpiresAt: later, At: now}}}
	data := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 1h", `justification: "INC-1234: investigating 5xx errors"`)
	out, err := SetStatus([]byte(data), st)
	if err != nil {
		t.Fatal(err)
	}
	f, fs := ValidateRequest(testPath, out, testConfig(t), CheckOptions{AllowStatus: true, Now: now})
	if f == nil || len(fs) > 0 {
		t.Fatalf("findings %v for\n%s", fs, out)
	}
	if got, err := f.Request.Expiry(); err != nil || !got.Equal(later) {
		t.Errorf("Expiry = %v, %v; want %v", got, err, later)
	}
	ext := lines("account: payments-prod", "permission_set: ReadOnlyAccess", "extends: requests/payments-prod/x.yaml", "duration: 4h", `justification: "INC-1234: investigating 5xx errors"`)
	out, err = SetStatus([]byte(ext), &Status{State: StateExtended, Requester: "octocat", ActivatedAt: &now, ExpiresAt: &later})
	if err != nil {
		t.Fatal(err)
	}
	if f, fs := ParseRequest("requests/payments-prod/more.yaml", out); f == nil || len(fs) > 0 {
		t.Fatalf("findings %v for\n%s", fs, out)
	}
}
