package approval

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jit-access/jit/schema"
)

// Evaluate decides the state of a request pull request. Errors from pr and
// teams are returned wrapped (and a Decision must then not be used: callers
// fail closed). The rules, and the choices made where the design is silent:
//
//   - Each reviewer's deciding review is their latest APPROVED,
//     CHANGES_REQUESTED or DISMISSED review, as on GitHub: a later COMMENTED
//     review changes nothing, a dismissal withdraws. Earlier reviews are
//     listed as superseded.
//   - An approval counts only when it was given on the current head commit;
//     after a push it is listed as "approved an older commit".
//   - Never counted: the App (Input.Bot), the pull request's author, and
//     anyone who authored or committed one of its commits.
//   - A request for changes blocks (StateRejected) when it comes from an
//     owner or an SSO admin, on any commit: it does not go stale on a push,
//     because a push is what the requester would do to get around it. It ends
//     when that reviewer approves, or when the reviewer or an SSO admin
//     dismisses it (Review.DismissedBy, from GitHub's review_dismissed
//     event); a dismissal by anyone else, or by an unknown actor, leaves it
//     standing. An owner or
//     admin who committed to the pull request may still block it; only the
//     author and the App cannot.
//   - Stages are matched, not taken in order of submission: in a custom
//     request any owner's approval fills the owner stage and any other
//     person's admin approval fills the admin stage, whichever came first.
//     When CODEOWNERS is unusable (OwnersErr), lists no usable owner, or its
//     only owners are individual users who took part in the pull request,
//     only SSO admins count: one for a standard request, two different ones
//     for a custom request (the first fills the owner stage).
//   - "jit: duration <d>" on its own line of a counted approval shortens the
//     access; a longer or invalid value is ignored (IgnoredDirectives) and the
//     approval still counts. The shortest counted value wins.
//   - An invalid request counts nothing and every review is listed as
//     ignored.
//
// Pending states name whose action is awaited: StatePendingOwner while an
// owner's approval is needed (an admin could also approve a standard
// request), StatePendingAdmin while only admins can move it on.
func Evaluate(in Input, pr PullRequest, teams Teams) (Decision, error) {
	switch in.Kind {
	case KindStandard, KindCustom, KindAdminChange:
	default:
		return Decision{}, fmt.Errorf("approval: unknown pull request kind %q", in.Kind)
	}
	if pr == nil {
		return Decision{}, errors.New("approval: no pull request to evaluate")
	}
	author, head := pr.Author(), pr.HeadSHA()
	if author == "" {
		return Decision{}, errors.New("approval: the pull request has no author, so self-approval cannot be ruled out")
	}
	if head == "" {
		return Decision{}, errors.New("approval: the pull request has no head commit")
	}
	commits, err := pr.Commits()
	if err != nil {
		return Decision{}, fmt.Errorf("approval: listing the pull request's commits: %w", err)
	}
	reviews, err := pr.Reviews()
	if err != nil {
		return Decision{}, fmt.Errorf("approval: listing the pull request's reviews: %w", err)
	}
	e := &evaluation{
		in:      in,
		author:  author,
		head:    head,
		teams:   teams,
		members: map[[2]string]bool{},
		bodies:  map[int64]string{},
		d: Decision{
			Kind:              in.Kind,
			HeadSHA:           head,
			RequestedDuration: in.RequestedDuration,
			EffectiveDuration: in.RequestedDuration,
		},
	}
	if err := e.run(commits, reviews); err != nil {
		return Decision{}, err
	}
	return e.d, nil
}

// evaluation is the state of one Evaluate call.
type evaluation struct {
	in     Input
	author string
	head   string
	teams  Teams
	// excluded maps a lower-case login to why it never approves (took part
	// in the pull request).
	excluded map[string]string
	owners   []string // usable owner entries
	admins   []string
	// ownersUsable is false when only admins may fill the owner stage.
	ownersUsable bool
	members      map[[2]string]bool
	// bodies are the counted approvals' review bodies, by review ID.
	bodies map[int64]string
	d      Decision
}

// candidate is a reviewer's deciding review on its way through the filters.
type candidate struct {
	review  Review
	ownerAs string // owner entry that matched, "" if none (or not checked)
	adminAs string // admin entry that matched
}

// filter lets a candidate through ("") or says why it does not count.
type filter func(e *evaluation, c *candidate) (string, error)

