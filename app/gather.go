package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/newfiles"
	"github.com/jit-access/jit/schema"
)

// facts are what one evaluation reads from GitHub. They are read in rounds
// of parallel requests, each round needing only what earlier ones returned,
// so that a delivery waits for few round trips in a row:
//
//  1. the pull request's files, reviews, commits, comments and labels, the
//     config and CODEOWNERS of the default branch, and, when the event
//     names the head commit, that commit's check runs; when the event also
//     names the base and head branches, the commits and files come from
//     the comparison of the two (repos/compare-commits) and, with it,
//     git's diff of the base branch and the head commit, whose sections
//     give each added file's mode and content (see newfiles); otherwise
//     they are the pull request's lists, and the head's requests/ folder
//     (the tree of every account folder) is read with them;
//  2. for each added file under requests/ the diff did not settle, its
//     content at the head and the tree of its folder (its mode: a
//     symlink, a submodule or an executable file is never a request), the
//     team rosters the rules may ask about, and the other pull requests
//     with the same head.
//
// The pull request itself comes from the event's payload when it has one
// and the commits GitHub lists show that its head is still the head; it
// is read in the first round otherwise. Facts about a commit never change,
// so reading them at the head the event named is safe once that head is
// confirmed; when it has moved on, they are read again at the new head.
type facts struct {
	pr       *ghrepo.PR
	files    []change.File
	main     string
	rules    judgment.Rules
	reviews  []approval.Review
	commits  []approval.Commit
	comments []ghrepo.Comment
	// commentsListed says comments were listed (or given by the caller);
	// labelsListed that pr.Labels were read from the API, not the payload.
	// Neither is read when the App's record on the head, or a first
	// evaluation, makes them unnecessary (see record).
	commentsListed, labelsListed bool
	// first is set for the first evaluation of a pull request just opened:
	// the App has no check run on its head, so it never wrote a status
	// comment for it (a failed evaluation may have, but its retry is not
	// opened: see retryingKey) and only the payload's labels are there.
	first bool
	// reviewsUnread is set when the reviews were not read: a first
	// evaluation, until it would approve.
	reviewsUnread bool
	runs          []ghrepo.CheckRun
	// contents are the added request files' contents at the head, for the
	// files whose mode (in files) is regular.
	contents map[string][]byte
	// changedConfig are the findings of the config an admin change edits.
	changedConfig []schema.Finding
	// sameHead lists the pull requests GitHub associates with the head
	// commit; sameHeadRead is false when they were not read because no
	// approval was possible.
	sameHead     []*ghrepo.PR
	sameHeadRead bool
	teams        *ghrepo.Teams
}

// readFiles are rule files read in the first round, and where to read any
// other.
type readFiles struct {
	ref  string
	data map[string][]byte
	errs map[string]error
	next judgment.Files
}

func (r readFiles) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, ok := r.data[path]
	if !ok {
		return r.next.ReadFile(ctx, path)
	}
	if err := r.errs[path]; errors.Is(err, ghrepo.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	} else if err != nil {
		return nil, err
	}
	return data, nil
}

func (r readFiles) Describe() string { return r.ref }

