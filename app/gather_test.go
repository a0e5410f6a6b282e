package app

import (
	"slices"
	"testing"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
)

// TestPayloadCurrent: the payload's pull request is used only when the
// commits and files read now are its head's and are whole.
func TestPayloadCurrent(t *testing.T) {
	a := approval.Commit{SHA: "a"}
	b := approval.Commit{SHA: "b", Parents: []string{"a"}}
	files := []change.File{{Path: "requests/x/y.yaml", Status: change.Added}}
	many := func(n int) []approval.Commit {
		cs := make([]approval.Commit, n)
		for i := range cs {
			cs[i] = approval.Commit{SHA: string(rune('A' + i%26))}
		}
		cs[n-1] = approval.Commit{SHA: "h"}
		return cs
	}
	tests := []struct {
		name    string
		head    string
		totals  bool
		commits int // the payload's total
		listed  []approval.Commit
		files   []change.File
		want    bool
	}{
		{"head is the tip", "b", false, 0, []approval.Commit{a, b}, files, true},
		{"head is the tip, totals agree", "b", true, 2, []approval.Commit{a, b}, files, true},
		{"pushed to since", "a", false, 0, []approval.Commit{a, b}, files, false},
		{"force-pushed away", "c", false, 0, []approval.Commit{a, b}, files, false},
		{"totals disagree", "b", true, 3, []approval.Commit{a, b}, files, false},
		{"commits at GitHub's cap", "h", false, 0, many(ghrepo.MaxListedCommits), files, false},
		{"files at GitHub's cap", "b", false, 0, []approval.Commit{a, b}, make([]change.File, ghrepo.MaxListedFiles), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &ghrepo.PR{Number: 1, HeadSHA: tt.head, Commits: tt.commits, ChangedFiles: len(tt.files), Labels: []string{"jit:pending-owner"}}
			got := payloadCurrent(p, tt.totals, tt.listed, tt.files)
			if (got != nil) != tt.want {
				t.Fatalf("payloadCurrent = %+v, want used: %v", got, tt.want)
			}
			if got == nil {
				return
			}
			if got.Commits != len(tt.listed) || got.ChangedFiles != len(tt.files) || !slices.Equal(got.Labels, []string{"jit:pending-owner"}) {
				t.Errorf("payloadCurrent = %+v, want the listed totals and the payload's labels", got)
			}
			got.Labels[0] = "changed"
			if p.Labels[0] != "jit:pending-owner" {
				t.Error("the payload shares its labels with the result")
			}
		})
	}
}
