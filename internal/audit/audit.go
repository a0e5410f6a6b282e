// Package audit exports every request ever merged to main, with its
// approvals and timings, from the access repository's git history: the
// request files as they last stood, and the commits that added and changed
// them. With access to GitHub it adds the requests that never merged, from
// their pull requests: pending, rejected, expired and withdrawn ones.
package audit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

// Filter selects records. Zero fields select everything.
type Filter struct {
	// Since and Until select requests whose life — from the merge to the
	// end of the grant, or to now when it has not ended — overlaps
	// [Since, Until]: an auditor asking about March sees a grant merged in
	// February that was still active in March.
	Since, Until time.Time
	// Account matches the request's account as written (name or id),
	// case-insensitively.
	Account string
	// User matches the requester's GitHub login, case-insensitively.
	User string
	// Ref is the history to read; empty means HEAD (a clone of main).
	Ref string
}

// CustomSet describes a custom permission set without its policy text.
type CustomSet struct {
	Name            string   `json:"name"`
	SessionDuration string   `json:"session_duration,omitempty"`
	ManagedPolicies []string `json:"managed_policies,omitempty"`
	// Inline is true when the request carries an inline policy.
	Inline bool `json:"inline"`
}

// Event is one transition commit on main.
type Event struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Commit string    `json:"commit"`
	// Why, for an unverified event, says why it is not jit's.
	Why string `json:"why,omitempty"`
}

// Record is one request file's history on main.
type Record struct {
	Path              string            `json:"path"`
	Requester         string            `json:"requester,omitempty"`
	Account           string            `json:"account"`
	PermissionSet     string            `json:"permission_set,omitempty"`
	CustomSet         *CustomSet        `json:"custom_permission_set,omitempty"`
	RequestedDuration string            `json:"requested_duration"`
	EffectiveDuration string            `json:"effective_duration"`
	Justification     string            `json:"justification"`
	PullRequest       int               `json:"pull_request,omitempty"`
	Approvals         []schema.Approval `json:"approvals"`
	// MergedAt is the committer date of the commit that added the file to
	// main (the merge, squash or rebase commit), MergeCommit its SHA.
	// Both are empty for a request that never merged.
	MergedAt    time.Time  `json:"merged_at,omitzero"`
	MergeCommit string     `json:"merge_commit,omitempty"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	// State is the grant's last recorded state, "pending" when the reconcile
	// has not recorded anything yet.
	State string `json:"state"`
	// Why explains the state: the recorded reason, who revoked, or that
	// the duration ran out.
	Why string `json:"why,omitempty"`
	// Events are the transition commits (those with a Jit-Event trailer),
	// oldest first. The state above comes from the file, not from these.
	Events []Event `json:"events,omitempty"`
	// UnverifiedEvents are Jit-Event trailers in commits jit did not sign
	// (anyone can type a trailer into a commit message), with why; they are
	// not events. Set only when main has .github/jit-signers.
	UnverifiedEvents []Event `json:"unverified_events,omitempty"`
	// Unverified says why the state, approvals and times above are not
	// jit's signed record: the commit that last wrote the file is not
	// signed by a key in .github/jit-signers. Empty when they are.
	Unverified string `json:"unverified,omitempty"`
	// Extends is, for a request with extends:, the grant whose end it
	// moved; ExtendedBy lists, for a grant, the requests that moved its
	// end, oldest first. The two link an extension both ways.
	Extends    string   `json:"extends,omitempty"`
	ExtendedBy []string `json:"extended_by,omitempty"`
	// RemovedAt is set when the file was later deleted from main.
	RemovedAt *time.Time `json:"removed_at,omitempty"`

	// The fields below are set only for a request that never merged, read
	// from its pull request (CollectPullRequests); git has no record of it.

	// OpenedAt and ClosedAt are when the pull request was opened and closed.
	OpenedAt *time.Time `json:"opened_at,omitempty"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	// HeadCommit is the pull request's head, where the request was read.
	HeadCommit string `json:"head_commit,omitempty"`
	// Reviews are the decisions on the pull request, oldest first.
	Reviews []Review `json:"reviews,omitempty"`
}

// StatePending is Record.State for a merged request with no status yet, and
// for an open request pull request that nobody rejected (MergedAt is zero).
const StatePending = "pending"

