package judgment

import (
	"errors"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// Findings are the rule files' problems as findings: the config's, and
// CODEOWNERS'. GitHub skips CODEOWNERS lines it cannot parse; jit reports
// each as an error instead, because a skipped line can silently take an
// account's owners away (the App then lets only SSO admins approve).
func (r Rules) Findings() []schema.Finding {
	findings := append([]schema.Finding(nil), r.ConfigFindings...)
	switch {
	case errors.Is(r.OwnersErr, fs.ErrNotExist):
		findings = append(findings, schema.Finding{
			Path: layout.CodeownersPath, Severity: schema.SeverityWarning,
			Message: "missing: no account has owners, so only the SSO admins can approve requests",
			Fix:     "add " + layout.CodeownersPath + " with a line like `/requests/<account>/ @org/team` per account",
		})
	case r.OwnersErr != nil:
		findings = append(findings, codeownersErrorFindings(r.OwnersErr)...)
	case r.Owners != nil:
		for _, w := range r.Owners.Warnings() {
			findings = append(findings, warningFinding(w))
		}
	}
	return findings
}

// OwnerFindings warns when no CODEOWNERS rule gives a request's folder an
// owner: GitHub then requests no review and only SSO admins can approve.
// Without usable CODEOWNERS there is nothing to say per file: Findings
// says it once.
func (r Rules) OwnerFindings(rel string) []schema.Finding {
	if r.Owners == nil || !change.InRequests(rel) || len(r.Owners.Owners(rel)) > 0 {
		return nil
	}
	folder := path.Dir(rel)
	return []schema.Finding{{
		Path: rel, Line: 1, Col: 1, Severity: schema.SeverityWarning,
		Message: "no " + layout.CodeownersPath + " rule gives " + folder + "/ an owner, so only the SSO admins can approve this request",
		Fix:     "add `/" + folder + "/ @org/team` to " + layout.CodeownersPath,
	}}
}

// codeownersErrorFindings turns owners.Parse's joined line errors into one
// finding each.
func codeownersErrorFindings(err error) []schema.Finding {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var findings []schema.Finding
	for _, e := range errs {
		var le *owners.LineError
		if errors.As(e, &le) {
			findings = append(findings, schema.Finding{
				Path: le.Path, Line: le.Line, Col: le.Column, Severity: schema.SeverityError,
				Message: le.Msg,
			})
			continue
		}
		findings = append(findings, schema.Finding{Path: layout.CodeownersPath, Severity: schema.SeverityError, Message: e.Error()})
	}
	return findings
}

// warningFinding turns an owners warning, "path:line:column: message", into
// a finding; a warning of another shape is kept whole.
func warningFinding(w string) schema.Finding {
	f := schema.Finding{Path: layout.CodeownersPath, Severity: schema.SeverityWarning, Message: w}
	parts := strings.SplitN(w, ":", 4)
	if len(parts) == 4 {
		line, err1 := strconv.Atoi(parts[1])
		col, err2 := strconv.Atoi(parts[2])
		if err1 == nil && err2 == nil {
			f.Path, f.Line, f.Col, f.Message = parts[0], line, col, strings.TrimSpace(parts[3])
		}
	}
	return f
}
