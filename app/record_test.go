package app

import (
	"slices"
	"testing"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
)

// TestRecord: a record reads back as written, and anything else is no
// record, so that the comments and labels are read instead.
func TestRecord(t *testing.T) {
	r := newRecord(3, 42, []string{"jit:pending-owner", "jit:emergency"}, "body")
	got, ok := parseRecord(r.String())
	if !ok || got.pr != 3 || got.comment != 42 || !slices.Equal(got.labels, []string{"jit:emergency", "jit:pending-owner"}) || got.digest != bodyDigest("body") {
		t.Fatalf("parseRecord(%q) = %+v, %v", r.String(), got, ok)
	}
	if got, ok := parseRecord(newRecord(1, 7, nil, "x").String()); !ok || got.labels != nil {
		t.Errorf("a record without labels reads back as %+v, %v", got, ok)
	}
	if bodyDigest("a") == bodyDigest("b") {
		t.Error("two bodies share a digest")
	}
	for _, bad := range []string{
		"",
		"jit0;n=1;c=1;l=;d=ab",
		"jit1;n=1;c=0;l=;d=ab",
		"jit1;n=1;c=x;l=;d=ab",
		"jit1;n=0;c=1;l=;d=ab",
		"jit1;n=1;c=1;l=;d=",
		"jit1;n=1;c=1;l=bug;d=ab", // not a label jit manages
		"jit1;n=1;c=1;d=ab",
		"jit1;c=1;l=;d=ab",
		"jit1;n=1;c=1;l=;d=ab;more",
	} {
		if r, ok := parseRecord(bad); ok {
			t.Errorf("parseRecord(%q) = %+v, want none", bad, r)
		}
	}
}

// TestRecordOnlyFromTheAppsApprovalRun: the record is read from the App's
// own jit/approval run, never from another App's run of the same name, and
// only for the pull request it is of.
func TestRecordOnlyFromTheAppsApprovalRun(t *testing.T) {
	ext := newRecord(5, 1, []string{"jit:approved"}, "b").String()
	runs := []ghrepo.CheckRun{
		{Name: judgment.CheckApproval, AppID: 666, ExternalID: ext},
		// The App's own run of the name the validation had until issue
		// 15, left on an old head.
		{Name: "jit/validate", AppID: 1, ExternalID: ext},
	}
	if _, ok := recordOf(runs, 1, 5); ok {
		t.Error("a record was read from another App's run or from jit/validate")
	}
	runs = append(runs, ghrepo.CheckRun{Name: judgment.CheckApproval, AppID: 1, ExternalID: ext})
	if r, ok := recordOf(runs, 1, 5); !ok || r.comment != 1 {
		t.Errorf("recordOf = %+v, %v; want the App's record", r, ok)
	}
	if _, ok := recordOf(runs, 1, 6); ok {
		t.Error("the record of #5 was taken for #6's, which shares its head commit")
	}
	if !ownRun(runs[1:2], 1) || ownRun(runs[:1], 1) {
		t.Error("ownRun does not tell the App's runs from another App's")
	}
}

// TestPlanLabels: only what changed is written, in as few requests as
// the known labels allow.
func TestPlanLabels(t *testing.T) {
	tests := []struct {
		name             string
		labels, prior    []string
		want             []string
		fromRecord       bool
		set, add, remove []string
	}{
		{"unchanged", []string{"bug", "jit:pending-owner"}, []string{"bug", "jit:pending-owner"}, []string{"jit:pending-owner"}, false, nil, nil, nil},
		{"unchanged by the record", nil, []string{"jit:pending-owner"}, []string{"jit:pending-owner"}, true, nil, nil, nil},
		{"first label", []string{"bug"}, []string{"bug"}, []string{"jit:pending-owner"}, false, nil, []string{"jit:pending-owner"}, nil},
		{"moved, labels read: one set keeping the others", []string{"bug", "jit:pending-owner"}, []string{"bug", "jit:pending-owner"}, []string{"jit:approved"}, false,
			[]string{"bug", "jit:approved"}, nil, nil},
		{"moved, payload agrees with the record", []string{"bug", "jit:pending-owner"}, []string{"jit:pending-owner"}, []string{"jit:approved"}, true,
			[]string{"bug", "jit:approved"}, nil, nil},
		{"moved, payload older than the record", []string{"bug"}, []string{"jit:pending-owner"}, []string{"jit:approved"}, true,
			nil, []string{"jit:approved"}, []string{"jit:pending-owner"}},
		{"only a removal", []string{"jit:approved", "jit:emergency"}, []string{"jit:approved", "jit:emergency"}, []string{"jit:approved"}, false,
			nil, nil, []string{"jit:emergency"}},
		{"added with the ones there", []string{"jit:approved"}, []string{"jit:approved"}, []string{"jit:approved", "jit:emergency"}, false,
			nil, []string{"jit:approved", "jit:emergency"}, nil},
		{"not jit's labels are left alone", []string{"jit:expired"}, []string{"jit:expired"}, []string{"jit:invalid"}, false, nil, []string{"jit:invalid"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planLabels(tt.labels, tt.prior, tt.want, tt.fromRecord)
			if !slices.Equal(p.set, tt.set) || !slices.Equal(p.add, tt.add) || !slices.Equal(p.remove, tt.remove) {
				t.Errorf("planLabels = %+v, want set %v add %v remove %v", p, tt.set, tt.add, tt.remove)
			}
		})
	}
}

// TestNotRequested: reviewers already asked are not asked again.
func TestNotRequested(t *testing.T) {
	got := notRequested([]string{"alice", "Bob", "carol"}, []string{"bob", "dave"})
	if !slices.Equal(got, []string{"alice", "carol"}) {
		t.Errorf("notRequested = %v, want [alice carol]", got)
	}
	if got := notRequested([]string{"owners"}, []string{"owners"}); got != nil {
		t.Errorf("notRequested = %v, want none", got)
	}
}