// Collect reads the history of requests/ on main and returns one record per
// request file, oldest merge first.
//
// It reads every commit of main's first-parent line once (readCommits),
// then finds what each commit changed: a commit jit signed says so in its
// Jit-Request trailer (its signature checked against .github/jit-signers
// at ref, on every core, from the bytes already read), and the others are
// diffed with `git diff-tree --stdin`, one per core. Without a signers
// file nothing can be trusted and every commit is diffed. The files' last
// versions are read in one `git cat-file --batch` and decoded on every
// core while that goes on.
//
// The history is read without a pathspec on purpose: limiting it to
// requests/ makes git simplify history as well as diff each commit; the
// few commits outside requests/ are skipped here instead.
func Collect(ctx context.Context, repoDir string, f Filter) ([]Record, error) {
	return collect(ctx, repoDir, f, true)
}

// collect is Collect; without trustSigned every commit is diffed, which
// the tests use to check that trusting jit's signed trailers changes
// nothing.
func collect(ctx context.Context, repoDir string, f Filter, trustSigned bool) ([]Record, error) {
	repo, err := ledger.Open(repoDir, ledger.Options{})
	if err != nil {
		return nil, err
	}
	ref := f.Ref
	if ref == "" {
		ref = "HEAD"
	}
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("ref %q: must not start with '-'", ref)
	}
	// A shallow clone (actions/checkout's default) would date every file
	// at the cut-off commit: refuse rather than export wrong merge times.
	shallow, err := repo.Git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return nil, fmt.Errorf("reading the history of %s/: %w", ledger.RequestsDir, err)
	}
	if strings.TrimSpace(string(shallow)) == "true" {
		return nil, fmt.Errorf("the clone at %s is shallow, so its history is cut short: fetch all of it (git fetch --unshallow, or fetch-depth: 0 in actions/checkout)", repo.Dir())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	v, err := signersAt(ctx, repo, ref)
	if err != nil {
		return nil, err
	}

	// The files at ref are most records' last versions: decode them while
	// the history is read.
	var atRef map[string]string
	dec := newDecoder(ctx, repo)
	refErr := make(chan error, 1)
	go func() {
		var err error
		if atRef, err = filesAt(ctx, repo, ref); err == nil {
			for path, blob := range atRef {
				dec.want(blob, path)
			}
		}
		refErr <- err
	}()
	trust := v
	if !trustSigned {
		trust = nil
	}
	commits, err := readHistory(ctx, repo, ref, trust)
	if err = errors.Join(err, <-refErr); err != nil {
		cancel()
		dec.close()
		return nil, fmt.Errorf("reading the history of %s/: %w", ledger.RequestsDir, err)
	}
	type last struct {
		i          int
		path, blob string
	}
	var lasts []last
	hist, err := walk(commits, atRef, func(i int, path, blob string) { lasts = append(lasts, last{i, path, blob}) })
	if err == nil && v != nil {
		var shas []string
		for _, h := range hist {
			shas = append(shas, h.last)
			for _, e := range h.events {
				shas = append(shas, e.Commit)
			}
		}
		err = v.verify(ctx, shas)
	}
	for _, l := range lasts {
		dec.want(l.blob, l.path) // asked for already unless the file was deleted since
	}
	decoded, decErr := dec.close()
	if err != nil {
		return nil, err
	}
	if decErr != nil {
		return nil, fmt.Errorf("reading request files: %w", decErr)
	}
	var selected []Record
	for _, l := range lasts {
		h := hist[l.i]
		r, ok := decoded[decodeKey(l.blob, l.path)]
		if !ok {
			return nil, fmt.Errorf("reading request files: %s was not read", h.path)
		}
		fill(&r, h)
		if v != nil {
			markUnverified(&r, h, v.results)
		}
		if f.match(r) {
			selected = append(selected, r)
		}
	}
	sort.SliceStable(selected, func(i, j int) bool {
		if !selected[i].MergedAt.Equal(selected[j].MergedAt) {
			return selected[i].MergedAt.Before(selected[j].MergedAt)
		}
		return selected[i].Path < selected[j].Path
	})
	return selected, nil
}

// history is what the log says about one request file's life on main.
type history struct {
	path       string
	added      time.Time
	addCommit  string
	addSubject string
	removed    *time.Time
	prTrailer  int
	events     []Event // newest first while parsing, oldest first after
	// last is the commit that last changed the file on main, which wrote
	// the status the record shows.
	last string
}

func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// markUnverified moves the events of unsigned commits out of Events and
// says when the state the record shows was not written by jit.
func markUnverified(r *Record, h *history, verified map[string]error) {
	var kept []Event
	for _, e := range r.Events {
		if err := verified[e.Commit]; err != nil {
			e.Why = "not signed by jit: " + err.Error()
			r.UnverifiedEvents = append(r.UnverifiedEvents, e)
			continue
		}
		kept = append(kept, e)
	}
	r.Events = kept
	if r.State == StatePending || r.State == "unreadable" {
		return
	}
	if err := verified[h.last]; err != nil {
		r.Unverified = fmt.Sprintf("the file was last written by commit %.12s, which jit did not sign (%v): its state, approvals and times are as written, not jit's record", h.last, err)
		r.Why = joinWhy("UNVERIFIED: "+r.Unverified, r.Why)
	}
}

