package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader names the CSV columns, one row per request.
var csvHeader = []string{
	"path", "requester", "account", "permission_set", "custom_permission_set", "custom_policies",
	"requested_duration", "effective_duration", "justification", "pull_request", "approvals",
	"merged_at", "merge_commit", "activated_at", "expires_at", "ended_at", "state", "why",
	"opened_at", "closed_at", "head_commit", "reviews", "extends", "extended_by",
}

// WriteCSV writes one row per record. Approvals are joined as
// "alice(owner,2026-11-23T10:02:11Z,note); bob(admin,...)", the reviews of a
// request that never merged as "bob(changes_requested,2026-11-23T10:02:11Z,
// note); ..." and custom policies as "AmazonS3ReadOnlyAccess; inline". Cells a spreadsheet would
// run as a formula (=, +, -, @ first) get a leading apostrophe: the
// justification is the requester's text.
func WriteCSV(w io.Writer, records []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("writing the CSV header: %w", err)
	}
	for _, r := range records {
		var custom, policies string
		if r.CustomSet != nil {
			custom = r.CustomSet.Name
			p := append([]string(nil), r.CustomSet.ManagedPolicies...)
			if r.CustomSet.Inline {
				p = append(p, "inline")
			}
			policies = strings.Join(p, "; ")
		}
		approvals := make([]string, len(r.Approvals))
		for i, a := range r.Approvals {
			approvals[i] = reviewCell(a.By, a.Stage, a.At, a.Note)
		}
		reviews := make([]string, len(r.Reviews))
		for i, rv := range r.Reviews {
			reviews[i] = reviewCell(rv.By, rv.State, rv.At, rv.Note)
		}
		pr := ""
		if r.PullRequest != 0 {
			pr = strconv.Itoa(r.PullRequest)
		}
		row := []string{
			r.Path, r.Requester, r.Account, r.PermissionSet, custom, policies,
			r.RequestedDuration, r.EffectiveDuration, r.Justification, pr, strings.Join(approvals, "; "),
			stamp(&r.MergedAt), r.MergeCommit, stamp(r.ActivatedAt), stamp(r.ExpiresAt), stamp(r.EndedAt), r.State, r.Why,
			stamp(r.OpenedAt), stamp(r.ClosedAt), r.HeadCommit, strings.Join(reviews, "; "),
			r.Extends, strings.Join(r.ExtendedBy, "; "),
		}
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing the CSV row of %s: %w", r.Path, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// WriteJSON writes the records as one indented JSON array.
func WriteJSON(w io.Writer, records []Record) error {
	if records == nil {
		records = []Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(records); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reviewCell is one approval or review in a CSV cell: "alice(owner,
// 2026-11-23T10:02:11Z,note)", the note left out when there is none.
func reviewCell(by, what string, at time.Time, note string) string {
	parts := []string{what, stamp(&at)}
	if note != "" {
		parts = append(parts, note)
	}
	return by + "(" + strings.Join(parts, ",") + ")"
}
