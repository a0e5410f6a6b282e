package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuditCommand(t *testing.T) {
	dir := grantsRepo(t)
	res := run(t, newAuditCmd(), nil, "--repo", dir, "--user", "octocat", "--account", "payments-prod")
	if res.err != nil {
		t.Fatalf("audit: %v", res.err)
	}
	got := lines(res.stdout)
	if len(got) != 4 || !strings.HasPrefix(got[0], "path,requester,account,permission_set,") {
		t.Fatalf("want a header and one row for each of octocat's three requests on payments-prod (a, f, old), got:\n%s", res.stdout)
	}

	res = run(t, newAuditCmd(), nil, "--repo", dir, "--format", "json", "--user", "alice")
	if res.err != nil {
		t.Fatalf("audit --format json: %v", res.err)
	}
	var records []struct {
		Path, State, Requester string
		Effective              string `json:"effective_duration"`
		MergedAt               string `json:"merged_at"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &records); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	type rec struct{ Path, State, Requester, Effective, MergedAt string }
	var short []rec
	for _, r := range records {
		short = append(short, rec{r.Path, r.State, r.Requester, r.Effective, r.MergedAt})
	}
	want := []rec{{"requests/payments-prod/b.yaml", "active", "alice", "2h", "2026-11-23T12:00:00Z"}}
	if diff := cmp.Diff(want, short); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	// --until as a date takes the whole day; the grants were merged at noon.
	res = run(t, newAuditCmd(), nil, "--repo", dir, "--until", "2026-11-22")
	if res.err != nil || len(lines(res.stdout)) != 1 {
		t.Errorf("--until the day before: %v\n%s", res.err, res.stdout)
	}
	res = run(t, newAuditCmd(), nil, "--repo", dir, "--until", "2026-11-23")
	if res.err != nil || len(lines(res.stdout)) != 11 {
		t.Errorf("--until the day: %v, %d lines\n%s", res.err, len(lines(res.stdout)), res.stdout)
	}
}

func TestAuditCommandErrors(t *testing.T) {
	dir := grantsRepo(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xml"}, `--format "xml": want csv or json`},
		{[]string{"--since", "last week"}, `--since "last week": want a date like 2026-11-23`},
		{[]string{"--since", "2026-11-23", "--until", "2026-11-01"}, "--until 2026-11-01 is before --since 2026-11-23"},
		{[]string{"--github"}, "unknown flag: --github"},
	}
	for _, tt := range tests {
		res := run(t, newAuditCmd(), nil, append([]string{"--repo", dir}, tt.args...)...)
		if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, res.err, tt.want)
		}
		if tt.want != "unknown flag: --github" && res.code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, res.code)
		}
	}
	shallow := t.TempDir()
	ledgerGit(t, shallow, "2026-11-23T12:00:00Z", "clone", "-q", "--depth", "1", "file://"+dir, ".")
	res := run(t, newAuditCmd(), nil, "--repo", shallow)
	if res.err == nil || !strings.Contains(res.err.Error(), "is shallow") {
		t.Errorf("shallow clone: %v", res.err)
	}
}
