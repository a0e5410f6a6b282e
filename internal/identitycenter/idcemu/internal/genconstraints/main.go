// Command genconstraints writes constraints_gen.go of package idcemu: the
// part of botocore's service models of sso-admin and identitystore that
// AWS's request validator applies to the operations the emulator
// implements (each operation's input shape and the shapes it reaches, with
// required members, string lengths and patterns, enums, integer ranges
// such as MaxResults, list lengths), as data that one hand-written walk in
// idcemu turns into per-operation checks. It reads Debian's
// python3-botocore, or botocore's repository (-botocore names its
// botocore/data directory). Run it through `go generate` in package
// idcemu; tests and CI use the checked-in output.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// operations are the operations the emulator implements, by model.
var operations = map[string][]string{
	"sso-admin/2020-07-20": {
		"ListInstances", "CreateAccountAssignment", "DeleteAccountAssignment",
		"DescribeAccountAssignmentCreationStatus", "DescribeAccountAssignmentDeletionStatus",
		"ListAccountAssignmentCreationStatus", "ListAccountAssignmentDeletionStatus",
		"ListAccountAssignments", "ListAccountAssignmentsForPrincipal", "CreatePermissionSet",
		"DescribePermissionSet", "UpdatePermissionSet", "DeletePermissionSet", "ListPermissionSets",
		"ListPermissionSetsProvisionedToAccount", "ListAccountsForProvisionedPermissionSet",
		"ProvisionPermissionSet", "DescribePermissionSetProvisioningStatus", "ListPermissionSetProvisioningStatus",
		"AttachManagedPolicyToPermissionSet", "DetachManagedPolicyFromPermissionSet", "ListManagedPoliciesInPermissionSet",
		"PutInlinePolicyToPermissionSet", "GetInlinePolicyForPermissionSet", "DeleteInlinePolicyFromPermissionSet",
		"AttachCustomerManagedPolicyReferenceToPermissionSet", "DetachCustomerManagedPolicyReferenceFromPermissionSet",
		"ListCustomerManagedPolicyReferencesInPermissionSet", "PutPermissionsBoundaryToPermissionSet",
		"GetPermissionsBoundaryForPermissionSet", "DeletePermissionsBoundaryFromPermissionSet",
		"TagResource", "UntagResource", "ListTagsForResource",
	},
	"identitystore/2020-06-15": {"GetUserId", "DescribeUser", "ListUsers"},
}

type shape struct {
	Type     string            `json:"type"`
	Required []string          `json:"required"`
	Members  map[string]member `json:"members"`
	Member   *member           `json:"member"`
	Min      *float64          `json:"min"`
	Max      *float64          `json:"max"`
	Pattern  *string           `json:"pattern"`
	Enum     []string          `json:"enum"`
}

type member struct {
	Shape string `json:"shape"`
}

