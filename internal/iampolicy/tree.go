package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// maxDepth bounds nesting; a real policy is at most five levels deep
// (document, Statement list, statement, Condition, operator), so anything
// far deeper is hostile or broken and must not exhaust the stack.
const maxDepth = 32

type kind int

const (
	kObject kind = iota
	kArray
	kString
	kNumber
	kBool
	kNull
)

// pnode is one value of a policy with the position it was written at, so
// that the same rules serve policies written as YAML and as JSON.
type pnode struct {
	kind      kind
	line, col int
	s         string // string value, number text, or "true"/"false"
	members   []member
	items     []*pnode
}

type member struct {
	key       string
	line, col int
	val       *pnode
}

func (n *pnode) get(key string) (member, bool) {
	for _, m := range n.members {
		if m.key == key {
			return m, true
		}
	}
	return member{}, false
}

func (k kind) String() string {
	switch k {
	case kObject:
		return "an object"
	case kArray:
		return "a list"
	case kString:
		return "a string"
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	default:
		return "null"
	}
}

// lineIndex converts byte offsets of a JSON document to 1-based line and
// column (in characters, as editors count them).
type lineIndex struct {
	data   []byte
	starts []int
}

func newLineIndex(data []byte) *lineIndex {
	li := &lineIndex{data: data, starts: []int{0}}
	for i, b := range data {
		if b == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li *lineIndex) pos(off int) (line, col int) {
	off = max(0, min(off, len(li.data)))
	lo, hi := 0, len(li.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if li.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, utf8.RuneCount(li.data[li.starts[lo]:off]) + 1
}

// parseJSON reads a policy written as JSON into a position-annotated tree.
// It relies on encoding/json's tokenizer for the grammar and recovers each
// token's start from the decoder's offsets.
func parseJSON(data []byte) (*pnode, *Issue) {
	li := newLineIndex(data)
	p := &jsonParser{data: data, li: li, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	root, iss := p.value(0)
	if iss != nil {
		return nil, iss
	}
	start := p.skip(int(p.dec.InputOffset()))
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		line, col := li.pos(start)
		return nil, &Issue{Line: line, Col: col, Severity: Error,
			Message:    "invalid JSON: unexpected text after the end of the policy document",
			Suggestion: "remove it, or check that every { and [ is closed at the right place"}
	}
	return root, nil
}

type jsonParser struct {
	data []byte
	li   *lineIndex
	dec  *json.Decoder
}

// skip returns the offset of the next token at or after off: the decoder
// reports the end of the previous token, before any separator.
func (p *jsonParser) skip(off int) int {
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (p *jsonParser) syntaxError(err error) *Issue {
	var se *json.SyntaxError
	off := len(p.data)
	msg := "invalid JSON: " + err.Error()
	hint := ""
	switch {
	case errors.As(err, &se):
		// The decoder reports the offset of the offending character.
		off = int(se.Offset)
		if off < len(p.data) && p.data[off] == '\'' {
			hint = "JSON strings and names use double quotes"
		}
		if before := bytes.TrimRight(p.data[:max(0, min(off, len(p.data)))], " \t\r\n"); bytes.HasSuffix(before, []byte(",")) &&
			off < len(p.data) && (p.data[off] == '}' || p.data[off] == ']') {
			hint = "JSON allows no comma after the last element; remove it"
		}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "invalid JSON: the document ends too early"
		// Point just past the last character, not at trailing blank lines.
		off = len(bytes.TrimRight(p.data, " \t\r\n"))
		hint = "a closing }, ] or \" is missing"
	}
	line, col := p.li.pos(off)
	return &Issue{Line: line, Col: col, Severity: Error, Message: msg, Suggestion: hint}
}

func (p *jsonParser) value(depth int) (*pnode, *Issue) {
	start := p.skip(int(p.dec.InputOffset()))
	line, col := p.li.pos(start)
	if depth > maxDepth {
		return nil, &Issue{Line: line, Col: col, Severity: Error,
			Message: fmt.Sprintf("the policy is nested more than %d levels deep", maxDepth)}
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	n := &pnode{line: line, col: col}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n.kind = kObject
			for p.dec.More() {
				kstart := p.skip(int(p.dec.InputOffset()))
				ktok, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxError(err)
				}
				key, _ := ktok.(string)
				kl, kc := p.li.pos(kstart)
				v, iss := p.value(depth + 1)
				if iss != nil {
					return nil, iss
				}
				n.members = append(n.members, member{key: key, line: kl, col: kc, val: v})
			}
		} else {
			n.kind = kArray
			for p.dec.More() {
				v, iss := p.value(depth + 1)
				if iss != nil {
					return nil, iss
				}
				n.items = append(n.items, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.syntaxError(err)
		}
	case string:
		n.kind, n.s = kString, t
	case json.Number:
		n.kind, n.s = kNumber, t.String()
	case bool:
		n.kind, n.s = kBool, fmt.Sprint(t)
	case nil:
		n.kind = kNull
	}
	return n, nil
}

// fromYAML converts a YAML policy into the same tree. YAML features that
// JSON cannot express, or that would let a reviewer see something other
// than what IAM receives (aliases, custom tags), are errors.
func fromYAML(y *yaml.Node, depth int) (*pnode, *Issue) {
	n := &pnode{line: y.Line, col: y.Column}
	if depth > maxDepth {
		return nil, &Issue{Line: y.Line, Col: y.Column, Severity: Error,
			Message: fmt.Sprintf("the policy is nested more than %d levels deep", maxDepth)}
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) != 1 {
			return nil, &Issue{Line: y.Line, Col: y.Column, Severity: Error, Message: "the policy is empty"}
		}
		return fromYAML(y.Content[0], depth+1)
	case yaml.MappingNode:
		n.kind = kObject
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &Issue{Line: k.Line, Col: k.Column, Severity: Error,
					Message: "a policy key must be a plain name, not a list or mapping"}
			}
			if k.Tag == "!!merge" {
				return nil, &Issue{Line: k.Line, Col: k.Column, Severity: Error,
					Message:    "YAML merge keys (<<) are not allowed in a policy",
					Suggestion: "write the statement's elements out in full"}
			}
			val, iss := fromYAML(v, depth+1)
			if iss != nil {
				return nil, iss
			}
			n.members = append(n.members, member{key: k.Value, line: k.Line, col: k.Column, val: val})
		}
	case yaml.SequenceNode:
		n.kind = kArray
		for _, c := range y.Content {
			val, iss := fromYAML(c, depth+1)
			if iss != nil {
				return nil, iss
			}
			n.items = append(n.items, val)
		}
	case yaml.ScalarNode:
		switch y.Tag {
		case "!!null":
			n.kind = kNull
		case "!!bool":
			n.kind, n.s = kBool, strings.ToLower(y.Value)
			if n.s != "true" && n.s != "false" {
				n.kind, n.s = kString, y.Value
			}
		case "!!int", "!!float":
			// YAML number spellings JSON lacks (0x1F, .inf) stay text,
			// which is how IAM compares condition values anyway.
			n.kind, n.s = kNumber, y.Value
			if !json.Valid([]byte(y.Value)) {
				n.kind = kString
			}
		case "!!str", "!!timestamp", "":
			// An unquoted Version: 2012-10-17 is a YAML timestamp; IAM
			// wants the text.
			n.kind, n.s = kString, y.Value
		default:
			return nil, &Issue{Line: y.Line, Col: y.Column, Severity: Error,
				Message:    fmt.Sprintf("YAML tag %s is not allowed in a policy", y.Tag),
				Suggestion: "remove the tag; write the value as plain text"}
		}
	case yaml.AliasNode:
		return nil, &Issue{Line: y.Line, Col: y.Column, Severity: Error,
			Message:    "YAML aliases (*name) are not allowed in a policy: reviewers must see every value where it applies",
			Suggestion: "write the value out in full"}
	default:
		return nil, &Issue{Line: y.Line, Col: y.Column, Severity: Error, Message: "unsupported YAML node in the policy"}
	}
	return n, nil
}

// appendJSON writes n as minified JSON, keeping key order, so that the
// document sent to AWS is the one the reviewer read.
func appendJSON(buf *bytes.Buffer, n *pnode) {
	switch n.kind {
	case kObject:
		buf.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendString(buf, m.key)
			buf.WriteByte(':')
			appendJSON(buf, m.val)
		}
		buf.WriteByte('}')
	case kArray:
		buf.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSON(buf, it)
		}
		buf.WriteByte(']')
	case kString:
		appendString(buf, n.s)
	case kNumber, kBool:
		buf.WriteString(n.s)
	default:
		buf.WriteString("null")
	}
}

func appendString(buf *bytes.Buffer, s string) {
	if plainJSONString(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // IAM stores the text as written; keep < > & readable
	_ = enc.Encode(s)        // encoding a string cannot fail
	buf.Truncate(buf.Len() - 1)
}

// plainJSONString reports whether s can be written between quotes as is,
// the common case for policy text, which avoids an encoder per string.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
