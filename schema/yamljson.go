package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Size caps, checked before any parsing so that a huge file costs nothing.
const (
	// MaxRequestBytes caps a request file: a request is a few hundred
	// bytes, an inline policy at most 32 KiB.
	MaxRequestBytes = 64 << 10
	// MaxConfigBytes caps .github/jit.yaml.
	MaxConfigBytes = 1 << 20
)

// maxSafetyFindings bounds the findings one file can produce while being
// parsed, so that a hostile file (thousands of aliases) costs little.
const maxSafetyFindings = 20

// document is a YAML file checked for the constructs jit refuses, converted
// to JSON values for the schema, with the YAML node of every JSON pointer.
type document struct {
	path  string
	root  *yaml.Node // the top-level mapping
	value any        // JSON value: map[string]any, []any, string, json.Number, bool, nil
	nodes map[string]located
}

// located are the nodes behind one JSON pointer: the value and, for an
// object member, its key.
type located struct {
	key, value *yaml.Node
}

// pos returns the position of the value at ptr or, when it is absent, of
// the key of its closest present ancestor, so that a finding about a missing
// member points at its parent.
func (d *document) pos(ptr string) (line, col int) {
	if l, ok := d.nodes[ptr]; ok {
		return l.value.Line, l.value.Column
	}
	return d.keyPos(ptr)
}

// keyPos returns the position of the key of the member at ptr, or of its
// value when it has no key (a list item, the top level), or of its closest
// present ancestor.
func (d *document) keyPos(ptr string) (line, col int) {
	for {
		if l, ok := d.nodes[ptr]; ok {
			if l.key != nil {
				return l.key.Line, l.key.Column
			}
			return l.value.Line, l.value.Column
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return 1, 1
		}
		ptr = ptr[:i]
	}
}

// finding builds an error finding for this document.
func (d *document) finding(line, col int, sev Severity, msg, fix string) Finding {
	return Finding{Path: d.path, Line: line, Col: col, Severity: sev, Message: msg, Fix: fix}
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// offsetPos turns a byte offset into a 1-based line and column (in runes).
func offsetPos(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(data); {
		if data[i] == '\n' {
			line, col = line+1, 1
			i++
			continue
		}
		_, size := utf8.DecodeRune(data[i:])
		i += size
		col++
	}
	return line, col
}

// yamlSyntaxFix is the advice for a syntax error; yaml.v3 reports the line
// where the construct that failed began, which may be a line early.
const yamlSyntaxFix = "check indentation, quotes and brackets on this line and the next; quote values that contain \": \" or start with a special character"

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML applies the safe-parsing rules to data: size cap, UTF-8 text,
// one YAML document whose top level is a mapping, no anchors, aliases,
// merge keys, custom tags or duplicate keys. what names the file kind in
// messages ("request file", "config").
func parseYAML(path string, data []byte, limit int, what string) (doc *document, findings []Finding) {
	d := &document{path: path}
	fail := func(line, col int, msg, fix string) (*document, []Finding) {
		return nil, []Finding{d.finding(line, col, SeverityError, msg, fix)}
	}
	if len(data) > limit {
		return fail(1, 1, fmt.Sprintf("the %s is %d bytes, more than the %d bytes allowed", what, len(data), limit),
			"a "+what+" is a short YAML file; check that this is the right file")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := offsetPos(data, i)
		return fail(line, col, fmt.Sprintf("the %s contains a NUL byte: it is binary, not YAML text", what),
			"save the "+what+" as UTF-8 text")
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		line, col := offsetPos(data, i)
		return fail(line, col, fmt.Sprintf("the %s is not valid UTF-8 (byte 0x%02x)", what, data[i]),
			"save the "+what+" as UTF-8 text")
	}

	// yaml.v3 is not known to panic on any input since v3.0.0, but a panic
	// would take down the App's webhook server with it: fail closed instead.
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			findings = []Finding{d.finding(1, 1, SeverityError, fmt.Sprintf("the %s could not be parsed as YAML: %v", what, r), "")}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(1, 1, fmt.Sprintf("the %s is empty", what), "write the keys the schema asks for, e.g. account: and duration:")
		}
		return fail(yamlErrorPos(err), 1, "invalid YAML: "+yamlErrorText(err), yamlSyntaxFix)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return fail(yamlErrorPos(err), 1, "invalid YAML: "+yamlErrorText(err), yamlSyntaxFix)
	default:
		return fail(max(next.Line, 1), 1, fmt.Sprintf("the %s holds more than one YAML document", what),
			"remove the \"---\" separator and everything after it: one file is one document")
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) != 1 {
		return fail(1, 1, fmt.Sprintf("the %s is not a YAML document", what), "")
	}
	root := n.Content[0]
	if root.Kind != yaml.MappingNode || root.Anchor != "" {
		if root.Kind == yaml.MappingNode {
			return fail(root.Line, root.Column, "anchors (&"+root.Anchor+") are not allowed", "remove the anchor")
		}
		return fail(root.Line, root.Column, fmt.Sprintf("the top level of the %s must be a mapping of keys to values, not %s", what, kindName(root)),
			"write one key per line, e.g. \"account: payments-prod\"")
	}
	d.root = root
	d.nodes = make(map[string]located, 32)
	c := converter{d: d}
	d.value = c.convert(root, "", nil)
	if len(c.findings) > 0 {
		return nil, c.findings
	}
	return d, nil
}