type model struct {
	Metadata struct {
		APIVersion string `json:"apiVersion"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input *member `json:"input"`
	} `json:"operations"`
	Shapes map[string]shape `json:"shapes"`
}

func main() {
	dir := flag.String("botocore", "", "botocore's data directory (default: Debian python3-botocore's)")
	version := flag.String("version", "", "the botocore version, for the generated file's header (dpkg -s python3-botocore)")
	out := flag.String("out", "constraints_gen.go", "file to write")
	flag.Parse()
	if err := run(*dir, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genconstraints:", err)
		os.Exit(1)
	}
}

func run(dir, version, out string) error {
	if dir == "" {
		dir = "/usr/lib/python3/dist-packages/botocore/data"
	}
	if version == "" {
		return fmt.Errorf("-version is required: the botocore version the models come from")
	}
	var models []pruned
	for _, name := range sortedKeys(operations) {
		data, err := os.ReadFile(filepath.Join(dir, name, "service-2.json"))
		if err != nil {
			return fmt.Errorf("reading the %s model: %w", name, err)
		}
		var m model
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("decoding the %s model: %w", name, err)
		}
		p, err := prune(name, m, operations[name])
		if err != nil {
			return err
		}
		models = append(models, p)
	}
	src, err := render(models, version)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

// pruned is the part of one service model the emulator validates against:
// the input shape of each implemented operation and every shape it reaches.
type pruned struct {
	name       string
	operations map[string]string // operation -> input shape ("" when none)
	shapes     map[string]shape
}

func prune(name string, m model, ops []string) (pruned, error) {
	p := pruned{name: name, operations: map[string]string{}, shapes: map[string]shape{}}
	var reach func(string) error
	reach = func(s string) error {
		if _, seen := p.shapes[s]; seen {
			return nil
		}
		sh, ok := m.Shapes[s]
		if !ok {
			return fmt.Errorf("%s names a shape %s it does not define", name, s)
		}
		p.shapes[s] = sh
		for _, mem := range sortedKeys(sh.Members) {
			if err := reach(sh.Members[mem].Shape); err != nil {
				return err
			}
		}
		if sh.Type == "list" && sh.Member != nil {
			return reach(sh.Member.Shape)
		}
		return nil
	}
	for _, op := range ops {
		o, ok := m.Operations[op]
		if !ok {
			return p, fmt.Errorf("%s has no operation %s", name, op)
		}
		p.operations[op] = ""
		if o.Input != nil {
			p.operations[op] = o.Input.Shape
			if err := reach(o.Input.Shape); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

var javaUnicode = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// goPattern turns a model pattern (Java syntax, matched against the whole
// value) into an anchored Go regular expression, or reports that RE2
// cannot express it (lookahead).
func goPattern(p string) (string, bool) {
	g := javaUnicode.ReplaceAllString(p, `\x{$1}`)
	g = strings.TrimSuffix(strings.TrimPrefix(g, "^"), "$")
	g = "^(?:" + g + ")$"
	if _, err := regexp.Compile(g); err != nil {
		return "", false
	}
	return g, true
}

func render(models []pruned, version string) ([]byte, error) {
	var b bytes.Buffer
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.name
	}
	fmt.Fprintf(&b, "// Code generated by genconstraints from botocore %s (%s); DO NOT EDIT.\n\n", version, strings.Join(names, ", "))
	b.WriteString("package idcemu\n\n")
	b.WriteString("// serviceModels are the parts of botocore's service models the emulator\n// validates requests against: the input shape of each operation it\n// implements and the shapes that input reaches, with their constraints.\n")
	b.WriteString("var serviceModels = []serviceModel{\n")
	for _, m := range models {
		fmt.Fprintf(&b, "\t{\n\t\tname: %q,\n\t\toperations: map[string]string{\n", m.name)
		for _, op := range sortedKeys(m.operations) {
			fmt.Fprintf(&b, "\t\t\t%q: %q,\n", op, m.operations[op])
		}
		b.WriteString("\t\t},\n\t\tshapes: map[string]modelShape{\n")
		for _, name := range sortedKeys(m.shapes) {
			fmt.Fprintf(&b, "\t\t\t%q: %s,", name, shapeLiteral(m.shapes[name]))
			if p := m.shapes[name].Pattern; p != nil {
				if _, ok := goPattern(*p); !ok {
					fmt.Fprintf(&b, " // pattern %q needs lookahead, which Go's regexp lacks; the handler checks it", *p)
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\t\t},\n\t},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// shapeLiteral writes one shape as a modelShape literal: only what the
// request validator checks (members and their required flags, list
// members, lengths and ranges, patterns Go can express, enums).
func shapeLiteral(s shape) string {
	fields := []string{fmt.Sprintf("kind: %q", s.Type)}
	if s.Min != nil {
		fields = append(fields, "min: ptrInt("+strconv.FormatFloat(*s.Min, 'f', -1, 64)+")")
	}
	if s.Max != nil {
		fields = append(fields, "max: ptrInt("+strconv.FormatFloat(*s.Max, 'f', -1, 64)+")")
	}
	if s.Pattern != nil {
		if re, ok := goPattern(*s.Pattern); ok {
			fields = append(fields, "pattern: "+goString(re))
		}
	}
	if len(s.Enum) > 0 {
		fields = append(fields, fmt.Sprintf("enum: %#v", s.Enum))
	}
	if s.Type == "structure" && len(s.Members) > 0 {
		var ms []string
		for _, name := range sortedKeys(s.Members) {
			ms = append(ms, fmt.Sprintf("{%q, %q, %t}", name, s.Members[name].Shape, slices.Contains(s.Required, name)))
		}
		fields = append(fields, "members: []modelMember{"+strings.Join(ms, ", ")+"}")
	}
	if s.Type == "list" && s.Member != nil {
		fields = append(fields, fmt.Sprintf("member: %q", s.Member.Shape))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// goString quotes s for Go source: a raw string when that keeps it
// readable (ASCII, no backquote), else an escaped one.
func goString(s string) string {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return strconv.Quote(s)
		}
	}
	if strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
