// Package judgment is the one path by which jit judges a request pull
// request: the App's check, the reconcile's re-check after the merge and
// `jit validate --base` all call it.
package judgment

import (
	"strings"
	"time"

	"github.com/jit-access/jit/internal/ghrepo"
)

// CheckApproval is the name of the App's one check run, which branch
// protection requires, pinned to the App. It carries the validation too:
// the findings as line annotations, and a title that starts with
// TitleInvalid when the request or the rules are invalid, with
// TitleNotRequest when the change is not a plain access request, and
// otherwise says the approval state. (Until issue 15 the App wrote the
// validation in a second run, jit/validate; such a run on an old head is
// left alone.)
const CheckApproval = "jit/approval"

// The starts of CheckApproval's title that tell the validation's verdict.
const (
	TitleInvalid    = "Invalid: "
	TitleNotRequest = "Not an access request: "
)

// Validation is the verdict of the validation a CheckApproval run with
// this title carries, in the conclusions a check of its own would have:
// "failure" for an invalid request or invalid rules, "neutral" for a change
// that is not a plain access request, "success" for a valid request.
func Validation(title string) string {
	switch {
	case strings.HasPrefix(title, TitleInvalid):
		return "failure"
	case strings.HasPrefix(title, TitleNotRequest):
		return "neutral"
	}
	return "success"
}

// DecisionTime returns when the head commit was first judged: the start of
// the earliest CheckApproval run of the App appID among runs, if one started
// before limit; otherwise limit. Time-dependent rules (working hours) are
// judged then, so that every evaluation of the same commit, by the App or by
// the reconcile after the merge, decides alike. The start is set by GitHub
// when the App creates the run, so a requester cannot choose it.
func DecisionTime(runs []ghrepo.CheckRun, appID int64, limit time.Time) time.Time {
	at := limit
	for _, r := range runs {
		if r.Name == CheckApproval && r.AppID == appID && !r.StartedAt.IsZero() && r.StartedAt.Before(at) {
			at = r.StartedAt
		}
	}
	return at
}
