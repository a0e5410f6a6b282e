package schema

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/yamldoc"
)

// SetStatus returns data with its top-level `status:` block replaced by st,
// or appended at the end of the mapping when there is none; st == nil
// removes the block. Every other byte stays as it was — comments, the schema
// line, key order, quoting — because the file is the requester's and the
// diff of each transition commit should show the status change only.
//
// The result is checked by parsing it again: every other key must decode
// exactly as before and the status as st, or SetStatus returns an error
// rather than a file that says something else.
func SetStatus(data []byte, st *Status) ([]byte, error) {
	_, root, err := yamldoc.Mapping(data, "the request file")
	if err != nil {
		return nil, err
	}
	return setStatus(data, root, st, func(indent int) ([]byte, error) { return encodeStatus(st, indent) })
}

// appendsAtEnd reports, without trying it, that setStatus would append a
// status block at the very end of data and that the file would then read
// as before plus the status: a block mapping whose keys are plain scalars
// at the left margin, without a status key, whose only lines at the margin
// after its first key (other than blank lines and comments) are its keys'
// lines, and whose last value holds no block scalar. Then every value ends
// before the next key's line or at the end of the file, so a key appended
// at the margin after the last line ends the last value where the end of
// the file did. Anything else (a "..." line, a value continued at the
// margin, indented or quoted keys, a status block already, a tab in the
// indentation, a | or > scalar at the end, whose trailing lines depend on
// what follows) is left to the trial.
// TestAppendsAtEndImpliesTheTrial holds the two together.
func appendsAtEnd(data []byte, root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || len(root.Content) < 2 {
		return false
	}
	keyLines := make(map[int]bool, len(root.Content)/2)
	for i := 0; i < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Kind != yaml.ScalarNode || k.Style != 0 || k.Column != 1 || k.Value == "status" {
			return false
		}
		keyLines[k.Line] = true
	}
	// A block scalar (| or >) at the end keeps or drops its trailing
	// lines by what follows it: appending a key may change its value.
	if hasBlockScalar(root.Content[len(root.Content)-1]) {
		return false
	}
	first := root.Content[0].Line
	for i, l := range splitLines(data) {
		if i+1 < first {
			continue
		}
		text := l.text
		trimmed := strings.TrimLeft(text, " ")
		if strings.HasPrefix(trimmed, "\t") {
			return false
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(trimmed) == len(text) && !keyLines[i+1] {
			return false
		}
	}
	return true
}

// hasBlockScalar reports whether n or anything in it is a literal (|) or
// folded (>) scalar.
func hasBlockScalar(n *yaml.Node) bool {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return true
	}
	for _, c := range n.Content {
		if hasBlockScalar(c) {
			return true
		}
	}
	return false
}

// setStatus is SetStatus for data already parsed: root is its top-level
// mapping, as yamldoc.Mapping or parseYAML read it, and encode gives st as
// encodeStatus does. checkWritable tries a status on every request this
// way, without parsing the file again or encoding its constant probe.
func setStatus(data []byte, root *yaml.Node, st *Status, encode func(indent int) ([]byte, error)) ([]byte, error) {
	if root.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("line %d: the request file is a flow mapping ({...}); write it as block YAML (one key per line)", root.Line)
	}
	lines := splitLines(data)
	// lineStart(l) is the byte offset of 1-based line l; past the end it is len(data).
	lineStart := func(l int) int {
		if l-1 < len(lines) {
			return lines[l-1].start
		}
		return len(data)
	}
	nLines := len(lines)

	statusAt := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "status" {
			if statusAt >= 0 {
				return nil, fmt.Errorf("line %d: a second status key; a file has one status block", root.Content[i].Line)
			}
			statusAt = i
		}
	}
	indent := root.Content[0].Column - 1 // where the top-level keys start
	// outside reports whether line l ends the top-level mapping's current
	// entry: it starts at or left of the keys' column with something other
	// than a comment (the next key, or a "..." document end).
	outside := func(l int) bool {
		text := lines[l-1].text
		trimmed := strings.TrimLeft(text, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			return false
		}
		return len(text)-len(trimmed) <= indent
	}
	// trailing reports whether line l is blank or a comment at the keys'
	// column, which belongs to what follows rather than to the status.
	trailing := func(l int) bool {
		text := lines[l-1].text
		trimmed := strings.TrimLeft(text, " \t")
		return trimmed == "" || (strings.HasPrefix(trimmed, "#") && len(text)-len(trimmed) <= indent)
	}

	var start, end int
	if statusAt >= 0 {
		key := root.Content[statusAt]
		endLine := nLines + 1
		if statusAt+2 < len(root.Content) {
			endLine = root.Content[statusAt+2].Line
		}
		for l := key.Line + 1; l < endLine; l++ {
			if outside(l) {
				endLine = l
				break
			}
		}
		for endLine-1 > key.Line && trailing(endLine-1) {
			endLine--
		}
		start, end = lineStart(key.Line), lineStart(endLine)
	} else {
		last := root.Content[len(root.Content)-2]
		endLine := nLines + 1
		for l := last.Line + 1; l <= nLines; l++ {
			if outside(l) {
				endLine = l
				break
			}
		}
		start = lineStart(endLine)
		end = start
	}

	block, err := encode(indent)
	if err != nil {
		return nil, err
	}
	// The block as checkRewrite encodes st, when it is that already.
	var want []byte
	if indent == 0 {
		want = block
	}
	if bytes.Contains(data, []byte("\r\n")) {
		block = bytes.ReplaceAll(block, []byte("\n"), []byte("\r\n"))
	}
	out := make([]byte, 0, len(data)+len(block)+1)
	out = append(out, data[:start]...)
	if len(block) > 0 && start > 0 && data[start-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, block...)
	out = append(out, data[end:]...)
	if err := checkRewrite(root, out, st, want); err != nil {
		return nil, err
	}
	return out, nil
}

