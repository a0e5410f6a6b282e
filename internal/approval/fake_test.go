package approval

import (
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/teamstest"
)

// fakePR is a hand-written PullRequest.
type fakePR struct {
	AuthorValue  string
	HeadSHAValue string
	CommitsValue []Commit
	CommitsError error
	ReviewsValue []Review
	ReviewsError error
}

func (p *fakePR) Author() string             { return p.AuthorValue }
func (p *fakePR) HeadSHA() string            { return p.HeadSHAValue }
func (p *fakePR) Commits() ([]Commit, error) { return p.CommitsValue, p.CommitsError }
func (p *fakePR) Reviews() ([]Review, error) { return p.ReviewsValue, p.ReviewsError }

const (
	head = "1111111111111111111111111111111111111111"
	old  = "0000000000000000000000000000000000000000"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// at is t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// rv builds a review: id, user, state, sha, minute; the body is optional.
func rv(id int64, user, state, sha string, minute int, body ...string) Review {
	return Review{ID: id, User: user, State: state, CommitID: sha, SubmittedAt: at(minute), Body: strings.Join(body, "\n")}
}

// dismissed is a review of user, first was (APPROVED or CHANGES_REQUESTED),
// dismissed by by, as GitHub's review_dismissed event tells it.
func dismissed(id int64, user, was, by string, minute int) Review {
	r := rv(id, user, ReviewDismissed, head, minute)
	r.DismissedState, r.DismissedBy = was, by
	return r
}

func approve(id int64, user string, minute int, body ...string) Review {
	return rv(id, user, ReviewApproved, head, minute, body...)
}

// org is the team setup most tests use: payments leads own the account, the
// sso-admins team holds the admins.
func org() *teamstest.Teams {
	return &teamstest.Teams{Members: map[string][]string{
		"acme/payments-leads": {"olivia", "oscar", "both"},
		"acme/sso-admins":     {"ada", "adam", "both"},
		"acme/oncall":         {"rita"},
	}}
}

func baseInput(kind Kind) Input {
	return Input{
		Kind:              kind,
		Account:           "payments-prod",
		RequestedDuration: 4 * time.Hour,
		Owners:            []string{"@acme/payments-leads"},
		Admins:            []string{"@acme/sso-admins"},
		Bot:               "jit-app[bot]",
	}
}

func pr(reviews ...Review) *fakePR {
	return &fakePR{
		AuthorValue:  "rita",
		HeadSHAValue: head,
		CommitsValue: []Commit{{SHA: head, Author: "rita", Committer: "web-flow"}},
		ReviewsValue: reviews,
	}
}

// summary is the part of a Decision most tables compare.
type summary struct {
	State      State
	Approvals  []string // "user:stage"
	Rejections []string
	Ignored    []string // "id user: reason"
	Next       []string
}

func summarise(d Decision) summary {
	s := summary{State: d.State, Next: d.NextReviewers}
	for _, a := range d.Approvals {
		s.Approvals = append(s.Approvals, a.By+":"+a.Stage)
	}
	for _, r := range d.Rejections {
		s.Rejections = append(s.Rejections, r.By)
	}
	for _, ig := range d.Ignored {
		s.Ignored = append(s.Ignored, fmt.Sprintf("%d %s: %s", ig.Review.ID, ig.Review.User, ig.Reason))
	}
	return s
}
