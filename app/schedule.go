package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

// DefaultReconcileWorkflow is the file name of the reconcile workflow that
// jit init writes, which the App dispatches.
const DefaultReconcileWorkflow = "jit-reconcile.yml"

// DefaultDispatchWindow is how close instants must be to share a dispatch.
const DefaultDispatchWindow = 2 * time.Second

// scheduleHorizon is how far ahead instants are kept: beyond the longest
// scheduled start jit accepts (30 days) and any sensible grant.
const scheduleHorizon = 40 * 24 * time.Hour

// A schedule dispatches the reconcile workflow of one repository at the
// instants main says something is due: each active grant's expiry and each
// scheduled start. It keeps nothing of its own: the instants are read from
// main at start-up and again on every push to main, so replicas and
// restarts agree. Two replicas both dispatching is harmless: the workflow's
// concurrency group queues the runs and the reconcile is idempotent.
type schedule struct {
	s    *Server
	inst int64
	repo ghrepo.Repo
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	instants []time.Time // sorted, still to dispatch
	// files caches request files by blob SHA: content-addressed, so a
	// reload reads only the files a push changed.
	files map[string]schema.Request
}

// Schedule makes the App dispatch the reconcile workflow of repo at each
// expiry and scheduled start on its main branch, until ctx ends. It reads
// main once before returning (an error if that fails) and again on every
// push to main the App is told about. installationID 0 finds the App's
// installation on repo.
func (s *Server) Schedule(ctx context.Context, installationID int64, repo ghrepo.Repo) error {
	return s.startSchedule(ctx, ctx, installationID, repo)
}

// startSchedule is Schedule with the first read of main bounded by readCtx.
func (s *Server) startSchedule(ctx, readCtx context.Context, installationID int64, repo ghrepo.Repo) error {
	if installationID == 0 {
		var err error
		if installationID, err = s.gh.FindInstallation(readCtx, repo); err != nil {
			return err
		}
	}
	k := strings.ToLower(repo.String())
	s.mu.Lock()
	sc := s.schedules[k]
	fresh := sc == nil
	if fresh {
		sc = &schedule{s: s, inst: installationID, repo: repo, log: s.log.With("repo", repo.String()),
			wake: make(chan struct{}, 1), files: map[string]schema.Request{}}
		s.schedules[k] = sc
	}
	s.mu.Unlock()
	if err := sc.reload(readCtx); err != nil {
		if fresh {
			s.mu.Lock()
			delete(s.schedules, k)
			s.mu.Unlock()
		}
		return err
	}
	if fresh {
		// The schedule ends with ctx or with Close, whichever comes first.
		ctx, stop := context.WithCancel(ctx)
		context.AfterFunc(s.base, stop)
		s.sched.Add(1)
		go func() {
			defer stop()
			defer s.sched.Done()
			sc.run(ctx)
			s.mu.Lock()
			delete(s.schedules, k)
			s.mu.Unlock()
		}()
	}
	return nil
}

// scheduled returns the schedule of repo, nil when the App does not
// dispatch for it.
func (s *Server) scheduled(repo ghrepo.Repo) *schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schedules[strings.ToLower(repo.String())]
}