// yamlErrorPos extracts the line from a yaml.v3 error ("yaml: line 3: ...").
func yamlErrorPos(err error) int {
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

func yamlErrorText(err error) string {
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "empty"
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	}
	return "a scalar"
}

// converter turns the node tree into JSON values, refusing what jit does not
// accept and recording the node of every JSON pointer.
type converter struct {
	d        *document
	findings []Finding
}

func (c *converter) add(n *yaml.Node, msg, fix string) {
	if len(c.findings) == maxSafetyFindings {
		c.findings = append(c.findings, c.d.finding(n.Line, n.Column, SeverityError, "too many problems; stopped here", "fix the ones above first"))
	}
	if len(c.findings) > maxSafetyFindings {
		return
	}
	c.findings = append(c.findings, c.d.finding(n.Line, n.Column, SeverityError, msg, fix))
}

// allowedTags are the YAML core schema tags; others (!!binary, !!set,
// application tags) have no JSON meaning.
var allowedTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!timestamp": true, "!!map": true, "!!seq": true,
}

func (c *converter) convert(n *yaml.Node, ptr string, key *yaml.Node) any {
	c.d.nodes[ptr] = located{key: key, value: n}
	if n.Anchor != "" {
		c.add(n, "anchors (&"+n.Anchor+") are not allowed", "remove the anchor and write values out in full")
	}
	if n.Kind == yaml.AliasNode {
		c.add(n, "aliases (*"+n.Value+") are not allowed", "write the value out in full instead of referring to an anchor")
		return nil
	}
	if tag := n.ShortTag(); !allowedTags[tag] {
		c.add(n, "the YAML tag "+tag+" is not allowed", "remove the tag; write plain strings, numbers, lists and mappings")
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		obj := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.add(k, "keys must be plain words, not "+kindName(k), "write the key as text, e.g. \"name:\"")
				continue
			}
			if k.ShortTag() == "!!merge" {
				c.add(k, "merge keys (<<) are not allowed", "write every key out in full")
				continue
			}
			if k.Anchor != "" {
				c.add(k, "anchors (&"+k.Anchor+") are not allowed", "remove the anchor")
			}
			if _, dup := obj[k.Value]; dup {
				first := c.d.nodes[ptr+"/"+escapePointer(k.Value)].key
				c.add(k, fmt.Sprintf("duplicate key %q (first set on line %d)", k.Value, first.Line), "keep only one of them")
				continue
			}
			obj[k.Value] = c.convert(v, ptr+"/"+escapePointer(k.Value), k)
		}
		return obj
	case yaml.SequenceNode:
		arr := make([]any, len(n.Content))
		for i, item := range n.Content {
			arr[i] = c.convert(item, ptr+"/"+strconv.Itoa(i), nil)
		}
		return arr
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	c.add(n, "unexpected YAML construct", "")
	return nil
}

// scalarValue converts a scalar with its resolved tag. Numbers become
// json.Number so that the schema sees the exact value; a timestamp stays the
// text it was written as (the schema checks its format).
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value
		}
		return b
	case "!!int":
		plain := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(plain, "+"), 0, 64); err == nil {
			return json.Number(strconv.FormatUint(u, 10))
		}
		fallthrough
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			// .inf and .nan have no JSON form; as a string the schema
			// reports the value's type as wrong where a number is wanted.
			return n.Value
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return n.Value
}
