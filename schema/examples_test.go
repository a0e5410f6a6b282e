package schema

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/teamstest"
)

// TestExamplesValidate keeps the repository's own config and example
// requests valid: they are what new users copy.
func TestExamplesValidate(t *testing.T) {
	data, err := os.ReadFile("../.github/jit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, findings := ParseConfig(layout.ConfigPath, data)
	for _, f := range findings {
		t.Errorf("config: %s", f)
	}
	if cfg == nil {
		t.Fatal("config did not parse")
	}
	n := 0
	err = filepath.WalkDir("../requests", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(filepath.ToSlash(p), "../")
		if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../../schema/request.schema.json\n") {
			t.Errorf("%s: does not start with the yaml-language-server schema line", rel)
		}
		// Example files are named <requester>-<what>.yaml.
		requester, _, _ := strings.Cut(path.Base(rel), "-")
		f, got := ValidateRequest(rel, data, cfg, CheckOptions{Requester: requester, Teams: exampleTeams()})
		for _, x := range got {
			t.Errorf("%s", x)
		}
		if f == nil {
			t.Errorf("%s: did not parse", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("found %d example requests, want at least 3", n)
	}
}

// exampleTeams are the teams of the example organisation, as the sandbox
// sets them up for the template's CODEOWNERS and config.
func exampleTeams() *teamstest.Teams {
	return &teamstest.Teams{Members: map[string][]string{
		"acme/sso-admins":     {"bob", "dave"},
		"acme/payments-leads": {"alice"},
		"acme/payments-team":  {"carol"},
		"acme/data-platform":  {"erin"},
	}}
}