// reload reads main's grants and plans with the reconcile's own planner:
// what is due now is dispatched at once, the later instants are kept.
func (sc *schedule) reload(ctx context.Context) error {
	gh := ghrepo.New(sc.s.installation(sc.inst), sc.repo)
	main, err := gh.DefaultBranch(ctx)
	if err != nil {
		return err
	}
	var entries []ghrepo.TreeEntry
	var cfgData []byte
	err = parallel(
		func() (err error) { entries, err = gh.Files(ctx, main, layout.RequestsDir); return err },
		func() (err error) { cfgData, _, _, err = gh.File(ctx, layout.ConfigPath, main); return err },
	)
	if err != nil {
		return fmt.Errorf("reading the grants on %s for the reconcile's schedule: %w", main, err)
	}
	cfg, findings := schema.ParseConfig(layout.ConfigPath, cfgData)
	if cfg == nil || schema.HasErrors(findings) {
		// The reconcile refuses to run on an invalid config too; the
		// hourly schedule and the next push try again.
		return fmt.Errorf("%s on %s is invalid: no reconcile is scheduled", layout.ConfigPath, main)
	}
	grants, err := sc.read(ctx, gh, main, entries)
	if err != nil {
		return err
	}
	now := sc.s.clock.Now()
	plan := lifecycle.NewPlanner(cfg).PlanAt(grants, now, scheduleHorizon)
	var at []time.Time
	for _, it := range plan.Wait {
		at = append(at, it.At)
	}
	for _, it := range plan.Starting {
		at = append(at, it.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	sc.mu.Lock()
	sc.instants = at
	sc.mu.Unlock()
	select {
	case sc.wake <- struct{}{}:
	default:
	}
	sc.log.Info("reconcile schedule read from main", "instants", len(at),
		"due", len(plan.Activate)+len(plan.Expire)+len(plan.Revoke))
	if len(plan.Activate)+len(plan.Expire)+len(plan.Revoke) > 0 {
		return sc.dispatch(ctx, gh, main)
	}
	return nil
}

// maxReads bounds the request files read at once.
const maxReads = 8

// read returns the grants of the request files in entries, reading only
// those whose blob it has not read before. A file that does not decode is
// left out: the reconcile reports it.
func (sc *schedule) read(ctx context.Context, gh ghrepo.Client, main string, entries []ghrepo.TreeEntry) ([]lifecycle.Grant, error) {
	var todo []ghrepo.TreeEntry
	sc.mu.Lock()
	for _, e := range entries {
		if _, ok := sc.files[e.SHA]; !ok && e.Mode == "100644" && strings.HasSuffix(e.Path, ".yaml") {
			todo = append(todo, e)
		}
	}
	sc.mu.Unlock()
	sem := make(chan struct{}, maxReads)
	var errs []error
	var emu sync.Mutex
	var wg sync.WaitGroup
	for _, e := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			data, _, _, err := gh.File(ctx, e.Path, main)
			if err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
				return
			}
			req, err := schema.DecodeRequest(e.Path, data)
			if err != nil {
				sc.log.Warn("request file does not decode; the reconcile reports it", "path", e.Path, "err", err)
			}
			sc.mu.Lock()
			sc.files[e.SHA] = req
			sc.mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	live := map[string]bool{}
	var grants []lifecycle.Grant
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, e := range entries {
		req, ok := sc.files[e.SHA]
		if !ok {
			continue
		}
		live[e.SHA] = true
		if req.Account != "" || req.Status != nil {
			grants = append(grants, lifecycle.Grant{Path: e.Path, Request: req})
		}
	}
	for sha := range sc.files {
		if !live[sha] {
			delete(sc.files, sha) // gone from main: forget it
		}
	}
	return grants, nil
}

// run waits for each instant and dispatches the reconcile then. Instants at
// most the dispatch window apart share one dispatch, made at the last of
// them so that all are due when the run starts. The wait is in short steps
// on the App's clock, so a sandbox clock moved forward takes effect at once.
func (sc *schedule) run(ctx context.Context) {
	window := sc.s.opts.DispatchWindow
	for {
		sc.mu.Lock()
		var at time.Time
		if len(sc.instants) > 0 {
			at = sc.instants[0]
			for _, t := range sc.instants[1:] {
				if t.Sub(sc.instants[0]) > window {
					break
				}
				at = t
			}
		}
		sc.mu.Unlock()
		step := time.Hour
		if !at.IsZero() {
			step = min(at.Sub(sc.s.clock.Now()), 200*time.Millisecond)
		}
		if step > 0 {
			t := time.NewTimer(step)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-sc.wake:
				t.Stop()
			case <-t.C:
			}
			continue
		}
		sc.mu.Lock()
		for len(sc.instants) > 0 && !sc.instants[0].After(at) {
			sc.instants = sc.instants[1:]
		}
		sc.mu.Unlock()
		gh := ghrepo.New(sc.s.installation(sc.inst), sc.repo)
		main, err := gh.DefaultBranch(ctx)
		if err == nil {
			err = sc.dispatch(ctx, gh, main)
		}
		if err != nil && ctx.Err() == nil {
			// The hourly schedule of the workflow is the safety net.
			sc.log.Error("dispatching the reconcile failed; the workflow's schedule will run it", "at", at, "err", err)
		}
	}
}

func (sc *schedule) dispatch(ctx context.Context, gh ghrepo.Client, main string) error {
	if err := gh.DispatchWorkflow(ctx, sc.s.opts.ReconcileWorkflow, main); err != nil {
		return err
	}
	sc.log.Info("reconcile dispatched", "workflow", sc.s.opts.ReconcileWorkflow, "ref", main)
	return nil
}
