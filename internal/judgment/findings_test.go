package judgment

import (
	"fmt"
	"io/fs"
	"testing"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

func TestRuleFindings(t *testing.T) {
	parse := func(text string) (*owners.Rules, error) { return owners.Parse(".github/CODEOWNERS", []byte(text)) }
	broken, brokenErr := parse("/requests/a/ @acme/a\n/requests/b/ not-an-owner\n")
	if brokenErr == nil {
		t.Fatal("the broken CODEOWNERS parsed")
	}
	good, err := parse("/requests/a/ @acme/a\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		rules Rules
		// want are the findings as PATH:LINE:COL: SEVERITY.
		want []string
	}{
		{"missing", Rules{OwnersErr: fmt.Errorf("gone: %w", fs.ErrNotExist)}, []string{".github/CODEOWNERS:0:0: warning"}},
		{"a line it cannot parse", Rules{Owners: broken, OwnersErr: brokenErr}, []string{".github/CODEOWNERS:2:14: error"}},
		{"good", Rules{Owners: good, ConfigFindings: []schema.Finding{{Path: layout.ConfigPath, Line: 3, Col: 1, Severity: schema.SeverityWarning}}},
			[]string{".github/jit.yaml:3:1: warning"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range tt.rules.Findings() {
				got = append(got, fmt.Sprintf("%s:%d:%d: %s", f.Path, f.Line, f.Col, f.Severity))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Findings() = %v, want %v", got, tt.want)
			}
		})
	}

	r := Rules{Owners: good}
	if got := r.OwnerFindings("requests/a/x.yaml"); len(got) != 0 {
		t.Errorf("an owned folder: %v", got)
	}
	if got := r.OwnerFindings("requests/b/x.yaml"); len(got) != 1 || got[0].Severity != schema.SeverityWarning || got[0].Fix != "add `/requests/b/ @org/team` to .github/CODEOWNERS" {
		t.Errorf("a folder without owners: %+v", got)
	}
	if got := (Rules{}).OwnerFindings("requests/b/x.yaml"); len(got) != 0 {
		t.Errorf("without CODEOWNERS, per file: %v", got)
	}
}
