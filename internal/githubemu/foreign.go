package githubemu

import (
	"fmt"

	"github.com/google/go-github/v62/github"
)

// AddForeignCheckRun records a completed check run that another GitHub App
// (appID, not the registered one) created on sha, as GitHub lists the runs
// of every App installed on the repository: a look-alike jit must neither
// read as its own nor try to update.
func (s *Server) AddForeignCheckRun(owner, name, sha string, appID int64, run, conclusion, summary string) error {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app != nil && s.app.id == appID {
		return fmt.Errorf("app %d is the registered App; use its API", appID)
	}
	cr := &checkRun{id: s.newID(), appID: appID, headSHA: sha, status: "queued", started: s.now()}
	title := "look-alike"
	if err := s.applyCheckRun(cr, checkRunRequest{Name: &run, Conclusion: &conclusion,
		Output: &github.CheckRunOutput{Title: &title, Summary: &summary}}); err != nil {
		return err
	}
	rp.checkRuns = append(rp.checkRuns, cr)
	return nil
}
