package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/jit-access/jit/internal/editdistance"
)

// The schemas editors use are the schemas jit validates against: there is
// no second copy of their rules in Go.
var (
	//go:embed request.schema.json
	requestSchemaJSON []byte
	//go:embed config.schema.json
	configSchemaJSON []byte
)

// RequestSchemaJSON returns the JSON Schema of request files.
func RequestSchemaJSON() []byte { return slices.Clone(requestSchemaJSON) }

// ConfigSchemaJSON returns the JSON Schema of .github/jit.yaml.
func ConfigSchemaJSON() []byte { return slices.Clone(configSchemaJSON) }

// compiledSchema is a compiled schema together with its raw JSON, which
// error messages consult for property names, examples and errorMessage hints.
type compiledSchema struct {
	schema *jsonschema.Schema
	raw    any
}

var (
	requestSchema = sync.OnceValues(func() (*compiledSchema, error) { return compile(requestSchemaJSON) })
	configSchema  = sync.OnceValues(func() (*compiledSchema, error) { return compile(configSchemaJSON) })
)

func compile(data []byte) (*compiledSchema, error) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading embedded schema: %w", err)
	}
	id, _ := raw.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, raw); err != nil {
		return nil, fmt.Errorf("adding embedded schema %s: %w", id, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compiling embedded schema %s: %w", id, err)
	}
	return &compiledSchema{schema: sch, raw: raw}, nil
}

// parseValid applies the safe-parsing rules (parseYAML), then the file's
// JSON Schema: the document, or nil and the sorted findings when either
// refuses the file.
func parseValid(path string, data []byte, limit int, what string, schema func() (*compiledSchema, error)) (*document, []Finding) {
	d, fs := parseYAML(path, data, limit, what)
	if d == nil {
		return nil, fs
	}
	if fs := validateSchema(d, schema); len(fs) > 0 {
		SortFindings(fs)
		return nil, fs
	}
	return d, nil
}

// validateSchema validates the document against a compiled schema and
// turns every error into a finding at the YAML position of the value.
func validateSchema(d *document, load func() (*compiledSchema, error)) []Finding {
	cs, err := load()
	if err != nil {
		return []Finding{d.finding(1, 1, SeverityError, "internal error: "+err.Error(), "")}
	}
	err = cs.schema.Validate(d.value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Finding{d.finding(1, 1, SeverityError, "validating against the schema: "+err.Error(), "")}
	}
	t := translator{d: d, cs: cs}
	t.walk(ve)
	return t.findings
}

type translator struct {
	d        *document
	cs       *compiledSchema
	findings []Finding
}

var printer = message.NewPrinter(language.English)

func (t *translator) walk(e *jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf, *kind.PropertyNames:
		t.leaf(e)
		return
	}
	if len(e.Causes) == 0 {
		t.leaf(e)
		return
	}
	for _, c := range e.Causes {
		t.walk(c)
	}
}

func (t *translator) add(line, col int, msg, fix string) {
	t.findings = append(t.findings, t.d.finding(line, col, SeverityError, msg, fix))
}

