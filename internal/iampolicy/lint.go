// Package iampolicy lints the inline IAM policy of a custom permission set
// before it reaches AWS, so that requesters see their mistakes on the pull
// request and approvers see what the policy would let someone do.
//
// Errors block a request (bad JSON, grammar IAM rejects, unknown actions,
// malformed ARNs); warnings point approvers at broad or dangerous grants;
// suggestions propose a better spelling. Action names are checked against
// an embedded catalog of every IAM action (see CatalogSource).
package iampolicy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

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
	// Suggestion proposes a likely intended change; it does not fail
	// validation either.
	Suggestion Severity = "suggestion"
)

// Issue is one finding about a policy. Line and Col are 1-based; Col counts
// characters. Message says what is wrong and why it matters; Suggestion,
// when not empty, says how to fix it (e.g. `did you mean "s3:GetObject"?`).
type Issue struct {
	Line, Col  int
	Severity   Severity
	Message    string
	Suggestion string
}

// Lint checks the value node of a request file's inline_policy, which is
// either a YAML mapping (the policy written as YAML) or a string scalar
// holding a JSON document. It returns the policy as minified JSON, ready to
// send to AWS (nil when it cannot be parsed), and the issues found, sorted,
// with positions in the YAML file the node was parsed from.
//
// For a JSON string in a literal (|) block, lines are exact; yaml.v3 does
// not record a block's indentation, so columns assume the usual layout
// where inline_policy is a key one level deep
// (custom_permission_set.inline_policy) indented like its parent; use
// LintInFile for exact columns. A folded (>) block joins lines, so its
// positions are estimates. Quoted strings are assumed to be written on
// one line, with escapes counted.
func Lint(node *yaml.Node) (doc []byte, issues []Issue) {
	return LintInFile(nil, node)
}

// LintInFile is Lint for a caller that still has the bytes of the YAML
// file the node was parsed from: it reads a block scalar's real
// indentation from src, so columns are exact whatever the layout. With a
// nil src it behaves like Lint.
func LintInFile(src []byte, node *yaml.Node) (doc []byte, issues []Issue) {
	if node == nil {
		return nil, []Issue{{Line: 1, Col: 1, Severity: Error, Message: "inline_policy is empty",
			Suggestion: "write the policy as a YAML mapping or a JSON string, or remove inline_policy"}}
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == yaml.ScalarNode && (node.Tag == "!!str" || node.Tag == "") {
		doc, issues = LintJSON([]byte(node.Value))
		indent := blockIndent(src, node)
		for i := range issues {
			issues[i].Line, issues[i].Col = scalarPos(node, indent, issues[i].Line, issues[i].Col)
		}
		return doc, issues
	}
	if node.Kind != yaml.MappingNode {
		what := "a " + strings.TrimPrefix(node.Tag, "!!")
		switch node.Kind {
		case yaml.SequenceNode:
			what = "a list"
		case yaml.AliasNode:
			what = "an alias"
		}
		if node.Tag == "!!null" {
			what = "empty"
		}
		return nil, []Issue{{Line: node.Line, Col: node.Column, Severity: Error,
			Message:    "inline_policy is " + what + ", but must be a policy document",
			Suggestion: "write the policy as a YAML mapping with Version and Statement, or as a JSON string"}}
	}
	root, iss := fromYAML(node, 0)
	if iss != nil {
		return nil, []Issue{*iss}
	}
	var buf bytes.Buffer
	appendJSON(&buf, root)
	return buf.Bytes(), lintTree(root)
}

// blockIndent returns the indentation of a block scalar's content. It
// reads it from the file when src is given; otherwise it assumes the usual
// layout, "inline_policy: |" one level deep (the key under
// custom_permission_set) with the content one more level in.
func blockIndent(src []byte, node *yaml.Node) int {
	if node.Style != yaml.LiteralStyle && node.Style != yaml.FoldedStyle {
		return 0
	}
	if src != nil {
		lines := bytes.Split(src, []byte("\n"))
		for i := node.Line; i < len(lines); i++ { // lines[node.Line] is the line after the indicator
			if content := bytes.TrimLeft(lines[i], " "); len(bytes.TrimSpace(content)) > 0 {
				return len(lines[i]) - len(content)
			}
		}
	}
	const key = len("inline_policy: ")
	if keyCol := node.Column - key; keyCol > 1 {
		return 2 * (keyCol - 1)
	}
	return 2
}

// scalarPos maps a position in the JSON text held by a YAML string scalar
// to its position in the YAML file.
func scalarPos(node *yaml.Node, indent, line, col int) (int, int) {
	switch node.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// Content starts on the line after the indicator. A folded block
		// joins lines, so there the line is the best estimate.
		return node.Line + line, indent + col
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		// Quoted JSON is normally written on one line, with escapes for
		// quotes and newlines; count how wide the text before the issue
		// is when written that way.
		prefix := valuePrefix(node.Value, line, col)
		width := 0
		for _, r := range prefix {
			width++
			switch {
			case node.Style == yaml.SingleQuotedStyle && r == '\'':
				width++ // ''
			case node.Style == yaml.DoubleQuotedStyle && (r == '"' || r == '\\' || r == '\n' || r == '\t' || r == '\r'):
				width++ // \" \\ \n \t \r
			}
		}
		return node.Line, node.Column + 1 + width
	default:
		if line == 1 {
			return node.Line, node.Column + col - 1
		}
		return node.Line + line - 1, col
	}
}

