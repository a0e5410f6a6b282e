package idcemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The checked-in constraints come from botocore 1.43.67's models
// (github.com/boto/botocore, botocore/data): Debian's python3-botocore
// 1.29.27 predates the limits AWS applies now (75 tags, a 32,768-byte
// inline policy). Regenerate with BOTOCORE_DATA naming a botocore/data
// directory and the version set below.
//
//go:generate go run ./internal/genconstraints -botocore $BOTOCORE_DATA -version 1.43.67 -out constraints_gen.go

// serviceModel is the part of one botocore service model the emulator
// validates against (constraints_gen.go): each implemented operation's
// input shape, and the shapes it reaches.
type serviceModel struct {
	name       string
	operations map[string]string // operation -> input shape
	shapes     map[string]modelShape
}

// modelShape is one botocore shape, with only what AWS's request validator
// checks.
type modelShape struct {
	kind     string // string, integer, list, structure, ...
	min, max *int
	pattern  string // Go syntax, anchored; "" when none Go can express
	enum     []string
	members  []modelMember // of a structure, by name
	member   string        // of a list
}

type modelMember struct {
	name, shape string
	required    bool
}

// inputConstraint is one member constraint of an operation's input, as
// botocore's model states it.
type inputConstraint struct {
	// path names the member: Name, Filter.Status, Tags[].Key.
	path     string
	required bool
	kind     string // string, integer, list, structure, ...
	min, max *int
	pattern  *regexp.Regexp
	enum     []string
}

func ptrInt(n int) *int { return &n }

// inputConstraints are the constraints of each implemented operation's
// input, in the order they are checked.
var inputConstraints = constraintsOf(serviceModels)

func constraintsOf(models []serviceModel) map[string][]inputConstraint {
	all := map[string][]inputConstraint{}
	for _, m := range models {
		patterns := map[string]*regexp.Regexp{}
		for op, input := range m.operations {
			var cs []inputConstraint
			m.walk(input, "", false, 0, patterns, &cs)
			all[op] = cs
		}
	}
	return all
}

// walk lists the constraints of a shape's members, depth-first in member
// order; the members of a list of structures are walked with "[]". A
// member with nothing to check is left out.
func (m serviceModel) walk(name, path string, required bool, depth int, patterns map[string]*regexp.Regexp, out *[]inputConstraint) {
	s := m.shapes[name]
	if depth > 4 {
		return
	}
	if s.kind == "structure" {
		if path != "" {
			*out = append(*out, inputConstraint{path: path, required: required, kind: "structure"})
		}
		for _, mem := range s.members {
			p := mem.name
			if path != "" {
				p = path + "." + mem.name
			}
			m.walk(mem.shape, p, mem.required, depth+1, patterns, out)
		}
		return
	}
	c := inputConstraint{path: path, required: required, kind: s.kind, min: s.min, max: s.max, enum: s.enum}
	if s.pattern != "" {
		if patterns[s.pattern] == nil {
			patterns[s.pattern] = regexp.MustCompile(s.pattern)
		}
		c.pattern = patterns[s.pattern]
	}
	switch s.kind {
	case "string", "integer", "list", "map":
		if c.required || c.min != nil || c.max != nil || c.pattern != nil || len(c.enum) > 0 {
			*out = append(*out, c)
		}
	default:
		if c.required {
			*out = append(*out, c)
		}
	}
	if s.kind == "list" && s.member != "" && m.shapes[s.member].kind == "structure" {
		m.walk(s.member, path+"[]", false, depth+1, patterns, out)
	}
}

// validateInput applies the model's constraints to a request body before
// the operation runs, answering ValidationException in the words of AWS's
// request validator, as AWS does before any effect. A body that is not a
// JSON object is left to the handler's decoding (SerializationException).
func validateInput(op string, body []byte) *apiError {
	cs, ok := inputConstraints[op]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	for _, c := range cs {
		for _, v := range lookup(doc, strings.Split(c.path, "."), "") {
			if aerr := c.check(v); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

// located is one value a constraint path reaches, with the member path AWS
// names in messages (tags.1.member.key).
type located struct {
	member  string
	value   any
	present bool
}

// lookup finds the values path reaches in doc. A member under an absent
// parent is not reached: the parent's own constraint speaks for it.
func lookup(doc map[string]any, path []string, prefix string) []located {
	seg := path[0]
	name, list := strings.CutSuffix(seg, "[]")
	member := prefix + lowerFirst(name)
	v, ok := doc[name]
	if ok && v == nil {
		ok = false
	}
	if !list {
		if len(path) == 1 {
			return []located{{member: member, value: v, present: ok}}
		}
		child, isObj := v.(map[string]any)
		if !ok || !isObj {
			return nil
		}
		return lookup(child, path[1:], member+".")
	}
	items, _ := v.([]any)
	var out []located
	for i, it := range items {
		m := fmt.Sprintf("%s.%d.member", member, i+1)
		if len(path) == 1 {
			out = append(out, located{member: m, value: it, present: it != nil})
			continue
		}
		if child, isObj := it.(map[string]any); isObj {
			out = append(out, lookup(child, path[1:], m+".")...)
		}
	}
	return out
}

func (c inputConstraint) check(l located) *apiError {
	if !l.present {
		if c.required {
			return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", l.member)
		}
		return nil
	}
	fail := func(value, rule string) *apiError {
		return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, l.member, rule)
	}
	switch c.kind {
	case "string":
		s, ok := l.value.(string)
		if !ok {
			return errSerialization(fmt.Errorf("%s must be a string", l.member))
		}
		n := utf8.RuneCountInString(s)
		if c.min != nil && n < *c.min || c.max != nil && n > *c.max {
			shown := s
			if len(shown) > 64 {
				shown = shown[:64] + "..."
			}
			lo, hi := 0, n
			if c.min != nil {
				lo = *c.min
			}
			if c.max != nil {
				hi = *c.max
			}
			return fail(shown, fmt.Sprintf("have length between %d and %d, inclusive", lo, hi))
		}
		if len(c.enum) > 0 && !contains(c.enum, s) {
			return fail(s, "satisfy enum value set: ["+strings.Join(c.enum, ", ")+"]")
		}
		if c.pattern != nil && !c.pattern.MatchString(s) {
			return fail(s, "satisfy regular expression pattern: "+c.pattern.String())
		}
	case "integer":
		num, ok := l.value.(json.Number)
		if !ok {
			return errSerialization(fmt.Errorf("%s must be a number", l.member))
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return errSerialization(fmt.Errorf("%s must be an integer", l.member))
		}
		if c.min != nil && n < int64(*c.min) {
			return fail(string(num), fmt.Sprintf("have value greater than or equal to %d", *c.min))
		}
		if c.max != nil && n > int64(*c.max) {
			return fail(string(num), fmt.Sprintf("have value less than or equal to %d", *c.max))
		}
	case "list":
		items, ok := l.value.([]any)
		if !ok {
			return errSerialization(fmt.Errorf("%s must be a list", l.member))
		}
		if c.max != nil && len(items) > *c.max {
			return fail(fmt.Sprintf("%d items", len(items)), fmt.Sprintf("have length less than or equal to %d", *c.max))
		}
		if c.min != nil && len(items) < *c.min {
			return fail(fmt.Sprintf("%d items", len(items)), fmt.Sprintf("have length greater than or equal to %d", *c.min))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