// parallel runs fns at once and joins their errors.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, f := range fns {
		wg.Go(func() { errs[i] = f() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// seed is what the event or the caller already knows about the pull
// request, so that gather does not wait for it again.
type seed struct {
	// pr was just read from the API: it is used as it is.
	pr *ghrepo.PR
	// payload is the pull request as the event's payload describes it:
	// used once the commits GitHub lists show its head is still the head
	// (a push may have followed the event), with the labels read again.
	payload *ghrepo.PR
	// payloadTotals is set when the payload carried the commit and file
	// totals (pull_request events do, review events do not).
	payloadTotals bool
	// hint is the head commit the event named, "" when it named none.
	hint string
	// main is the default branch as the payload names it ("": read it).
	main string
	// comments are the pull request's comments as a command has just
	// listed them.
	comments []ghrepo.Comment
	// opened is set for the event of a pull request being opened, not
	// for its retry.
	opened bool
	// codeOwnersAsked is set when GitHub asks the code owners itself
	// (reviewRequests).
	codeOwnersAsked bool
}

// gather reads the facts of pull request number.
func (h *handler) gather(ctx context.Context, number int, s seed) (*facts, error) {
	f := &facts{contents: map[string][]byte{}, teams: ghrepo.NewTeams(ctx, h.gh), comments: s.comments, commentsListed: s.comments != nil, main: s.main}
	hint := s.hint
	switch {
	case s.pr != nil:
		hint = s.pr.HeadSHA
	case s.payload != nil:
		hint = s.payload.HeadSHA
	}
	var (
		cfgData, coData []byte
		cfgErr, coErr   error
		// reqDir is the requests/ folder at the hint.
		reqDir             []ghrepo.TreeEntry
		reqDirErr, runsErr error
		// cmp is the comparison of the base branch with the head branch,
		// and diff git's diff of the base branch and the hint.
		cmp             *ghrepo.Comparison
		diff            []byte
		cmpErr, diffErr error
	)
	cmpBase, cmpHead := comparedRefs(s, h.repo)
	compare := hint != "" && cmpBase != "" && cmpHead != ""
	readPR := func() (err error) {
		f.pr, err = h.gh.PullRequest(ctx, number)
		f.labelsListed = err == nil
		return err
	}
	readComments := func() (err error) {
		f.comments, err = h.gh.Comments(ctx, number)
		f.commentsListed = err == nil
		return err
	}
	readLabels := func() (err error) {
		f.pr.Labels, err = h.gh.Labels(ctx, number)
		f.labelsListed = err == nil
		return err
	}
	readPRFiles := func() (err error) { f.files, err = h.gh.PullRequestFiles(ctx, number); return err }
	readCommits := func() (err error) { f.commits, err = h.gh.PullRequestCommits(ctx, number); return err }
	round1 := []func() error{
		// No ref: the default branch's, never the pull request's.
		func() error { cfgData, _, _, cfgErr = h.gh.File(ctx, layout.ConfigPath, ""); return nil },
		func() error { coData, _, _, coErr = h.gh.File(ctx, layout.CodeownersPath, ""); return nil },
	}
	if compare {
		// The comparison names the head branch, not the hint, so that its
		// newest commit tells whether the hint is still the head, as the
		// pull request's own list would; the diff is the hint's.
		round1 = append(round1,
			func() error { cmp, cmpErr = h.gh.Compare(ctx, cmpBase, cmpHead); return nil },
			func() error { diff, diffErr = h.gh.CompareDiff(ctx, cmpBase, hint); return nil })
	} else {
		round1 = append(round1, readPRFiles, readCommits)
	}
	readReviews := func() (err error) { f.reviews, err = h.gh.Reviews(ctx, number); return err }
	// A pull request just opened has no reviews unless one came within
	// moments, and that review's own event judges again: its first
	// evaluation reads them only if it would approve without them (see
	// assess), so that none it missed can count, or an objection be passed
	// over. Which evaluation is the first is known from the head's runs.
	if !s.opened || hint == "" {
		round1 = append(round1, readReviews)
	}
	if !f.commentsListed && hint == "" {
		// Without a head commit to read the App's record from, the
		// comments are read at once rather than a round later.
		round1 = append(round1, readComments)
	}
	if f.main == "" {
		round1 = append(round1, func() (err error) { f.main, err = h.gh.DefaultBranch(ctx); return err })
	}
	switch {
	case s.pr != nil:
		f.pr, f.labelsListed = s.pr, true
	case s.payload != nil:
	default:
		round1 = append(round1, readPR)
	}
	if hint != "" {
		// Failures here are not final: the event's head may be stale,
		// and then these are read again at the real head.
		round1 = append(round1, func() error { f.runs, runsErr = h.gh.CheckRuns(ctx, hint); return nil })
		if !compare {
			round1 = append(round1, func() error { reqDir, reqDirErr = h.gh.Dir(ctx, layout.RequestsDir, hint); return nil })
		}
	}
	if err := parallel(round1...); err != nil {
		return nil, err
	}
	// compared is set while the commits and files are the comparison's.
	compared := false
	if compare {
		if cmpErr == nil && !cmp.Capped() {
			f.commits, f.files, compared = cmp.Commits, comparedFiles(cmp), true
		} else {
			// GitHub may have left commits or files out, or failed: never
			// decide on part of them. The pull request's lists, a round
			// later.
			h.log.Debug("reading the pull request's lists instead of the comparison", "pr", number, "err", cmpErr)
			if err := parallel(readPRFiles, readCommits); err != nil {
				return nil, err
			}
		}
	}
	if s.pr == nil && s.payload != nil {
		f.pr = payloadCurrent(s.payload, s.payloadTotals, f.commits, f.files)
	}
	// The comparison's newest commit must be the head itself, not one
	// pushed since, and its base the pull request's base (an event from
	// before the base was changed names the old one).
	for attempt := 1; f.pr == nil || !headListed(f.commits, f.pr.HeadSHA) || compared && (!isTip(f.commits, f.pr.HeadSHA) || f.pr.BaseRef != cmpBase); attempt++ {
		// A push landed between the reads, or the payload is not the
		// pull request as it is now: the commits (whose authors may not
		// approve) and the files must be the head's, so read again.
		if attempt > 2 {
			return nil, fmt.Errorf("%s#%d kept changing while it was read (its commits do not reach its head %s); redeliver to retry", h.repo, number, f.pr.HeadSHA)
		}
		again := []func() error{readPR}
		if f.pr != nil {
			again, compared = append(again, readPRFiles, readCommits), false
		}
		if err := parallel(again...); err != nil {
			return nil, err
		}
	}
	head := f.pr.HeadSHA
	if hint != head {
		f.runs, reqDir, reqDirErr = nil, nil, nil
	} else if runsErr != nil {
		return nil, runsErr
	}
	var err error
	f.rules, err = h.rules.load(ctx, readFiles{ref: f.main, data: map[string][]byte{layout.ConfigPath: cfgData, layout.CodeownersPath: coData},
		errs: map[string]error{layout.ConfigPath: cfgErr, layout.CodeownersPath: coErr}, next: apiFiles{gh: h.gh, ref: f.main}})
	if err != nil {
		return nil, err
	}

	var round2 []func() error
	if hint != head {
		round2 = append(round2, func() (err error) { f.runs, err = h.gh.CheckRuns(ctx, head); return err })
	}
	// The comments and labels are read only when neither the App's record
	// on the head nor a first evaluation tells what apply needs of them;
	// with the head's runs not yet read, they are read with them.
	_, recorded := recordOf(f.runs, h.appID, number)
	f.first = s.opened && hint == head && !ownRun(f.runs, h.appID)
	f.reviewsUnread = f.first
	if s.opened && hint != "" && !f.first {
		round2 = append(round2, readReviews)
	}
	if hint != head || !recorded && !f.first {
		if !f.commentsListed {
			round2 = append(round2, readComments)
		}
		if !f.labelsListed {
			round2 = append(round2, readLabels)
		}
	}
	requestsDir := sync.OnceValues(func() ([]ghrepo.TreeEntry, error) {
		if reqDir != nil || reqDirErr != nil {
			return reqDir, reqDirErr
		}
		return h.gh.Dir(ctx, layout.RequestsDir, head)
	})
	rootTree := sync.OnceValues(func() ([]ghrepo.TreeEntry, error) { return h.gh.Tree(ctx, head) })
	var mu sync.Mutex
	modes := make([]change.Mode, len(f.files))
	var added map[string]newfiles.File
	if compared && hint == head && diffErr == nil {
		added = h.addedFiles(cmp, diff)
	}
	lookups := 0
	for i, file := range f.files {
		if file.Status != change.Added || file.Mode != change.ModeUnknown || !change.InRequests(file.Path) {
			continue
		}
		if nf, ok := added[file.Path]; ok {
			// The file's own section of the diff settles it: a mode other
			// than a regular file's (never a request), or a content that
			// hashes to the blob the comparison lists.
			if mode := change.ParseMode(nf.Mode); mode != change.ModeUnknown && (mode != change.ModeRegular || nf.Verified) {
				modes[i] = mode
				if mode == change.ModeRegular {
					f.contents[file.Path] = nf.Content
				}
				continue
			}
		}
		if lookups == maxModeLookups {
			continue
		}
		lookups++
		var data []byte
		var dataErr error
		var wg sync.WaitGroup
		round2 = append(round2, func() error {
			// The content is read while the mode is, and used only if the
			// path holds a regular file: never through a symlink or into a
			// submodule.
			wg.Go(func() { data, _, _, dataErr = h.gh.File(ctx, file.Path, head) })
			mode, err := h.mode(ctx, requestsDir, rootTree, file.Path, head)
			wg.Wait()
			if err != nil {
				return err
			}
			modes[i] = change.ParseMode(mode)
			if modes[i] != change.ModeRegular {
				return nil
			}
			if dataErr != nil {
				return dataErr
			}
			mu.Lock()
			f.contents[file.Path] = data
			mu.Unlock()
			return nil
		})
	}
	for _, file := range f.files {
		if file.Path == layout.ConfigPath && file.Status != change.Removed {
			round2 = append(round2, func() error { f.changedConfig = h.validateChangedConfig(ctx, head); return nil })
			break
		}
	}
	if approvable(f, head) {
		f.sameHeadRead = true
		round2 = append(round2, func() (err error) {
			f.sameHead, err = h.gh.PullRequestsWithCommit(ctx, head)
			return err
		})
	}
	round2 = append(round2, func() error { f.teams.Prefetch(referencedTeams(f)); return nil })
	if err := parallel(round2...); err != nil {
		return nil, err
	}
	for i := range f.files {
		if modes[i] != change.ModeUnknown {
			f.files[i].Mode = modes[i]
		}
	}
	return f, nil
}

// comparedRefs are the base and head branches of the pull request the
// seed describes, for GitHub's comparison: the head as OWNER:BRANCH when
// it is in a fork. Both are "" when the seed has no pull request, or its
// head's repository was deleted.
func comparedRefs(s seed, repo ghrepo.Repo) (base, head string) {
	p := s.pr
	if p == nil {
		p = s.payload
	}
	if p == nil || p.BaseRef == "" || p.HeadRef == "" || p.HeadRepo == "" {
		return "", ""
	}
	if strings.EqualFold(p.HeadRepo, repo.String()) {
		return p.BaseRef, p.HeadRef
	}
	owner, _, _ := strings.Cut(p.HeadRepo, "/")
	return p.BaseRef, owner + ":" + p.HeadRef
}

// comparedFiles are the comparison's files as the pull request lists them.
func comparedFiles(c *ghrepo.Comparison) []change.File {
	out := make([]change.File, len(c.Files))
	for i, f := range c.Files {
		out[i] = f.File
	}
	return out
}

// addedFiles reads, from the comparison's diff, the added request files'
// modes and the contents that hash to the blobs the comparison lists; nil
// when the diff cannot be read.
func (h *handler) addedFiles(c *ghrepo.Comparison, diff []byte) map[string]newfiles.File {
	want := map[string]string{}
	for _, f := range c.Files {
		if f.Status == change.Added && change.InRequests(f.Path) {
			want[f.Path] = f.SHA
		}
	}
	if len(want) == 0 {
		return nil
	}
	added, err := newfiles.Read(diff, want)
	if err != nil {
		h.log.Warn("reading the added files through the trees and contents APIs instead", "err", err)
		return nil
	}
	return added
}

// payloadCurrent returns the payload's pull request, with the payload's
// labels, when the commits and files read now are those of its head: its
// head is the tip of the listed commits, and both lists are whole and as
// long as the payload's totals, when it has them. It returns nil
// otherwise, and the pull request is read.
func payloadCurrent(p *ghrepo.PR, totals bool, commits []approval.Commit, files []change.File) *ghrepo.PR {
	if !isTip(commits, p.HeadSHA) || len(commits) >= ghrepo.MaxListedCommits || len(files) >= ghrepo.MaxListedFiles {
		return nil
	}
	if totals && (p.Commits != len(commits) || p.ChangedFiles != len(files)) {
		return nil
	}
	pr := *p
	// Below GitHub's caps the lists are whole: their lengths are the totals.
	pr.Commits, pr.ChangedFiles, pr.Labels = len(commits), len(files), slices.Clone(p.Labels)
	return &pr
}

// isTip reports whether head is among commits and no other listed commit
// has it as a parent: the branch has not moved past it.
func isTip(commits []approval.Commit, head string) bool {
	found := false
	for _, c := range commits {
		if c.SHA == head {
			found = true
		}
		if slices.Contains(c.Parents, head) {
			return false
		}
	}
	return found
}

// headListed reports whether the pull request's commits, read at about the
// same time as the pull request, reach its head. GitHub lists at most 250
// commits, so a longer list cannot tell.
func headListed(commits []approval.Commit, head string) bool {
	if len(commits) >= 250 {
		return true
	}
	for _, c := range commits {
		if c.SHA == head {
			return true
		}
	}
	return false
}

// mode returns the git mode of path at commit. A request file's folder is
// one tree read away from the requests/ listing read with the pull
// request; any other path is walked down from the root, one directory at a
// time rather than the whole repository's tree: requests accumulate for
// years.
func (h *handler) mode(ctx context.Context, requestsDir, root func() ([]ghrepo.TreeEntry, error), path, commit string) (string, error) {
	segs := strings.Split(path, "/")
	if len(segs) == 3 && segs[0] == layout.RequestsDir {
		if dir, err := requestsDir(); err == nil {
			for _, e := range dir {
				if e.Path != segs[1] || e.Type != "tree" {
					continue
				}
				entries, err := h.gh.Tree(ctx, e.SHA)
				if err != nil {
					return "", err
				}
				for _, x := range entries {
					if x.Path == segs[2] {
						return x.Mode, nil
					}
				}
				return "", fmt.Errorf("%w: %s at %s in %s", ghrepo.ErrNotFound, path, commit, h.repo)
			}
		}
		// Not listed (a folder beyond the listing's cap, or none): the walk
		// decides.
	}
	return h.walk(ctx, root, path, commit)
}

// walk returns the git mode of path below the tree root returns.
func (h *handler) walk(ctx context.Context, root func() ([]ghrepo.TreeEntry, error), path, commit string) (string, error) {
	entries, err := root()
	if err != nil {
		return "", err
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		var next *ghrepo.TreeEntry
		for j := range entries {
			if entries[j].Path == seg {
				next = &entries[j]
				break
			}
		}
		switch {
		case next == nil:
			return "", fmt.Errorf("%w: %s at %s in %s", ghrepo.ErrNotFound, path, commit, h.repo)
		case i == len(segs)-1:
			return next.Mode, nil
		case next.Type != "tree":
			return "", fmt.Errorf("%w: %s is not a directory at %s in %s", ghrepo.ErrNotFound, strings.Join(segs[:i+1], "/"), commit, h.repo)
		}
		if entries, err = h.gh.Tree(ctx, next.SHA); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: empty path", ghrepo.ErrNotFound)
}

// approvable reports whether the evaluation is likely to end approved, so
// that the pull requests sharing the head are worth reading at once: an
// approving review on the head. A rule that approves without a reviewer
// (auto-approval, emergency access) approves only some requests, so for
// them, and whenever this guess is wrong, assess reads them after
// deciding, one round trip later, rather than on every event.
func approvable(f *facts, head string) bool {
	for _, r := range f.reviews {
		if r.State == "APPROVED" && r.CommitID == head {
			return true
		}
	}
	return false
}

// maxPrefetch bounds the teams read ahead of the decision; any other is
// asked about when the decision needs it.
const maxPrefetch = 16

// referencedTeams are the teams the validation and the approval policy may
// ask about: every team the config names, and the owners of the added files.
func referencedTeams(f *facts) []string {
	var teams []string
	add := func(entries []string) {
		for _, e := range entries {
			if strings.Contains(e, "/") && !containsFold(teams, e) && len(teams) < maxPrefetch {
				teams = append(teams, e)
			}
		}
	}
	for _, file := range f.files {
		if change.InRequests(file.Path) {
			add(f.rules.OwnersOf(file.Path))
		}
	}
	if cfg := f.rules.Config; cfg != nil {
		add(cfg.Admins)
		if cfg.Emergency != nil {
			add(cfg.Emergency.Requesters)
		}
		for _, a := range cfg.Accounts {
			add(a.Requesters)
			for _, r := range a.AutoApprove {
				add(r.Requesters)
			}
		}
		for _, p := range cfg.PermissionSets {
			add(p.Requesters)
			for _, r := range p.AutoApprove {
				add(r.Requesters)
			}
		}
	}
	return teams
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
