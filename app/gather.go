package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// facts are what one evaluation reads from GitHub. They are read in rounds
// of parallel requests, each round needing only what earlier ones returned,
// so that a delivery waits for few round trips in a row:
//
//  1. the pull request, its files, reviews, commits and comments, the
//     default branch with its config and CODEOWNERS, and, when the event
//     names the head commit, that commit's check runs and root tree;
//  2. for each added file under requests/, its content at the head and the
//     trees down to it (one level a round), the team memberships the rules
//     may ask about, and the other pull requests with the same head.
//
// Facts about a commit never change, so reading them at the head the event
// named is safe once the pull request confirms that head; when it has moved
// on, they are read again at the new head.
type facts struct {
	pr       *ghrepo.PR
	files    []change.File
	main     string
	rules    judgment.Rules
	reviews  []approval.Review
	commits  []approval.Commit
	comments []ghrepo.Comment
	runs     []ghrepo.CheckRun
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

// gather reads the facts of pull request number. hint is the head commit the
// event named ("" when it named none); known is the pull request when the
// caller has just listed it (the sweep), so it is not read again.
func (h *handler) gather(ctx context.Context, number int, hint string, known *ghrepo.PR) (*facts, error) {
	f := &facts{pr: known, contents: map[string][]byte{}, teams: ghrepo.NewTeams(ctx, h.gh)}
	if known != nil {
		hint = known.HeadSHA
	}
	var (
		cfgData, coData  []byte
		cfgErr, coErr    error
		root             []ghrepo.TreeEntry
		rootErr, runsErr error
	)
	round1 := []func() error{
		func() (err error) { f.files, err = h.gh.PullRequestFiles(ctx, number); return err },
		func() (err error) { f.main, err = h.gh.DefaultBranch(ctx); return err },
		// No ref: the default branch's, never the pull request's.
		func() error { cfgData, _, _, cfgErr = h.gh.File(ctx, layout.ConfigPath, ""); return nil },
		func() error { coData, _, _, coErr = h.gh.File(ctx, layout.CodeownersPath, ""); return nil },
		func() (err error) { f.reviews, err = h.gh.Reviews(ctx, number); return err },
		func() (err error) { f.commits, err = h.gh.PullRequestCommits(ctx, number); return err },
		func() (err error) {
			// A command has just listed them: use that list once.
			if f.comments, h.comments = h.comments, nil; f.comments != nil {
				return nil
			}
			f.comments, err = h.gh.Comments(ctx, number)
			return err
		},
	}
	if known == nil {
		round1 = append(round1, func() (err error) { f.pr, err = h.gh.PullRequest(ctx, number); return err })
	}
	if hint != "" {
		// Failures here are not final: the event's head may be stale, or
		// a forgery, and then these are read again at the real head.
		round1 = append(round1,
			func() error { f.runs, runsErr = h.gh.CheckRuns(ctx, hint); return nil },
			func() error { root, rootErr = h.gh.Tree(ctx, hint); return nil })
	}
	for attempt := 1; ; attempt++ {
		if err := parallel(round1...); err != nil {
			return nil, err
		}
		if headListed(f.commits, f.pr.HeadSHA) {
			break
		}
		// A push landed between the reads: the commits (whose authors may
		// not approve) and the files must be the head's, so read again.
		if attempt == 3 {
			return nil, fmt.Errorf("%s#%d kept changing while it was read (its commits do not reach its head %s); redeliver to retry", h.repo, number, f.pr.HeadSHA)
		}
		if known != nil { // the listing is stale too
			known = nil
			round1 = append(round1, func() (err error) { f.pr, err = h.gh.PullRequest(ctx, number); return err })
		}
	}
	head := f.pr.HeadSHA
	if hint != head {
		f.runs, root, rootErr = nil, nil, nil
	} else if runsErr != nil {
		return nil, runsErr
	}
	var err error
	f.rules, err = judgment.LoadRules(ctx, readFiles{ref: f.main, data: map[string][]byte{layout.ConfigPath: cfgData, layout.CodeownersPath: coData},
		errs: map[string]error{layout.ConfigPath: cfgErr, layout.CodeownersPath: coErr}, next: apiFiles{gh: h.gh, ref: f.main}})
	if err != nil {
		return nil, err
	}

	var round2 []func() error
	if hint != head {
		round2 = append(round2, func() (err error) { f.runs, err = h.gh.CheckRuns(ctx, head); return err })
	}
	var mu sync.Mutex
	var rootOnce sync.Once
	rootTree := func() ([]ghrepo.TreeEntry, error) {
		rootOnce.Do(func() {
			if root == nil && rootErr == nil {
				root, rootErr = h.gh.Tree(ctx, head)
			}
		})
		return root, rootErr
	}
	modes := make([]change.Mode, len(f.files))
	lookups := 0
	for i, file := range f.files {
		if file.Status != change.Added || file.Mode != change.ModeUnknown || !change.InRequests(file.Path) || lookups == maxModeLookups {
			continue
		}
		lookups++
		var data []byte
		var dataErr error
		var wg sync.WaitGroup
		round2 = append(round2, func() error {
			// The content is read while the trees are walked, and used only
			// if the walk finds a regular file: never through a symlink or
			// into a submodule.
			wg.Go(func() { data, _, _, dataErr = h.gh.File(ctx, file.Path, head) })
			mode, err := h.walk(ctx, rootTree, file.Path, head)
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

// walk returns the git mode of path at commit, reading the trees one
// directory at a time rather than the whole repository's tree: requests
// accumulate for years.
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

// approvable reports whether the evaluation could end approved, so that the
// pull requests sharing the head are worth reading at once: that needs an
// approving review on the head or a rule that approves without a reviewer.
// When it is wrong, assess reads them after deciding, one round trip later.
func approvable(f *facts, head string) bool {
	for _, r := range f.reviews {
		if r.State == "APPROVED" && r.CommitID == head {
			return true
		}
	}
	cfg := f.rules.Config
	if cfg == nil {
		return false
	}
	return cfg.Emergency != nil || anyAutoApprove(cfg)
}

func anyAutoApprove(cfg *schema.Config) bool {
	for _, a := range cfg.Accounts {
		if len(a.AutoApprove) > 0 {
			return true
		}
	}
	for _, p := range cfg.PermissionSets {
		if len(p.AutoApprove) > 0 {
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