// leaf turns one schema error into a finding that says what is wrong in the
// file's terms and how to fix it.
func (t *translator) leaf(e *jsonschema.ValidationError) {
	ptr := pointerOf(e.InstanceLocation)
	field := fieldName(e.InstanceLocation)
	sch, _ := t.cs.at(e.SchemaURL).(map[string]any)
	hint, _ := sch["errorMessage"].(string)
	line, col := t.d.pos(ptr)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		kl, kc := t.d.keyPos(ptr)
		props, _ := sch["properties"].(map[string]any)
		for _, m := range k.Missing {
			t.add(kl, kc, "missing key "+strconv.Quote(m)+in(field), "add \""+m+": "+example(props[m])+"\"")
		}
	case *kind.AdditionalProperties:
		props, _ := sch["properties"].(map[string]any)
		known := sortedKeys(props)
		for _, p := range k.Properties {
			kl, kc := t.d.keyPos(ptr + "/" + escapePointer(p))
			fix := "remove it"
			if s := closest(p, known); s != "" {
				fix = "did you mean " + strconv.Quote(s) + "?"
			} else if len(known) > 0 {
				fix = "remove it; known keys are " + strings.Join(known, ", ")
			}
			t.add(kl, kc, "unknown key "+strconv.Quote(p)+in(field), fix)
		}
	case *kind.Type:
		t.typeError(e.InstanceLocation, k, sch)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		fix := "use one of " + strings.Join(want, ", ")
		if s := closest(fmt.Sprint(k.Got), want); s != "" {
			fix = "did you mean " + strconv.Quote(s) + "? allowed: " + strings.Join(want, ", ")
		}
		t.add(line, col, fmt.Sprintf("%s %s is not allowed", field, display(k.Got)), fix)
	case *kind.Const:
		t.add(line, col, fmt.Sprintf("%s is %s, but must be %s", field, display(k.Got), display(k.Want)), fmt.Sprintf("write %s: %s", lastToken(e.InstanceLocation), display(k.Want)))
	case *kind.Pattern:
		t.add(line, col, fmt.Sprintf("%s %q is not valid", field, k.Got), or(hint, "it must match "+k.Want))
	case *kind.MinLength:
		t.add(line, col, fmt.Sprintf("%s is %d characters long, at least %d are needed", field, k.Got, k.Want), hint)
	case *kind.MaxLength:
		t.add(line, col, fmt.Sprintf("%s is %d characters long, at most %d are allowed", field, k.Got, k.Want), or(hint, "shorten it"))
	case *kind.MinItems:
		t.add(line, col, fmt.Sprintf("%s has %d entries, at least %d are needed", field, k.Got, k.Want), or(hint, fmt.Sprintf("list at least %d", k.Want)))
	case *kind.MaxItems:
		t.add(line, col, fmt.Sprintf("%s has %d entries, at most %d are allowed", field, k.Got, k.Want), or(hint, "remove some"))
	case *kind.UniqueItems:
		second := append(slices.Clone(e.InstanceLocation), strconv.Itoa(k.Duplicates[1]))
		l, c := t.d.pos(pointerOf(second))
		t.add(l, c, fmt.Sprintf("%s lists the same value twice (entries %d and %d)", field, k.Duplicates[0]+1, k.Duplicates[1]+1), "remove the duplicate")
	case *kind.Minimum:
		t.add(line, col, fmt.Sprintf("%s is %s, it must be at least %s", field, k.Got.RatString(), k.Want.RatString()), hint)
	case *kind.Maximum:
		t.add(line, col, fmt.Sprintf("%s is %s, it must be at most %s", field, k.Got.RatString(), k.Want.RatString()), hint)
	case *kind.Format:
		fix := hint
		if k.Want == "date-time" {
			fix = "write an RFC 3339 time such as 2026-11-23T10:02:11Z"
		}
		t.add(line, col, fmt.Sprintf("%s %s is not a valid %s", field, display(k.Got), k.Want), fix)
	case *kind.PropertyNames:
		// jsonschema v6 reuses the slice behind InstanceLocation for
		// propertyNames errors, so find the object from the schema path.
		ptr, loc := t.propertyOwner(e.SchemaURL, k.Property)
		kl, kc := t.d.keyPos(ptr + "/" + escapePointer(k.Property))
		t.add(kl, kc, fmt.Sprintf("%q is not a valid key%s", k.Property, in(fieldName(loc))), hint)
	case *kind.OneOf:
		t.alternatives(e, sch["oneOf"], k.Subschemas, true)
	case *kind.AnyOf:
		t.alternatives(e, sch["anyOf"], nil, false)
	default:
		t.add(line, col, field+": "+e.ErrorKind.LocalizedString(printer), hint)
	}
}

// alternatives explains a failed oneOf or anyOf whose branches each
// require some keys ("exactly one of permission_set, custom_permission_set").
func (t *translator) alternatives(e *jsonschema.ValidationError, branches any, matched []int, exactlyOne bool) {
	ptr := pointerOf(e.InstanceLocation)
	field := fieldName(e.InstanceLocation)
	var keys []string
	list, _ := branches.([]any)
	for _, b := range list {
		m, _ := b.(map[string]any)
		req, _ := m["required"].([]any)
		if len(m) != 1 || len(req) != 1 {
			keys = nil
			break
		}
		s, _ := req[0].(string)
		keys = append(keys, s)
	}
	kl, kc := t.d.keyPos(ptr)
	switch {
	case keys == nil:
		t.add(kl, kc, field+": "+e.ErrorKind.LocalizedString(printer), "")
	case len(matched) >= 2:
		a, b := keys[matched[0]], keys[matched[1]]
		l, c := t.d.keyPos(ptr + "/" + escapePointer(b))
		t.add(l, c, fmt.Sprintf("%s and %s are both set%s, but only one of them may be", a, b, in(field)), "keep exactly one of them")
	case exactlyOne:
		t.add(kl, kc, fmt.Sprintf("%s needs exactly one of %s", nameOr(field), strings.Join(keys, ", ")), "add one of them")
	default:
		t.add(kl, kc, fmt.Sprintf("%s needs at least one of %s", nameOr(field), strings.Join(keys, ", ")), "add one of them")
	}
}

