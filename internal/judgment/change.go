package judgment

import (
	"strings"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/schema"
)

// ChangeFindings words the classification of a change's files for the
// people who wrote it, as the App's check and `jit validate --base` both
// show it: nothing for a plain request; otherwise a warning that lists
// what an SSO admin must review, and an error on each file no pull request
// may touch (merged request files are the audit record). subject names the
// change in the warning ("this change (main...HEAD)").
func ChangeFindings(files []change.File, subject string) []schema.Finding {
	res := change.Classify(files)
	if res.Request {
		return nil
	}
	findings := []schema.Finding{{
		Severity: schema.SeverityWarning,
		Message:  subject + " needs SSO admin review: " + strings.Join(res.Reasons, "; "),
		Fix:      "a request adds exactly one new file requests/<account>/<name>.yaml and changes nothing else",
	}}
	for _, f := range files {
		for _, reason := range change.Classify([]change.File{f}).Forbidden {
			findings = append(findings, schema.Finding{
				Path:     f.Path,
				Severity: schema.SeverityError,
				Message:  "this change " + reason + ", which no pull request may do: merged request files are the audit record and only jit writes them",
				Fix:      "to extend or renew access, add a new request file; leave existing ones as they are",
			})
		}
	}
	return findings
}
