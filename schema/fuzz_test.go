package schema

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jit-access/jit/internal/layout"
)

func seedExamples(f *testing.F, glob string) {
	f.Helper()
	paths, err := filepath.Glob(glob)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkFindings holds for every input: a clear finding for every refusal,
// at a real position.
func checkFindings(t *testing.T, ok bool, fs []Finding) {
	t.Helper()
	if !ok && !HasErrors(fs) {
		t.Fatalf("refused without an error: %v", fs)
	}
	for _, f := range fs {
		if f.Line < 1 || f.Col < 1 || f.Message == "" {
			t.Fatalf("bad finding %#v", f)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	seedExamples(f, "../requests/*/*.yaml")
	f.Add([]byte(billionLaughs))
	f.Add([]byte("account: &a x\n<<: {b: *a}\n---\n"))
	f.Add([]byte("status:\n  state: active\n  approvals: [{by: a, stage: owner, at: 2026-11-23T10:02:11Z}]\n"))
	f.Add([]byte("custom_permission_set:\n  name: x\n  session_duration: 1h\n  inline_policy: '{\"Version\": \"2012-10-17\", \"Statement\": []'\n"))
	cfg := testConfig(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, fs := ValidateRequest(testPath, data, cfg, CheckOptions{Requester: "octocat"})
		checkFindings(t, file != nil, fs)
		if file != nil {
			file.Pos("custom_permission_set.inline_policy")
			file.Request.AccessDuration()
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	seedExamples(f, "../.github/jit.yaml")
	f.Add([]byte(testConfigYAML))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, fs := ParseConfig(layout.ConfigPath, data)
		checkFindings(t, cfg != nil, fs)
		if cfg != nil {
			cfg.MaxDuration("payments-prod", "ReadOnlyAccess")
			cfg.RequestTTLDuration()
		}
	})
}