// The filters run in order and the first objection is the reason shown, so
// the most fundamental come first; role lookups (API calls) come after the
// free checks.
func approvalFilters() []filter {
	return []filter{notBot, sameAccount, notAuthor, notContributor, eligible, onHead, hasNote}
}

func rejectionFilters() []filter {
	return []filter{notBot, notAuthor, eligible, hasNote}
}

func (e *evaluation) run(commits []Commit, reviews []Review) error {
	reviews = append([]Review(nil), reviews...)
	sort.SliceStable(reviews, func(i, j int) bool {
		if !reviews[i].SubmittedAt.Equal(reviews[j].SubmittedAt) {
			return reviews[i].SubmittedAt.Before(reviews[j].SubmittedAt)
		}
		return reviews[i].ID < reviews[j].ID
	})

	if e.in.Invalid {
		e.d.State = StateInvalid
		for _, r := range reviews {
			e.ignore(r, "the request is invalid: nothing counts until it is fixed")
		}
		e.d.Reason = sentence("The request is invalid", e.in.InvalidReason)
		e.sortOutput()
		return nil
	}

	e.excludeContributors(commits)
	e.resolveEntries()

	var approvals, rejections []*candidate
	for _, r := range e.decidingReviews(reviews) {
		c := &candidate{review: r}
		var filters []filter
		switch r.State {
		case ReviewDismissed:
			lifted, why, err := e.dismissal(r)
			if err != nil {
				return err
			}
			if lifted {
				e.ignore(r, why)
				continue
			}
			// The objection stands: judged as the request for changes it was.
			r.State = ReviewChangesRequested
			c.review = r
			filters = rejectionFilters()
		case ReviewApproved:
			filters = approvalFilters()
		case ReviewChangesRequested:
			filters = rejectionFilters()
		}
		ok, err := e.pass(c, filters)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if r.State == ReviewApproved {
			approvals = append(approvals, c)
		} else {
			rejections = append(rejections, c)
		}
	}

	e.assign(approvals)
	e.applyDurations()
	for _, c := range rejections {
		_, note := parseBody(c.review.Body)
		as := c.ownerAs
		if as == "" {
			as = c.adminAs
		}
		e.d.Rejections = append(e.d.Rejections, Rejection{
			By: c.review.User, As: as, At: c.review.SubmittedAt, ReviewID: c.review.ID,
			CommitID: c.review.CommitID, Note: note,
		})
	}
	if err := e.applyRules(); err != nil {
		return err
	}
	if len(e.d.Rejections) > 0 {
		e.d.State = StateRejected
	}
	e.nextReviewers()
	e.d.Reason = e.reason()
	e.sortOutput()
	return nil
}

// dismissal decides whether a dismissed review is withdrawn. A dismissed
// approval is. A request for changes is lifted only by its author or an SSO
// admin: a dismissal by the requester, or by anyone else with write access,
// leaves it standing. When GitHub does not say who dismissed it or what it
// was, it stands (fail closed).
func (e *evaluation) dismissal(r Review) (bool, string, error) {
	if r.DismissedState == ReviewApproved {
		return true, "dismissed: a dismissed approval no longer counts", nil
	}
	if r.DismissedBy == "" || r.DismissedState != ReviewChangesRequested {
		return false, "", nil
	}
	if strings.EqualFold(r.DismissedBy, r.User) {
		return true, "dismissed by its author: the request for changes is withdrawn", nil
	}
	if !e.isBot(r.DismissedBy) {
		as, err := e.entryFor(e.admins, r.DismissedBy)
		if err != nil {
			return false, "", err
		}
		if as != "" {
			return true, fmt.Sprintf("dismissed by SSO admin @%s (%s): the request for changes is lifted", r.DismissedBy, as), nil
		}
	}
	return false, "", nil
}

// pass runs the filters; the first that objects decides the reason.
func (e *evaluation) pass(c *candidate, filters []filter) (bool, error) {
	for _, f := range filters {
		reason, err := f(e, c)
		if err != nil {
			return false, err
		}
		if reason != "" {
			if c.review.State == ReviewChangesRequested {
				reason += ", so the request for changes does not block"
			}
			e.ignore(c.review, reason)
			return false, nil
		}
	}
	return true, nil
}

func (e *evaluation) ignore(r Review, reason string) {
	e.d.Ignored = append(e.d.Ignored, Ignored{Review: r, Reason: reason})
}

