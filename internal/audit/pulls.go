package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/schema"
)

// States of a request that never merged, read from its pull request. An open
// one that nobody rejected is StatePending.
const (
	// StateRejected: a reviewer's latest decision is "changes requested"
	// (the pull request may be open or closed).
	StateRejected = "rejected"
	// StateExpiredUnapproved: closed unapproved after the request TTL by the
	// App's sweep, which labels it jit:expired.
	StateExpiredUnapproved = "expired-unapproved"
	// StateWithdrawn: closed by its author without merging.
	StateWithdrawn = "withdrawn"
	// StateClosed: closed without merging by someone else, or by someone
	// GitHub does not name.
	StateClosed = "closed"
)

// DefaultBase is the branch request pull requests merge into when
// CollectPullRequests is given none.
const DefaultBase = "main"

// Review is one decision on a request pull request that never merged.
type Review struct {
	By string `json:"by"`
	// State is "approved", "changes_requested" or "dismissed" (a decision
	// that was later dismissed; GitHub keeps no record of which it was).
	State string    `json:"state"`
	At    time.Time `json:"at"`
	// Note is the review's body.
	Note string `json:"note,omitempty"`
	// Commit is the head commit the review was given on.
	Commit string `json:"commit,omitempty"`
}

// CollectPullRequests returns one record per pull request into base ("":
// DefaultBase) that adds a request file and never merged, oldest first.
// Merged ones are left out: their record comes from git (Collect), which is
// the ledger.
//
// It makes one paged list call, then, for each unmerged pull request the
// filter keeps, one files call; for those that add a request file, a reviews
// call, one contents call for the file at the head commit and, for some
// closed ones, one call to learn who closed it. The calls are made one after
// another, as GitHub asks of API clients.
//
// The request's fields are read from the head commit. A file that does not
// parse still gets a record, with what is known and the problem in Why; a
// status block in it is ignored (only the reconcile writes one, after the
// merge). A pull request that adds a request file among other changes is
// not a plain request; it is listed too, with the reasons in Why.
func CollectPullRequests(ctx context.Context, gh GitHub, base string, f Filter) ([]Record, error) {
	if base == "" {
		base = DefaultBase
	}
	prs, err := gh.PullRequests(ctx, base)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, pr := range prs {
		if pr.Merged || pr.BaseRef != base || !f.matchPullRequest(pr) {
			continue
		}
		r, ok, err := pullRequestRecord(ctx, gh, pr)
		if err != nil {
			return nil, err
		}
		if ok && f.match(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].OpenedAt.Equal(*out[j].OpenedAt) {
			return out[i].OpenedAt.Before(*out[j].OpenedAt)
		}
		return out[i].PullRequest < out[j].PullRequest
	})
	return out, nil
}

// matchPullRequest applies what the filter can decide from the list call,
// before any per-pull-request call: the requester and the period, the
// pull request's life being from its opening to its closing, or to now.
func (f Filter) matchPullRequest(pr *ghrepo.PR) bool {
	if f.User != "" && !strings.EqualFold(f.User, pr.Author) {
		return false
	}
	if !f.Until.IsZero() && pr.CreatedAt.After(f.Until) {
		return false
	}
	if !f.Since.IsZero() && pr.State == "closed" && !pr.ClosedAt.IsZero() && pr.ClosedAt.Before(f.Since) {
		return false
	}
	return true
}

// pullRequestRecord builds the record of one unmerged pull request; ok is
// false when it adds no request file.
func pullRequestRecord(ctx context.Context, gh GitHub, pr *ghrepo.PR) (Record, bool, error) {
	files, err := gh.PullRequestFiles(ctx, pr.Number)
	if err != nil {
		return Record{}, false, err
	}
	path, notPlain := requestPath(files)
	if path == "" {
		return Record{}, false, nil
	}
	opened := pr.CreatedAt.UTC()
	r := Record{
		Path:        path,
		Requester:   pr.Author,
		PullRequest: pr.Number,
		OpenedAt:    &opened,
		HeadCommit:  pr.HeadSHA,
	}
	if pr.State == "closed" && !pr.ClosedAt.IsZero() {
		closed := pr.ClosedAt.UTC()
		r.ClosedAt = &closed
	}
	problem, err := readRequest(ctx, gh, &r, pr.HeadSHA)
	if err != nil {
		return Record{}, false, err
	}
	reviews, err := gh.Reviews(ctx, pr.Number)
	if err != nil {
		return Record{}, false, err
	}
	r.Reviews = decisions(reviews)
	r.State, r.Why, err = pullRequestState(ctx, gh, pr, r.Reviews)
	if err != nil {
		return Record{}, false, err
	}
	if len(notPlain) > 0 {
		r.Why = joinWhy(r.Why, "not a plain request: "+strings.Join(notPlain, "; "))
	}
	r.Why = joinWhy(r.Why, problem)
	return r, true, nil
}

// requestPath picks the request file a pull request adds. The files API has
// no modes, so an added file is taken to be a regular one; a symbolic link
// or submodule is caught when its content is read. notPlain gives the
// reasons when the pull request does more than add that one file.
func requestPath(files []change.File) (path string, notPlain []string) {
	var added []string
	withModes := make([]change.File, len(files))
	for i, fl := range files {
		withModes[i] = fl
		if fl.Status != change.Added && fl.Status != change.Copied {
			continue
		}
		if _, _, err := change.SplitRequestPath(fl.Path); err != nil {
			continue
		}
		withModes[i].Mode = change.ModeRegular
		added = append(added, fl.Path)
	}
	if len(added) == 0 {
		return "", nil
	}
	res := change.Classify(withModes)
	if res.Request {
		return res.RequestPath, nil
	}
	sort.Strings(added)
	return added[0], res.Reasons
}

