package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jit-access/jit/internal/layout"
)

// managementConfig marks data-prod as the organisation's management
// account, with extra appended to the config.
func managementConfig(extra string) string {
	return strings.Replace(testConfigYAML, "  - name: data-prod\n    id: \"777788889999\"\n", "  - name: data-prod\n    id: \"777788889999\"\n    management_account: true\n", 1) + extra
}

func TestManagementAccountRequests(t *testing.T) {
	req := []byte(lines(
		"account: data-prod",
		"permission_set: ReadOnlyAccess",
		"duration: 1h",
		"justification: INC-1234 rotating the organisation's SCPs",
	))
	const path = "requests/data-prod/x.yaml"
	for _, c := range []struct {
		name, config string
		want         []Finding
	}{
		{"refused unless allowed", managementConfig(""), []Finding{{Path: path, Line: 1, Col: 10, Severity: SeverityError,
			Message: "account data-prod is the organisation's management account, and .github/jit.yaml does not allow requests for it",
			Fix:     "ask for another account; the SSO admins can set allow_management_account: true when jit's role lives in the management account itself"}}},
		{"allowed", managementConfig("allow_management_account: true\n"), nil},
	} {
		cfg, fs := ParseConfig(layout.ConfigPath, []byte(c.config))
		if cfg == nil {
			t.Fatalf("%s: config: %v", c.name, fs)
		}
		_, got := ValidateRequest(path, req, cfg, CheckOptions{})
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestManagementAccountConfig(t *testing.T) {
	ce := func(line, col int, msg, fix string) Finding {
		return Finding{Path: layout.ConfigPath, Line: line, Col: col, Severity: SeverityError, Message: msg, Fix: fix}
	}
	twice := strings.Replace(managementConfig(""), "    max_duration: 1d\n", "    max_duration: 1d\n    management_account: true\n", 1)
	for _, c := range []struct {
		name, config string
		want         []Finding
	}{
		{"two management accounts", twice, []Finding{ce(17, 25,
			"accounts payments-prod and data-prod are both marked management_account, but an organisation has one management account",
			"mark only the organisation's management account")}},
		{"allowed but none marked", testConfigYAML + "allow_management_account: true\n", []Finding{ce(24, 27,
			"allow_management_account is true, but no account is marked management_account: true",
			"mark the management account under accounts:, or remove allow_management_account")}},
	} {
		_, got := ParseConfig(layout.ConfigPath, []byte(c.config))
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
