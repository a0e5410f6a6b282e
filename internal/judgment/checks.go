// Package judgment is the one path by which jit judges a request pull
// request: the App's check, the reconcile's re-check after the merge and
// `jit validate --base` all call it.
package judgment

import (
	"time"

	"github.com/jit-access/jit/internal/ghrepo"
)

// Names of the App's check runs. Branch protection requires CheckApproval,
// pinned to the App.
const (
	CheckValidate = "jit/validate"
	CheckApproval = "jit/approval"
)

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