// decidingReviews returns each reviewer's latest deciding review in order of
// submission and records every other review as ignored.
func (e *evaluation) decidingReviews(reviews []Review) []Review {
	latest := map[string]int{}
	for i, r := range reviews {
		switch r.State {
		case ReviewApproved, ReviewChangesRequested, ReviewDismissed:
		case ReviewCommented:
			e.ignore(r, "a comment, not an approval")
			continue
		case ReviewPending:
			e.ignore(r, "not submitted yet")
			continue
		default:
			e.ignore(r, fmt.Sprintf("unknown review state %q", r.State))
			continue
		}
		if r.User == "" {
			e.ignore(r, "the reviewer's account no longer exists")
			continue
		}
		k := strings.ToLower(r.User)
		if j, ok := latest[k]; ok {
			e.ignore(reviews[j], fmt.Sprintf("superseded by a later review by @%s", r.User))
		}
		latest[k] = i
	}
	idx := make([]int, 0, len(latest))
	for _, i := range latest {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]Review, len(idx))
	for n, i := range idx {
		out[n] = reviews[i]
	}
	return out
}

// excludeContributors records everyone who authored or committed a commit.
func (e *evaluation) excludeContributors(commits []Commit) {
	e.excluded = map[string]string{}
	add := func(login, reason string) {
		k := strings.ToLower(login)
		if _, ok := e.excluded[k]; !ok {
			e.excluded[k] = reason
		}
	}
	for _, c := range commits {
		sha := short(c.SHA)
		if c.Author != "" {
			add(c.Author, fmt.Sprintf("authored commit %s of this pull request; nobody approves a change they made", sha))
		} else {
			e.warn(fmt.Sprintf("Commit %s has an author who is not linked to a GitHub account: jit cannot tell who wrote it, so reviewers should make sure it is not theirs.", sha))
		}
		if c.Committer != "" {
			add(c.Committer, fmt.Sprintf("committed %s to this pull request; nobody approves a change they made", sha))
		} else {
			e.warn(fmt.Sprintf("Commit %s has a committer who is not linked to a GitHub account: jit cannot tell who pushed it, so reviewers should make sure it is not theirs.", sha))
		}
	}
}

// entryPattern is a usable owner or admin entry: @login or @org/team-slug.
var entryPattern = regexp.MustCompile(`^@[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9_.-]+)?$`)

// resolveEntries checks the owner and admin entries and decides whether the
// owners can fill the owner stage.
func (e *evaluation) resolveEntries() {
	e.admins = e.usableEntries(e.in.Admins, "SSO admin")
	if len(e.admins) == 0 {
		e.warn("No SSO admins are configured, so nothing that needs an admin can be approved.")
	}
	if e.in.Kind == KindAdminChange {
		return
	}
	account := e.accountName()
	if e.in.OwnersErr != nil {
		e.warn(fmt.Sprintf("CODEOWNERS cannot be used (%s), so only SSO admins may approve.", oneLine(e.in.OwnersErr.Error())))
		return
	}
	e.owners = e.usableEntries(e.in.Owners, "owner")
	if len(e.owners) == 0 {
		e.warn(fmt.Sprintf("CODEOWNERS names no usable owner of %s, so only SSO admins may approve.", account))
		return
	}
	for _, o := range e.owners {
		if strings.Contains(o, "/") || !e.tookPart(o[1:]) {
			e.ownersUsable = true
			return
		}
	}
	e.warn(fmt.Sprintf("Every owner of %s took part in this pull request, so only SSO admins may approve.", account))
}

// tookPart reports whether login opened the pull request, committed to it or
// is the App.
func (e *evaluation) tookPart(login string) bool {
	_, committed := e.excluded[strings.ToLower(login)]
	return committed || strings.EqualFold(login, e.author) || e.isBot(login)
}