// valuePrefix returns the text of value before a 1-based line and column.
func valuePrefix(value string, line, col int) string {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(value[off:], '\n')
		if i < 0 {
			return value
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(value); c++ {
		_, size := utf8.DecodeRuneInString(value[off:])
		off += size
	}
	return value[:off]
}

// LintJSON checks a policy written as JSON. It returns the policy as
// minified JSON (nil when it cannot be parsed) and the issues found,
// sorted, with positions relative to data.
func LintJSON(data []byte) (doc []byte, issues []Issue) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, []Issue{{Line: 1, Col: 1, Severity: Error, Message: "the policy is empty",
			Suggestion: `write a JSON policy document: {"Version": "2012-10-17", "Statement": [...]}`}}
	}
	root, iss := parseJSON(data)
	if iss != nil {
		return nil, []Issue{*iss}
	}
	var buf bytes.Buffer
	// The parser has accepted data, so Compact cannot fail; it keeps the
	// strings exactly as written.
	if err := json.Compact(&buf, data); err != nil {
		return nil, []Issue{{Line: 1, Col: 1, Severity: Error, Message: "invalid JSON: " + err.Error()}}
	}
	return buf.Bytes(), lintTree(root)
}

func lintTree(root *pnode) []Issue {
	l := &linter{cat: loadCatalog()}
	l.charset(root)
	l.document(root)
	slices.SortStableFunc(l.issues, func(a, b Issue) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return l.issues
}

// allowedRune says whether IAM accepts r in a policy document: tab, line
// feed, carriage return and U+0020 to U+00FF (IAM quotas, "Policy
// documents can contain only the following Unicode characters").
func allowedRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF
}

// charset reports every key and string that holds a character IAM
// rejects, at the key or string, naming the character.
func (l *linter) charset(n *pnode) {
	check := func(s string, line, col int, what string) {
		for _, r := range s {
			if !allowedRune(r) {
				l.add(line, col, Error, "replace it with a plain character, e.g. ' for a typographic quote or - for a dash",
					"%s %q contains %U (%q), which AWS does not accept in a policy: only tab, line feed, carriage return and U+0020 to U+00FF are allowed",
					what, s, r, r)
				return
			}
		}
	}
	switch n.kind {
	case kString:
		check(n.s, n.line, n.col, "the value")
	case kObject:
		for _, m := range n.members {
			check(m.key, m.line, m.col, "the key")
			l.charset(m.val)
		}
	case kArray:
		for _, it := range n.items {
			l.charset(it)
		}
	}
}
