package judgment_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	jit "github.com/jit-access/jit"
	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// files serves rule files from memory; a path missing from the map is
// missing, failing makes every read fail otherwise.
type files struct {
	m       map[string]string
	failing bool
}

func (f files) ReadFile(_ context.Context, path string) ([]byte, error) {
	if f.failing {
		return nil, errors.New("the API is down")
	}
	s, ok := f.m[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return []byte(s), nil
}

func (files) Describe() string { return "main" }

func template(t *testing.T, path string) string {
	t.Helper()
	b, err := fs.ReadFile(jit.Template, path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadRules(t *testing.T) {
	cfg, owners := template(t, layout.ConfigPath), template(t, layout.CodeownersPath)
	for _, tc := range []struct {
		name                string
		files               files
		err, cfgErr, ownErr string
		missingOwners       bool
	}{
		{name: "both", files: files{m: map[string]string{layout.ConfigPath: cfg, layout.CodeownersPath: owners}}},
		{name: "no config", files: files{m: map[string]string{layout.CodeownersPath: owners}},
			cfgErr: "no .github/jit.yaml in main: jit needs the access repository's configuration (see README.md)"},
		{name: "invalid config", files: files{m: map[string]string{layout.ConfigPath: "admins: 3\n", layout.CodeownersPath: owners}},
			cfgErr: ".github/jit.yaml on main is invalid: .github/jit.yaml:1:"},
		{name: "no CODEOWNERS", files: files{m: map[string]string{layout.ConfigPath: cfg}},
			ownErr: ".github/CODEOWNERS is missing on main: only SSO admins may approve", missingOwners: true},
		{name: "invalid CODEOWNERS", files: files{m: map[string]string{layout.ConfigPath: cfg, layout.CodeownersPath: "/requests/a/ not-an-owner\n"}},
			ownErr: ".github/CODEOWNERS:1:"},
		{name: "unreadable", files: files{failing: true}, err: "reading .github/jit.yaml on main: the API is down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := judgment.LoadRules(context.Background(), tc.files)
			check := func(what string, err error, want string) {
				t.Helper()
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: %v, want none", what, err)
				case want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)):
					t.Errorf("%s: %v, want %q...", what, err, want)
				}
			}
			check("error", err, tc.err)
			if err != nil {
				return
			}
			check("ConfigErr", rs.ConfigErr, tc.cfgErr)
			check("OwnersErr", rs.OwnersErr, tc.ownErr)
			if got := errors.Is(rs.OwnersErr, fs.ErrNotExist); got != tc.missingOwners {
				t.Errorf("OwnersErr is fs.ErrNotExist: %v, want %v", got, tc.missingOwners)
			}
			if tc.cfgErr == "" && rs.Config == nil {
				t.Error("no Config from a valid config")
			}
		})
	}
}

func TestRequestInput(t *testing.T) {
	rs, err := judgment.LoadRules(context.Background(), files{m: map[string]string{
		layout.ConfigPath: template(t, layout.ConfigPath), layout.CodeownersPath: "/requests/payments-prod/ @acme/payments-leads\n"}})
	if err != nil || rs.ConfigErr != nil {
		t.Fatal(err, rs.ConfigErr)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	path := layout.RequestPath("payments-prod", "a")
	req := &schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "2h"}
	in := judgment.RequestInput(rs, path, req, "jit[bot]", now)
	if in.Kind != approval.KindStandard || in.Account != "payments-prod" || in.RequestedDuration != 2*time.Hour ||
		in.Bot != "jit[bot]" || !in.Now.Equal(now) || len(in.Admins) == 0 || strings.Join(in.Owners, ",") != "@acme/payments-leads" {
		t.Errorf("RequestInput = %+v", in)
	}
	if in := judgment.RequestInput(rs, path, nil, "jit[bot]", now); in.Kind != approval.KindStandard || in.Account != "" || len(in.Owners) != 1 {
		t.Errorf("RequestInput of an unparsable file = %+v", in)
	}
	if in := judgment.AdminChangeInput(rs, "jit[bot]", now); in.Kind != approval.KindAdminChange || len(in.Owners) != 0 || len(in.Admins) == 0 {
		t.Errorf("AdminChangeInput = %+v", in)
	}
}

func TestChangeFindings(t *testing.T) {
	add := change.File{Path: "requests/payments-prod/a.yaml", Status: change.Added, Mode: change.ModeRegular}
	if f := judgment.ChangeFindings([]change.File{add}, "this change"); f != nil {
		t.Errorf("a plain request has findings: %v", f)
	}
	edit := change.File{Path: "requests/payments-prod/old.yaml", Status: change.Modified, Mode: change.ModeRegular}
	got := judgment.ChangeFindings([]change.File{edit}, "this change (main...HEAD)")
	want := []schema.Finding{
		{Severity: schema.SeverityWarning,
			Message: "this change (main...HEAD) needs SSO admin review: edits requests/payments-prod/old.yaml",
			Fix:     "a request adds exactly one new file requests/<account>/<name>.yaml and changes nothing else"},
		{Path: "requests/payments-prod/old.yaml", Severity: schema.SeverityError,
			Message: "this change edits requests/payments-prod/old.yaml, which no pull request may do: merged request files are the audit record and only jit writes them",
			Fix:     "to extend or renew access, add a new request file; leave existing ones as they are"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChangeFindings (-want +got):\n%s", diff)
	}
}
