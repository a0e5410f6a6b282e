package githubemu

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
)

// Dispatch is one workflow_dispatch event a client created.
type Dispatch struct {
	Owner, Repo string
	// Workflow is the workflow's file name (or id) as the client named it.
	Workflow string
	Ref      string
	Inputs   map[string]any
	At       time.Time
}

// actionsState models GitHub Actions as far as jit needs it: a dispatched
// workflow runs, here by calling the handler the test or the sandbox set,
// in the background as a runner would.
type actionsState struct {
	mu         sync.Mutex
	handler    func(Dispatch)
	dispatches []Dispatch
	runs       sync.WaitGroup
	// mains are the last main tips push events were sent for, by repo key.
	mains map[string]string
	// serial runs one dispatched workflow at a time, as the reconcile
	// workflow's concurrency group does (a queued run is not cancelled).
	serial sync.Mutex
}

// SetDispatchHandler sets what a workflow_dispatch runs; nil: nothing (the
// dispatch is only recorded). The sandbox runs the reconcile there.
func (s *Server) SetDispatchHandler(fn func(Dispatch)) {
	s.actions.mu.Lock()
	s.actions.handler = fn
	s.actions.mu.Unlock()
}

// Dispatches lists the workflow_dispatch events created so far.
func (s *Server) Dispatches() []Dispatch {
	s.actions.mu.Lock()
	defer s.actions.mu.Unlock()
	return append([]Dispatch(nil), s.actions.dispatches...)
}

// WaitRuns waits for the dispatched workflows that are still running.
func (s *Server) WaitRuns() { s.actions.runs.Wait() }

// createDispatch is POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches:
// 204 when the workflow file exists at ref, 404 otherwise, 422 without a ref.
func (s *Server) createDispatch(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	body, ok := decodeInto[struct {
		Ref    string         `json:"ref"`
		Inputs map[string]any `json:"inputs"`
	}](s, w, r)
	if !ok {
		return
	}
	if body.Ref == "" {
		s.invalid(w, "Workflow", "ref", "missing_field", "ref is required")
		return
	}
	workflow := r.PathValue("workflow_id")
	commit, err := rp.git.resolve(r.Context(), strings.TrimPrefix(body.Ref, "refs/heads/"))
	if err != nil {
		s.invalid(w, "Workflow", "ref", "invalid", "No ref found for: "+body.Ref)
		return
	}
	if es, err := rp.git.lsTree(r.Context(), commit, ".github/workflows/"+workflow, false); err != nil || len(es) != 1 {
		s.notFound(w)
		return
	}
	d := Dispatch{Owner: rp.owner, Repo: rp.name, Workflow: workflow, Ref: body.Ref, Inputs: body.Inputs, At: s.now()}
	s.actions.mu.Lock()
	s.actions.dispatches = append(s.actions.dispatches, d)
	fn := s.actions.handler
	if fn != nil {
		s.actions.runs.Add(1)
	}
	s.actions.mu.Unlock()
	if fn != nil {
		go func() {
			defer s.actions.runs.Done()
			s.actions.serial.Lock()
			defer s.actions.serial.Unlock()
			fn(d)
		}()
	}
	w.WriteHeader(http.StatusNoContent)
}

// NotePush delivers a push event for main of owner/name when main moved
// since the last push event: after merges and contents writes through the
// API, after the drivers' commits, and after a git push to RepoDir (which
// the emulator cannot see, so whoever pushed calls it).
func (s *Server) NotePush(owner, name string) {
	s.mu.Lock()
	rp := s.repoLocked(owner, name)
	s.mu.Unlock()
	if rp != nil {
		s.notePush(rp)
	}
}

func (s *Server) notePush(rp *repo) {
	after, err := rp.git.branchTip("main")
	if err != nil {
		return
	}
	k := key(rp.owner, rp.name)
	s.actions.mu.Lock()
	if s.actions.mains == nil {
		s.actions.mains = map[string]string{}
	}
	before, seen := s.actions.mains[k]
	s.actions.mains[k] = after
	s.actions.mu.Unlock()
	if !seen || before == after {
		return // the first look only learns where main is
	}
	// Whatever moved main (a git push, a contents write, a driver's
	// commit), pull requests whose head it made reachable are merged now;
	// those a merge already marked are not marked again. Who pushed is
	// not known here.
	rp.git.mu.Lock()
	merged := s.markReachable(context.Background(), rp, "", before, after)
	rp.git.mu.Unlock()
	s.mu.Lock()
	payload := &github.PushEvent{
		Ref:          ptr("refs/heads/main"),
		Before:       ptr(before),
		After:        ptr(after),
		Repo:         pushRepo(s.repoJSON(rp)),
		Installation: s.installationJSON(),
	}
	if s.app != nil {
		payload.Sender = s.userJSON(s.app.bot.login)
	}
	ev := s.newEvent("push", "", payload)
	s.mu.Unlock()
	s.hooks.enqueue(append(merged, ev))
}

// pushRepo is the repository as a push event carries it.
func pushRepo(r *github.Repository) *github.PushEventRepository {
	return &github.PushEventRepository{
		ID: r.ID, NodeID: r.NodeID, Name: r.Name, FullName: r.FullName,
		Owner:         &github.User{Login: r.Owner.Login, ID: r.Owner.ID},
		DefaultBranch: r.DefaultBranch, MasterBranch: r.DefaultBranch,
		URL: r.URL, HTMLURL: r.HTMLURL, CloneURL: r.CloneURL, Private: r.Private,
	}
}

// watchPushes notes main's tip after every write through the API, so that a
// merge or a contents write to main delivers a push event.
func (s *Server) watchPushes(r *http.Request) {
	if r.Method == http.MethodGet {
		return
	}
	owner, name := r.PathValue("owner"), r.PathValue("repo")
	if owner == "" || name == "" {
		return
	}
	s.NotePush(owner, name)
}