func (t *translator) typeError(loc []string, k *kind.Type, sch map[string]any) {
	ptr := pointerOf(loc)
	field := fieldName(loc)
	line, col := t.d.pos(ptr)
	n := t.d.nodes[ptr].value
	want := make([]string, len(k.Want))
	for i, w := range k.Want {
		want[i] = typeName(w)
	}
	wants := strings.Join(want, " or ")
	if n != nil && slices.Contains(k.Want, "string") && (k.Got == "number" || k.Got == "integer" || k.Got == "boolean") {
		t.add(line, col, fmt.Sprintf("%s is written as a YAML %s (%s) but must be a string; quote it", field, k.Got, n.Value),
			fmt.Sprintf("write %s: %q", lastToken(loc), n.Value))
		return
	}
	if k.Got == "null" {
		t.add(line, col, fmt.Sprintf("%s is empty, but must be %s", field, wants), "give it a value")
		return
	}
	fix := ""
	if ex := example(sch); ex != "..." {
		fix = "for example " + lastToken(loc) + ": " + ex
	}
	t.add(line, col, fmt.Sprintf("%s must be %s, not %s", field, wants, typeName(k.Got)), fix)
}

// propertyOwner finds the object holding key prop whose place in the
// document matches the schema location of a propertyNames keyword
// (".../properties/users/propertyNames" matches /users).
func (t *translator) propertyOwner(schemaURL, prop string) (string, []string) {
	_, frag, _ := strings.Cut(schemaURL, "#")
	toks := strings.Split(strings.Trim(frag, "/"), "/")
	toks = toks[:max(len(toks)-1, 0)] // drop "propertyNames"
	var pattern []string              // "" matches any index or key
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "properties":
			if i+1 < len(toks) {
				pattern = append(pattern, toks[i+1])
				i++
			}
		case "items", "additionalProperties":
			pattern = append(pattern, "")
		}
	}
	suffix := "/" + escapePointer(prop)
	for ptr, l := range t.d.nodes {
		if l.key == nil || !strings.HasSuffix(ptr, suffix) {
			continue
		}
		owner := strings.TrimSuffix(ptr, suffix)
		loc := strings.Split(strings.TrimPrefix(owner, "/"), "/")
		if owner == "" {
			loc = nil
		}
		if len(loc) != len(pattern) {
			continue
		}
		match := true
		for i := range loc {
			if pattern[i] != "" && pattern[i] != loc[i] {
				match = false
			}
		}
		if match {
			return owner, loc
		}
	}
	return "", nil
}

// at returns the raw schema at a schema URL's fragment.
func (cs *compiledSchema) at(schemaURL string) any {
	_, frag, _ := strings.Cut(schemaURL, "#")
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	v := cs.raw
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func pointerOf(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		b.WriteString(escapePointer(tok))
	}
	return b.String()
}

// fieldName writes an instance location the way people read it:
// custom_permission_set.name, accounts[1].id.
func fieldName(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func lastToken(loc []string) string {
	for i := len(loc) - 1; i >= 0; i-- {
		if _, err := strconv.Atoi(loc[i]); err != nil {
			return loc[i]
		}
	}
	return "value"
}

func in(field string) string {
	if field == "" {
		return ""
	}
	return " in " + field
}

func nameOr(field string) string {
	if field == "" {
		return "the file"
	}
	return field
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func typeName(t string) string {
	switch t {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "integer":
		return "a whole number"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "null":
		return "empty"
	}
	return t
}

// display writes a JSON value as it would appear in YAML.
func display(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "empty"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

// example renders the first example of a property schema for a fix.
func example(prop any) string {
	m, _ := prop.(map[string]any)
	ex, _ := m["examples"].([]any)
	if len(ex) == 0 {
		return "..."
	}
	switch x := ex[0].(type) {
	case string:
		return x
	case []any, map[string]any:
		b, err := json.Marshal(x)
		if err != nil || len(b) > 80 {
			return "..."
		}
		return string(b)
	}
	return fmt.Sprint(ex[0])
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// closest returns the candidate nearest to s when it is near enough to be a
// likely typo, else "".
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editdistance.Strings(ls, strings.ToLower(c), -1)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// About a third of the length, so that "13h" suggests nothing but
	// "acount" suggests "account".
	if bestDist < 0 || bestDist > min(3, (len([]rune(s))-1)/3) {
		return ""
	}
	return best
}