// readRequest fills r from the request file at ref. It returns a problem
// with the file for Why, and an error only when GitHub could not be read.
func readRequest(ctx context.Context, gh GitHub, r *Record, ref string) (string, error) {
	if account, _, err := change.SplitRequestPath(r.Path); err == nil {
		r.Account = account // what the path says, until the file says more
	}
	data, _, kind, err := gh.File(ctx, r.Path, ref)
	if errors.Is(err, ghrepo.ErrNotFound) {
		return fmt.Sprintf("%s is not in the head commit %s", r.Path, ref), nil
	}
	if err != nil {
		return "", err
	}
	if kind != "file" {
		return fmt.Sprintf("%s is a %s, not a request file", r.Path, kind), nil
	}
	var problem string
	req := schema.Request{}
	if file, findings := schema.ParseRequest(r.Path, data); file != nil {
		req = file.Request
	} else {
		msgs := make([]string, 0, len(findings))
		for _, fd := range findings {
			msgs = append(msgs, fd.String())
		}
		problem = "the request file does not parse: " + strings.Join(msgs, "; ")
		// What a lenient reading can still tell is worth having.
		lenient, err := schema.DecodeRequest(r.Path, data)
		if err != nil {
			return problem, nil
		}
		req = lenient
	}
	if req.Account != "" {
		r.Account = req.Account
	}
	r.PermissionSet = req.PermissionSet
	r.RequestedDuration = req.Duration
	r.Justification = req.Justification
	if c := req.CustomPermissionSet; c != nil {
		r.CustomSet = &CustomSet{Name: c.Name, SessionDuration: c.SessionDuration,
			ManagedPolicies: c.ManagedPolicies, Inline: c.InlinePolicy != ""}
	}
	return problem, nil
}

// decisions keeps the reviews that decided something, oldest first:
// comments and unsubmitted reviews are not decisions.
func decisions(reviews []approval.Review) []Review {
	var out []Review
	for _, rv := range reviews {
		var state string
		switch rv.State {
		case approval.ReviewApproved:
			state = "approved"
		case approval.ReviewChangesRequested:
			state = "changes_requested"
		case approval.ReviewDismissed:
			state = "dismissed"
		default:
			continue
		}
		out = append(out, Review{By: rv.User, State: state, At: rv.SubmittedAt.UTC(),
			Note: strings.TrimSpace(rv.Body), Commit: rv.CommitID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// pullRequestState decides the state of an unmerged request and says why. A
// change request stands until its reviewer approves or it is dismissed, on
// any commit, as on GitHub; the author's own reviews never count.
func pullRequestState(ctx context.Context, gh GitHub, pr *ghrepo.PR, reviews []Review) (state, why string, err error) {
	latest := map[string]Review{}
	var order []string
	for _, rv := range reviews {
		key := strings.ToLower(rv.By)
		if rv.By == "" || strings.EqualFold(rv.By, pr.Author) {
			continue
		}
		if _, seen := latest[key]; !seen {
			order = append(order, key)
		}
		latest[key] = rv
	}
	var rejectedBy, approvedBy []string
	for _, key := range order {
		rv := latest[key]
		switch {
		case rv.State == "changes_requested":
			rejectedBy = append(rejectedBy, rv.By)
		case rv.State == "approved" && rv.Commit == pr.HeadSHA:
			approvedBy = append(approvedBy, rv.By)
		}
	}
	expired := slices.Contains(pr.Labels, approval.LabelExpired)

	if pr.State != "closed" {
		if len(rejectedBy) > 0 {
			return StateRejected, "changes requested by " + strings.Join(rejectedBy, ", ") + "; still open", nil
		}
		why := "open, not merged"
		var labels []string
		for _, l := range pr.Labels {
			if strings.HasPrefix(l, "jit:") {
				labels = append(labels, l)
			}
		}
		if len(labels) > 0 {
			why += " (" + strings.Join(labels, ", ") + ")"
		}
		if len(approvedBy) > 0 {
			why += "; approved on its head commit by " + strings.Join(approvedBy, ", ")
		} else {
			why += "; no approval on its head commit"
		}
		return StatePending, why, nil
	}

	if expired && len(rejectedBy) == 0 {
		return StateExpiredUnapproved, "no approval within the request TTL: closed by the App's sweep (" + approval.LabelExpired + ")", nil
	}
	closedHow := "closed by the App's sweep (" + approval.LabelExpired + ")"
	if !expired {
		closer, err := gh.ClosedBy(ctx, pr.Number)
		if err != nil {
			return "", "", err
		}
		switch {
		case closer == "":
			closedHow = "closed without merging; GitHub does not say by whom"
		case strings.EqualFold(closer, pr.Author):
			if len(rejectedBy) == 0 {
				return StateWithdrawn, "closed by its author without merging", nil
			}
			closedHow = "closed by its author"
		default:
			if len(rejectedBy) == 0 {
				return StateClosed, "closed without merging by " + closer, nil
			}
			closedHow = "closed by " + closer
		}
		if len(rejectedBy) == 0 {
			return StateClosed, closedHow, nil
		}
	}
	return StateRejected, "changes requested by " + strings.Join(rejectedBy, ", ") + "; " + closedHow, nil
}
