package schema

import (
	_ "embed"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/layout"
)

// The configs and request text the schema's tests build on.

//go:embed testdata/config.yaml
var testConfigYAML string

func testConfig(t testing.TB) *Config { return mustConfig(t, testConfigYAML) }

// mustConfig parses a config the test relies on being valid, warnings
// included.
func mustConfig(t testing.TB, yaml string) *Config {
	t.Helper()
	cfg, fs := ParseConfig(layout.ConfigPath, []byte(yaml))
	if cfg == nil || len(fs) > 0 {
		t.Fatalf("test config: %v", fs)
	}
	return cfg
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// policyConfigYAML is testConfigYAML with every request policy set.
//
//go:embed testdata/policy-config.yaml
var policyConfigYAML string

func policyConfig(t testing.TB) *Config { return mustConfig(t, policyConfigYAML) }

// edited returns base with its one occurrence of old replaced by new.
func edited(t *testing.T, base, old, new string) string {
	t.Helper()
	if strings.Count(base, old) != 1 {
		t.Fatalf("%q is not unique in the test config", old)
	}
	return strings.Replace(base, old, new, 1)
}