// build fills a record from the file's last content.
func build(path string, req schema.Request) Record {
	r := Record{
		Path:              path,
		Account:           req.Account,
		PermissionSet:     req.PermissionSet,
		RequestedDuration: req.Duration,
		EffectiveDuration: req.Duration,
		Justification:     req.Justification,
		State:             StatePending,
		Why:               "merged; not yet activated",
		Extends:           req.Extends,
	}
	if c := req.CustomPermissionSet; c != nil {
		r.CustomSet = &CustomSet{Name: c.Name, SessionDuration: c.SessionDuration,
			ManagedPolicies: c.ManagedPolicies, Inline: c.InlinePolicy != ""}
	}
	st := req.Status
	if st == nil {
		return r
	}
	r.Requester = st.Requester
	if st.Duration != "" {
		r.EffectiveDuration = st.Duration
	}
	r.PullRequest = st.PullRequest
	r.Approvals = st.Approvals
	r.ActivatedAt, r.EndedAt = st.ActivatedAt, st.EndedAt
	r.ExpiresAt = st.ExpiresAt
	if r.ExpiresAt == nil && st.ActivatedAt != nil {
		if exp, err := lifecycle.ExpiryOf(req); err == nil {
			r.ExpiresAt = &exp
		}
	}
	r.State = st.State
	r.Why = st.Reason
	switch st.State {
	case schema.StateExpired:
		if r.Why == "" {
			r.Why = "access duration ran out"
		}
	case schema.StateRevoked, schema.StateRevoking:
		if r.Why == "" && st.RevokedBy != "" {
			r.Why = "revocation asked for by " + st.RevokedBy
		}
	case schema.StateActivating:
		if r.Why == "" {
			r.Why = "activation in progress"
		}
	case schema.StateExtended:
		// Its notes say from when to when.
		r.ExpiresAt = st.ExpiresAt
	}
	if st.Preexisting {
		r.Why = joinWhy(r.Why, "the assignment existed before jit and was kept")
	}
	for _, x := range st.Extensions {
		r.ExtendedBy = append(r.ExtendedBy, x.Request)
		r.Why = joinWhy(r.Why, fmt.Sprintf("extended by %s from %s to %s", x.Request, stamp(&x.PreviousExpiresAt), stamp(&x.ExpiresAt)))
	}
	for _, n := range st.Notes {
		r.Why = joinWhy(r.Why, n)
	}
	return r
}

func joinWhy(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + "; " + b
}

var prInSubject = regexp.MustCompile(`(?:\(#(\d+)\)$|^Merge pull request #(\d+) )`)

// fill adds what the history knows to a record.
func fill(r *Record, h *history) {
	r.MergedAt = h.added
	r.MergeCommit = h.addCommit
	r.Events = h.events
	r.RemovedAt = h.removed
	if h.removed != nil {
		r.Why = joinWhy(r.Why, "request file removed from main")
	}
	if r.PullRequest == 0 {
		r.PullRequest = h.prTrailer
	}
	if r.PullRequest == 0 {
		if m := prInSubject.FindStringSubmatch(h.addSubject); m != nil {
			r.PullRequest, _ = strconv.Atoi(m[1] + m[2])
		}
	}
	if r.EndedAt == nil {
		switch r.State {
		case schema.StateExpired, schema.StateRevoked, schema.StateFailed:
			// Older files may lack ended_at; the transition commit's date
			// is the next best record.
			for i := len(h.events) - 1; i >= 0; i-- {
				if h.events[i].Event == r.State {
					t := h.events[i].At
					r.EndedAt = &t
					break
				}
			}
		}
	}
}

func (f Filter) match(r Record) bool {
	if f.Account != "" && !strings.EqualFold(f.Account, r.Account) {
		return false
	}
	if f.User != "" && !strings.EqualFold(f.User, r.Requester) {
		return false
	}
	if !f.Until.IsZero() && r.MergedAt.After(f.Until) {
		return false
	}
	if !f.Since.IsZero() {
		end := r.EndedAt
		if end == nil && r.RemovedAt != nil && r.State != schema.StateActive && r.State != schema.StateRevoking {
			end = r.RemovedAt
		}
		if end != nil && end.Before(f.Since) {
			return false
		}
	}
	return true
}
