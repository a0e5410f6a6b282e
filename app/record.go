package app

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
)

// record is what the App last made of a pull request's head commit besides
// its check runs: the status comment it keeps (its id and a digest of its
// body) and the state labels it set. It rides in the external_id of the
// App's own jit/approval run on the head, which the App reads anyway and
// writes only after the comment and the labels were written, so that an
// event that changes nothing visible costs no read of the comments or
// labels and no write, and one that does edits the comment by its id.
//
// The record is what the App wrote, not what the pull request shows now: a
// person who edits the labels or the comment by hand is not corrected
// until the state changes, or by the sweep, which reads the labels.
type record struct {
	// pr is the pull request the record is of: a commit's runs are shared
	// by every pull request with that head, and the record of another
	// one says nothing of this one's comment or labels.
	pr      int
	comment int64
	labels  []string // the managed labels set, sorted
	digest  string   // of the status comment's body
}

// recordVersion starts every record; a run without it (written before
// records, or by hand through another App, which is never read) has none.
const recordVersion = "jit1"

func (r record) String() string {
	return strings.Join([]string{recordVersion, "n=" + strconv.Itoa(r.pr), "c=" + strconv.FormatInt(r.comment, 10), "l=" + strings.Join(r.labels, ","), "d=" + r.digest}, ";")
}

// parseRecord reads a record back; ok is false for anything else.
func parseRecord(s string) (r record, ok bool) {
	parts := strings.Split(s, ";")
	if len(parts) != 5 || parts[0] != recordVersion {
		return record{}, false
	}
	num, ok0 := strings.CutPrefix(parts[1], "n=")
	id, ok1 := strings.CutPrefix(parts[2], "c=")
	labels, ok2 := strings.CutPrefix(parts[3], "l=")
	digest, ok3 := strings.CutPrefix(parts[4], "d=")
	pr, err1 := strconv.Atoi(num)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok0 || !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil || pr <= 0 || n <= 0 || digest == "" {
		return record{}, false
	}
	r = record{pr: pr, comment: n, digest: digest}
	if labels != "" {
		r.labels = strings.Split(labels, ",")
	}
	for _, l := range r.labels {
		if !slices.Contains(managedLabels, l) {
			return record{}, false
		}
	}
	return r, true
}

// newRecord is the record of pull request pr's status comment, with body,
// and its labels.
func newRecord(pr int, comment int64, labels []string, body string) record {
	l := slices.Clone(labels)
	slices.Sort(l)
	return record{pr: pr, comment: comment, labels: l, digest: bodyDigest(body)}
}

// bodyDigest identifies a comment body: equal digests, equal bodies.
func bodyDigest(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:16])
}

// recordOf returns the record of pull request pr on the App's own
// jit/approval run among runs (the run apply updates), if it carries one.
func recordOf(runs []ghrepo.CheckRun, appID int64, pr int) (record, bool) {
	for _, r := range runs {
		if r.Name == judgment.CheckApproval && r.AppID == appID {
			rec, ok := parseRecord(r.ExternalID)
			return rec, ok && rec.pr == pr
		}
	}
	return record{}, false
}

// ownRun reports whether the App appID has any check run among runs: the
// head commit was judged by it before.
func ownRun(runs []ghrepo.CheckRun, appID int64) bool {
	return slices.ContainsFunc(runs, func(r ghrepo.CheckRun) bool { return r.AppID == appID })
}
