package sandbox

import (
	"fmt"
	"strings"

	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
)

// PRStatus is what a person sees on a pull request: the App's check on the
// head commit, labels, the App's status comment and the last comment.
type PRStatus struct {
	// Approval is jit/approval's conclusion, Title its title and Validate
	// the verdict of the validation it carries (judgment.Validation).
	Validate, Approval, Title string
	Annotations               []string
	Labels                    []string
	Sticky                    string
	LastComment               string
}

// PRStatus reads a pull request's state from the GitHub emulator.
func (w *World) PRStatus(n int) (PRStatus, error) {
	var st PRStatus
	pr, err := w.GitHub.PullRequest(Org, RepoName, n)
	if err != nil {
		return st, err
	}
	runs, err := w.GitHub.CheckRuns(Org, RepoName, pr.GetHead().GetSHA())
	if err != nil {
		return st, err
	}
	for _, r := range runs {
		if r.GetName() != judgment.CheckApproval {
			continue
		}
		st.Approval, st.Title = r.GetConclusion(), r.GetOutput().GetTitle()
		st.Validate = judgment.Validation(st.Title)
		st.Annotations = nil
		for _, a := range r.GetOutput().Annotations {
			st.Annotations = append(st.Annotations, fmt.Sprintf("%s:%d: %s: %s", a.GetPath(), a.GetStartLine(), a.GetAnnotationLevel(), firstLine(a.GetMessage())))
		}
	}
	if st.Labels, err = w.GitHub.Labels(Org, RepoName, n); err != nil {
		return st, err
	}
	comments, err := w.GitHub.Comments(Org, RepoName, n)
	if err != nil {
		return st, err
	}
	for _, c := range comments {
		if strings.Contains(c.GetBody(), "<!-- jit:status -->") {
			st.Sticky = c.GetBody()
		}
		st.LastComment = c.GetBody()
	}
	return st, nil
}

// hasAssignment reports whether the emulated Identity Center holds the
// assignment of login's user.
func (w *World) hasAssignment(account, permissionSetARN, login string) bool {
	return w.IDC.HasAssignment(account, permissionSetARN, w.UserIDs[login])
}

// jitSet returns the first permission set jit created, if any.
func (w *World) jitSet() (idcemu.PermissionSetState, bool) {
	for _, ps := range w.IDC.PermissionSets() {
		if strings.HasPrefix(ps.Name, layout.PermissionSetPrefix) {
			return ps, true
		}
	}
	return idcemu.PermissionSetState{}, false
}