func (e *evaluation) usableEntries(entries []string, what string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range entries {
		if !entryPattern.MatchString(s) {
			e.warn(fmt.Sprintf("The %s entry %q is neither @user nor @org/team and is ignored.", what, s))
			continue
		}
		k := strings.ToLower(s)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

// entryFor returns the first entry that makes user eligible, decided by
// schema.MatchRequesters (users first, then teams in order), with each
// (team, user) asked at most once per evaluation. A team that cannot be
// read and no match is an error: the caller fails closed.
func (e *evaluation) entryFor(entries []string, user string) (string, error) {
	match, unchecked, err := schema.MatchRequesters(entries, user, e.member)
	if match != "" || err == nil {
		return match, nil
	}
	return "", fmt.Errorf("approval: checking whether %s is in %s: %w", user, unchecked[0], err)
}

// member asks the team resolver, once per (team, user).
func (e *evaluation) member(team, user string) (bool, error) {
	key := [2]string{strings.ToLower(team), strings.ToLower(user)}
	if ok, cached := e.members[key]; cached {
		return ok, nil
	}
	if e.teams == nil {
		return false, errors.New("no team resolver")
	}
	ok, err := e.teams.IsMember(team, user)
	if err != nil {
		return false, err
	}
	e.members[key] = ok
	return ok, nil
}

func (e *evaluation) isBot(user string) bool {
	bot := strings.TrimSuffix(strings.ToLower(e.in.Bot), "[bot]")
	return bot != "" && strings.TrimSuffix(strings.ToLower(user), "[bot]") == bot
}

func notBot(e *evaluation, c *candidate) (string, error) {
	if e.isBot(c.review.User) {
		return "a review by the jit App itself never counts", nil
	}
	return "", nil
}

// sameAccount objects to an approval by an account that is not the one the
// config pins to the reviewer's login: the login was renamed and taken by
// someone else. A request for changes is not filtered by it: an objection
// only ever withholds access.
func sameAccount(e *evaluation, c *candidate) (string, error) {
	if e.in.Identity == nil {
		return "", nil
	}
	if err := e.in.Identity(c.review.User, c.review.UserID); err != nil {
		return "not the account jit knows as @" + c.review.User + ": " + err.Error(), nil
	}
	return "", nil
}

func notAuthor(e *evaluation, c *candidate) (string, error) {
	if strings.EqualFold(c.review.User, e.author) {
		return "opened this pull request; nobody approves their own request", nil
	}
	return "", nil
}

func notContributor(e *evaluation, c *candidate) (string, error) {
	return e.excluded[strings.ToLower(c.review.User)], nil
}

// eligible resolves the reviewer's roles and objects to anyone who has none.
func eligible(e *evaluation, c *candidate) (string, error) {
	user := c.review.User
	var err error
	if e.ownersUsable {
		if c.ownerAs, err = e.entryFor(e.owners, user); err != nil {
			return "", err
		}
	}
	// A standard request needs only one role; skip the admin lookups (and
	// their API calls) for an owner.
	if e.in.Kind != KindStandard || c.ownerAs == "" {
		if c.adminAs, err = e.entryFor(e.admins, user); err != nil {
			return "", err
		}
	}
	if c.ownerAs != "" || c.adminAs != "" {
		return "", nil
	}
	switch {
	case e.in.Kind == KindAdminChange:
		return "not an SSO admin, and a change that is not a plain request needs one", nil
	case e.ownersUsable:
		return fmt.Sprintf("not an owner of %s nor an SSO admin", e.accountName()), nil
	default:
		return fmt.Sprintf("not an SSO admin, and %s has no usable owners so only SSO admins count", e.accountName()), nil
	}
}

func onHead(e *evaluation, c *candidate) (string, error) {
	if strings.EqualFold(c.review.CommitID, e.head) {
		return "", nil
	}
	if c.review.CommitID == "" {
		return "the review is not tied to a commit", nil
	}
	return fmt.Sprintf("approved an older commit %s; the pull request has changed since (head is now %s)", short(c.review.CommitID), short(e.head)), nil
}

// assign matches the counted approvals to stages and sets the state.
func (e *evaluation) assign(cands []*candidate) {
	ownerOK := func(c *candidate) bool {
		if e.ownersUsable {
			return c.ownerAs != ""
		}
		return c.adminAs != ""
	}
	add := func(c *candidate, stage string) {
		as := c.adminAs
		if stage == StageOwner && e.ownersUsable {
			as = c.ownerAs
		}
		e.bodies[c.review.ID] = c.review.Body
		e.d.Approvals = append(e.d.Approvals, Approval{
			By: c.review.User, Stage: stage, As: as, At: c.review.SubmittedAt, ReviewID: c.review.ID,
		})
	}
	// roleStage labels an approval that no particular stage needed; without
	// usable owners ownerAs is never set, so it says admin.
	roleStage := func(c *candidate) string {
		if c.ownerAs != "" {
			return StageOwner
		}
		return StageAdmin
	}
	pending := StatePendingOwner
	if !e.ownersUsable {
		pending = StatePendingAdmin
	}

	switch e.in.Kind {
	case KindStandard:
		for _, c := range cands {
			add(c, roleStage(c))
		}
		e.d.State = pending
		if len(cands) > 0 {
			e.d.State = StateApproved
		}
	case KindAdminChange:
		for _, c := range cands {
			add(c, StageAdmin)
		}
		e.d.State = StatePendingAdmin
		if len(cands) > 0 {
			e.d.State = StateApproved
		}
	case KindCustom:
		// Try owner-stage candidates who are not admins first, so that an
		// owner who is also an admin stays free for the admin stage; then
		// any other admin fills it. With two stages this is exhaustive: if a
		// valid pair exists, some owner-stage candidate finds a partner.
		var pref []*candidate
		for _, c := range cands {
			if ownerOK(c) && c.adminAs == "" {
				pref = append(pref, c)
			}
		}
		for _, c := range cands {
			if ownerOK(c) && c.adminAs != "" {
				pref = append(pref, c)
			}
		}
		var owner, admin *candidate
		for _, o := range pref {
			for _, a := range cands {
				if a != o && a.adminAs != "" {
					owner, admin = o, a
					break
				}
			}
			if owner != nil {
				break
			}
		}
		switch {
		case owner != nil:
			e.d.State = StateApproved
		case len(pref) > 0:
			owner = pref[0]
			e.d.State = StatePendingAdmin
		case len(cands) > 0:
			// Only admins approved, and owners exist: the owner stage waits.
			e.d.State = StatePendingOwner
		default:
			e.d.State = pending
		}
		for _, c := range cands {
			switch {
			case c == owner:
				add(c, StageOwner)
			case c == admin:
				add(c, StageAdmin)
			default:
				add(c, roleStage(c))
			}
		}
	}
}

// applyDurations reads the notes and duration directives of the counted
// approvals.
func (e *evaluation) applyDurations() {
	for i := range e.d.Approvals {
		a := &e.d.Approvals[i]
		ds, note := parseBody(e.bodies[a.ReviewID])
		a.Note = note
		d, ignored := durationOf(ds, e.in.Kind, e.in.RequestedDuration)
		a.Duration = d
		for _, ig := range ignored {
			e.d.IgnoredDirectives = append(e.d.IgnoredDirectives, IgnoredDirective{By: a.By, ReviewID: a.ReviewID, Line: ig.line, Reason: ig.reason})
		}
		if d > 0 && d < e.d.EffectiveDuration {
			e.d.EffectiveDuration = d
		}
	}
}

// nextReviewers lists whom to ask next, leaving out individual users who
// cannot approve or already did.
func (e *evaluation) nextReviewers() {
	skip := func(entry string) bool {
		if strings.Contains(entry, "/") {
			return false
		}
		login := entry[1:]
		if e.tookPart(login) {
			return true
		}
		for _, a := range e.d.Approvals {
			if strings.EqualFold(a.By, login) {
				return true
			}
		}
		return false
	}
	var from []string
	switch e.d.State {
	case StateRejected:
		seen := map[string]bool{}
		for _, r := range e.d.Rejections {
			if k := strings.ToLower(r.By); !seen[k] {
				seen[k] = true
				e.d.NextReviewers = append(e.d.NextReviewers, "@"+r.By)
			}
		}
		return
	case StatePendingOwner:
		from = e.owners
	case StatePendingAdmin:
		from = e.admins
	case StateApproved:
		// Emergency access is reviewed after the fact by an owner or admin.
		if !e.d.Emergency || PostHocReviewed(e.d) {
			return
		}
		if e.ownersUsable {
			from = append(from, e.owners...)
		}
		from = append(from, e.admins...)
	default:
		return
	}
	seen := map[string]bool{}
	for _, s := range from {
		if seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		if !skip(s) {
			e.d.NextReviewers = append(e.d.NextReviewers, s)
		}
	}
}

func (e *evaluation) accountName() string {
	if e.in.Account == "" {
		return "the account"
	}
	return e.in.Account
}

func (e *evaluation) warn(s string) {
	e.d.Warnings = append(e.d.Warnings, s)
}

// sortOutput orders the lists by time so that the Decision is deterministic.
func (e *evaluation) sortOutput() {
	sort.SliceStable(e.d.Ignored, func(i, j int) bool {
		a, b := e.d.Ignored[i].Review, e.d.Ignored[j].Review
		if !a.SubmittedAt.Equal(b.SubmittedAt) {
			return a.SubmittedAt.Before(b.SubmittedAt)
		}
		return a.ID < b.ID
	})
}
