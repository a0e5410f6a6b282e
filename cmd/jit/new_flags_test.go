package main

import (
	"os"
	"strings"
	"testing"

	"github.com/jit-access/jit/schema"
)

// readBackWith parses a written request against cfg and fails on any
// finding: what jit new writes must validate.
func readBackWith(t *testing.T, dir, cfg, rel string) (string, schema.Request) {
	t.Helper()
	data, err := os.ReadFile(dir + "/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	c, findings := schema.ParseConfig(configPath, []byte(cfg))
	if len(findings) > 0 {
		t.Fatalf("test config: %v", findings)
	}
	f, findings := schema.ValidateRequest(rel, data, c, schema.CheckOptions{Requester: "octocat", AllowStatus: true})
	if len(findings) > 0 || f == nil {
		t.Fatalf("written request does not validate: %v\n%s", findings, data)
	}
	return string(data), f.Request
}

func TestNewEmergencyAndStartAt(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	cfg := strings.Replace(testConfig, "permission_sets:\n  - name: ReadOnlyAccess", "emergency:\n  requesters: [\"@octocat\"]\n  max_duration: 4h\npermission_sets:\n  - name: ReadOnlyAccess", 1)
	writeFiles(t, dir, map[string]string{configPath: cfg})

	r := newCmd(t, dir, false, "", "--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "2h",
		"--justification", "SEV1-42: payments API down", "--emergency", "--name", "sev1")
	if r.code != 0 {
		t.Fatalf("--emergency: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	data, req := readBackWith(t, dir, cfg, "requests/payments-prod/sev1.yaml")
	if !req.Emergency || !strings.HasSuffix(data, "justification: \"SEV1-42: payments API down\"\nemergency: true\n") {
		t.Errorf("--emergency wrote:\n%s", data)
	}

	now := "2026-11-23T10:00:00Z"
	start := "2026-11-25T08:00:00Z"
	r = newCmd(t, dir, false, "", "--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "2h",
		"--justification", "CHG-7: database maintenance window", "--start-at", start, "--name", "maint", "--now", now)
	if r.code != 0 {
		t.Fatalf("--start-at: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	data, req = readBackWith(t, dir, cfg, "requests/payments-prod/maint.yaml")
	if req.Start != start || !strings.HasSuffix(data, "start_at: \""+start+"\"\n") {
		t.Errorf("--start-at wrote:\n%s", data)
	}

	// The schema's rules hold: emergency access cannot be scheduled, and
	// nothing is written.
	r = newCmd(t, dir, false, "", "--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "2h",
		"--justification", "SEV1-43: payments API down", "--emergency", "--start-at", start, "--name", "both", "--now", now)
	if r.code != 1 || !strings.Contains(r.stderr, "emergency access starts at once, so it cannot have start_at") {
		t.Errorf("--emergency --start-at: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(dir + "/requests/payments-prod/both.yaml"); !os.IsNotExist(err) {
		t.Errorf("a refused request was written: %v", err)
	}
}

// TestStdinThatIsNoTerminal checks the real check: a pipe and a closed
// file are not terminals, so jit new lists what is missing.
func TestStdinThatIsNoTerminal(t *testing.T) {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	wr.Close()
	if stdinIsTerminal(rd) {
		t.Errorf("a pipe is taken for a terminal")
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if stdinIsTerminal(f) {
		t.Errorf("a closed file is taken for a terminal")
	}
	dir := newTestRepo(t, false, nil)
	cmd := newNewCmd(stdinIsTerminal)
	res := run(t, cmd, rd, "--repo", dir, "--account", "payments-prod")
	if res.code != 2 || !strings.Contains(res.err.Error(), "missing --permission-set (or --custom), --duration, --justification (stdin is not a terminal, so jit new cannot ask)") {
		t.Errorf("jit new with a closed stdin: exit %d, %v", res.code, res.err)
	}
}
