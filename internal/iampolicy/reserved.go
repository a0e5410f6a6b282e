package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Statement ids jit gives the guard statements it adds to the inline policy
// of every permission set it makes. A request may not use them: the
// provisioner replaces a statement with one of these ids, so a requester's
// statement under one would be silently dropped, or could pre-empt a guard.
const (
	// SidExpiry denies everything after the grant's expiry.
	SidExpiry = "JitExpiry"
	// SidSessionCut denies credentials issued before a revocation.
	SidSessionCut = "JitSessionCut"
)

// ReservedSid reports whether a policy written by someone other than jit
// may not use sid. Case is ignored, so that a look-alike such as
// "JITEXPIRY" cannot pass for jit's guard either.
func ReservedSid(sid string) bool {
	return strings.EqualFold(sid, SidExpiry) || strings.EqualFold(sid, SidSessionCut)
}

// Canonical reads the value node of a request file's inline_policy — a YAML
// mapping or a string holding JSON — into the minified JSON document that
// approvers are shown and that AWS receives. It is the one reading of a
// policy: Lint returns the same document, and every other reader (the
// ledger, the audit, the provisioner) goes through here, so a value cannot
// mean one thing to the approvers and another to AWS (an unquoted
// 012345678901 stays that text, an unquoted 2012-10-17 stays a date string).
func Canonical(node *yaml.Node) ([]byte, error) {
	if node == nil {
		return nil, errors.New("inline_policy is empty")
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == yaml.ScalarNode && (node.Tag == "!!str" || node.Tag == "") {
		if _, iss := parseJSON([]byte(node.Value)); iss != nil {
			iss.Line, iss.Col = scalarPos(node, blockIndent(nil, node), iss.Line, iss.Col)
			return nil, issueError(iss)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(node.Value)); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return buf.Bytes(), nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, errors.New("inline_policy must be a policy document (a mapping or a JSON string)")
	}
	root, iss := fromYAML(node, 0)
	if iss != nil {
		return nil, issueError(iss)
	}
	var buf bytes.Buffer
	appendJSON(&buf, root)
	return buf.Bytes(), nil
}

func issueError(iss *Issue) error {
	return &PositionError{Line: iss.Line, Col: iss.Col, Msg: iss.Message}
}

// PositionError is a policy that cannot be read, with where.
type PositionError struct {
	Line, Col int
	Msg       string
}

func (e *PositionError) Error() string { return e.Msg }
