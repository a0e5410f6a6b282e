package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a finding blocks a request.
type Severity string

// Severities, from blocking to informative. Only errors fail validation;
// warnings are shown to approvers.
const (
	SeverityError      Severity = "error"
	SeverityWarning    Severity = "warning"
	SeveritySuggestion Severity = "suggestion"
)

// rank orders severities so that errors sort before warnings on one line.
func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	default:
		return 2
	}
}

// Finding is one problem found in a file, at a 1-based line and column.
type Finding struct {
	Path     string
	Line     int
	Col      int
	Severity Severity
	// Message says what is wrong.
	Message string
	// Fix says how to fix it, when that is known.
	Fix string
}

// String formats the finding the way compilers do, so that editors and
// terminals can jump to it: PATH:LINE:COL: SEVERITY: MESSAGE (fix: FIX).
func (f Finding) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s: %s", f.Path, f.Line, f.Col, f.Severity, f.Message)
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// SortFindings orders findings by path, line, column, severity and message,
// so output is stable and reads top to bottom.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ErrorText joins the errors among findings into one line, each as
// PATH:LINE:COL: error: MESSAGE (fix: FIX), separated by "; ". It is ""
// when there are none.
func ErrorText(fs []Finding) string {
	var msgs []string
	for _, f := range fs {
		if f.Severity == SeverityError {
			msgs = append(msgs, f.String())
		}
	}
	return strings.Join(msgs, "; ")
}
