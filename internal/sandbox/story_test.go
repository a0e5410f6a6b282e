package sandbox

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/wanttext"
)

// TestStory is the end-to-end test: the sandbox's own story, which checks
// every step as it goes, plus the end state a person would inspect.
func TestStory(t *testing.T) {
	ctx := context.Background()
	w, err := Start(ctx, Options{Dir: t.TempDir(), Clock: clock.At(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), AllowSelfReview: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out bytes.Buffer
	s, err := RunStory(ctx, w, StoryOptions{Out: &out})
	if err != nil {
		t.Fatalf("%v\n--- story so far:\n%s", err, out.String())
	}

	for _, want := range []string{
		"duration \"5h\" is not allowed",
		"refused by branch protection",
		"the requester never approves",
		"asks the SSO admins: @acme/sso-admins",
		"Deny * when aws:CurrentTime >",
		"octocat's, bob's and alice's assignments are gone",
		"approved by rule permission_sets/ReadOnlyAccess/auto_approve[0]",
		"approved at once as emergency access",
		"JIT- permission set deleted",
		"| Current end |",
		"the guard moved",
		"The story is complete",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story does not show %q", want)
		}
	}

	// The sandbox's main lists the reconcile's key: no run warns that its
	// records are unverified.
	for i, rep := range s.Reports {
		if rep.Unverified != "" {
			t.Errorf("reconcile %d warns although main has .github/jit-signers: %s", i+1, rep.Unverified)
		}
	}

	// Nothing jit granted is left in AWS; the standard sets are untouched.
	if got := w.IDC.Assignments(); len(got) != 0 {
		t.Errorf("assignments left after the story: %v", got)
	}
	if got := len(w.IDC.PermissionSets()); got != 2 {
		t.Errorf("%d permission sets left, want the 2 standard ones", got)
	}

	// The audit export has one row per request with its approvals and end.
	rows, err := csv.NewReader(strings.NewReader(s.Audit)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("audit has %d rows, want a header and 5 requests:\n%s", len(rows), s.Audit)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	byPath := map[string][]string{}
	for _, r := range rows[1:] {
		byPath[r[col["path"]]] = r
	}
	for _, tc := range []struct {
		path, requester, state, approvals string
	}{
		{octocatPath, "octocat", "expired", "alice(owner"},
		{carolPath, "carol", "revoked", "bob(admin"},
		{bobPath, "bob", "expired", "rule:permission_sets/ReadOnlyAccess/auto_approve[0](auto"},
		{alicePath, "alice", "expired", "emergency(emergency"},
		{carolMore, "carol", "extended", "bob(admin"},
	} {
		row := byPath[tc.path]
		if row == nil {
			t.Errorf("no audit row for %s", tc.path)
			continue
		}
		if row[col["requester"]] != tc.requester || row[col["state"]] != tc.state || !strings.Contains(row[col["approvals"]], tc.approvals) {
			t.Errorf("audit row %v: want requester %s, state %s, approvals with %s", row, tc.requester, tc.state, tc.approvals)
		}
	}

	// git log reads as the audit log: every transition is its own commit.
	wanttext.All(t, "git log", s.Log,
		"jit: activate payments-prod/ReadOnlyAccess for octocat (#1)",
		"jit: expire payments-prod/ReadOnlyAccess for octocat (#1)",
		"jit: activate payments-prod/JIT-ExportsRead for carol (#2)",
		"jit: revoke payments-prod/JIT-ExportsRead for carol (#2)",
		"Jit-Request: requests/payments-prod/carol-export-review.yaml",
		"jit: extend payments-prod/JIT-ExportsRead for carol (#2)",
		"jit: record extension payments-prod/JIT-ExportsRead for carol (#5)",
	)
}