type textLine struct {
	start int
	text  string // without the line ending
}

func splitLines(data []byte) []textLine {
	var out []textLine
	for pos := 0; pos < len(data); {
		i := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if i >= 0 {
			next = pos + i + 1
		}
		text := strings.TrimRight(string(data[pos:next]), "\r\n")
		out = append(out, textLine{start: pos, text: text})
		pos = next
	}
	return out
}

// encodeStatus writes "status:" and its mapping, indented by indent spaces,
// with times in UTC so that the audit log reads the same everywhere.
func encodeStatus(st *Status, indent int) ([]byte, error) {
	if st == nil {
		return nil, nil
	}
	c := *st
	for _, p := range []**time.Time{&c.MergedAt, &c.ActivatedAt, &c.ExpiresAt, &c.EndedAt, &c.RevokeRequestedAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	c.Approvals = append([]Approval(nil), st.Approvals...)
	for i := range c.Approvals {
		c.Approvals[i].At = c.Approvals[i].At.UTC()
	}
	c.Extensions = append([]Extension(nil), st.Extensions...)
	for i := range c.Extensions {
		x := &c.Extensions[i]
		x.PreviousExpiresAt, x.ExpiresAt, x.At = x.PreviousExpiresAt.UTC(), x.ExpiresAt.UTC(), x.At.UTC()
	}
	if len(c.Extensions) == 0 {
		c.Extensions = nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]*Status{"status": &c}); err != nil {
		return nil, fmt.Errorf("writing the status block: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the status block: %w", err)
	}
	if indent == 0 {
		return buf.Bytes(), nil
	}
	pad := strings.Repeat(" ", indent)
	var out bytes.Buffer
	for _, l := range strings.SplitAfter(buf.String(), "\n") {
		if l != "" {
			out.WriteString(pad + l)
		}
	}
	return out.Bytes(), nil
}

// checkRewrite parses the rewritten file and compares it with the original,
// given as its parsed top-level mapping: everything but the status must be
// unchanged, and the status must be st. want, when not nil, is st as
// encodeStatus(st, 0) writes it.
func checkRewrite(before *yaml.Node, after []byte, st *Status, want []byte) error {
	var a, b map[string]any
	if err := before.Decode(&a); err != nil {
		return fmt.Errorf("reading the request file: %w", err)
	}
	// One parse of the result, decoded twice: as a map here and as a
	// Request below, as yaml.Unmarshal would have parsed it for each.
	var doc yaml.Node
	err := yaml.Unmarshal(after, &doc)
	if err == nil && doc.Kind != 0 {
		err = doc.Decode(&b)
	}
	if err != nil {
		return fmt.Errorf("the rewritten request file does not parse (%v); the file's layout is not one SetStatus can edit safely", err)
	}
	delete(a, "status")
	_, had := b["status"]
	delete(b, "status")
	if !reflect.DeepEqual(a, b) {
		return errors.New("rewriting the status block would change other keys; the file's layout is not one SetStatus can edit safely")
	}
	if (st != nil) != had {
		return errors.New("the rewritten request file does not have the expected status block")
	}
	if st == nil {
		return nil
	}
	var req Request
	if doc.Kind != 0 {
		err = doc.Decode(&req)
	}
	if err != nil || req.Status == nil {
		return fmt.Errorf("the rewritten status block does not decode: %v", err)
	}
	if want == nil {
		want, _ = encodeStatus(st, 0)
	}
	got, _ := encodeStatus(req.Status, 0)
	if !bytes.Equal(want, got) {
		return errors.New("the rewritten status block does not read back as written")
	}
	return nil
}
