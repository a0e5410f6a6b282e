package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// How a request file is written: jit new and the request page (its script,
// internal/catalog/page/request.js, follows these rules line for line, and
// a test holds the two to the same bytes) write the same file for the same
// answers, so the file an approver reads does not depend on the tool.

// RequestSchemaComment is the first line of a request file, without its
// "# ": it points the YAML language server at the schema, from
// requests/<account>/.
const RequestSchemaComment = "yaml-language-server: $schema=../../schema/request.schema.json"

// Draft is a request as a person fills it in: jit new's flags, the request
// page's form. The JSON names are the file's keys, which is also how the
// page's script takes it.
type Draft struct {
	Account       string       `json:"account"`
	PermissionSet string       `json:"permission_set,omitempty"`
	Custom        *DraftCustom `json:"custom_permission_set,omitempty"`
	Duration      string       `json:"duration"`
	Justification string       `json:"justification"`
	Emergency     bool         `json:"emergency,omitempty"`
	StartAt       string       `json:"start_at,omitempty"`
	// Extends is the path of the grant's request file the request extends.
	Extends string `json:"extends,omitempty"`
}

// DraftCustom is a custom permission set being defined.
type DraftCustom struct {
	Name            string   `json:"name"`
	SessionDuration string   `json:"session_duration"`
	ManagedPolicies []string `json:"managed_policies,omitempty"`
	// InlinePolicy is the policy document as JSON text; it is written as a
	// block the approvers read line by line, as it was given.
	InlinePolicy string `json:"inline_policy,omitempty"`
}

// RenderRequest writes d as a request file: the schema comment (comment,
// or RequestSchemaComment when empty), then the fields in the order the
// README shows them. Values that YAML would read as another type, or that
// hold anything but a name's characters, are double-quoted.
func RenderRequest(d Draft, comment string) []byte {
	if comment == "" {
		comment = RequestSchemaComment
	}
	var b strings.Builder
	line := func(indent, key, value string) {
		fmt.Fprintf(&b, "%s%s: %s\n", indent, key, scalar(value))
	}
	b.WriteString("# " + comment + "\n")
	line("", "account", d.Account)
	if c := d.Custom; c != nil {
		b.WriteString("custom_permission_set:\n")
		line("  ", "name", c.Name)
		line("  ", "session_duration", c.SessionDuration)
		if len(c.ManagedPolicies) > 0 {
			b.WriteString("  managed_policies:\n")
			for _, p := range c.ManagedPolicies {
				b.WriteString("    - " + scalar(p) + "\n")
			}
		}
		if policy := trimText(c.InlinePolicy); policy != "" {
			b.WriteString("  inline_policy: |\n")
			for _, l := range strings.Split(strings.ReplaceAll(policy, "\r\n", "\n"), "\n") {
				if l = strings.TrimRight(l, " \t\r"); l != "" {
					b.WriteString("    " + l)
				}
				b.WriteString("\n")
			}
		}
	} else {
		line("", "permission_set", d.PermissionSet)
	}
	if d.Extends != "" {
		line("", "extends", d.Extends)
	}
	line("", "duration", d.Duration)
	line("", "justification", trimText(d.Justification))
	if d.Emergency {
		b.WriteString("emergency: true\n")
	}
	if d.StartAt != "" {
		line("", "start_at", d.StartAt)
	}
	return []byte(b.String())
}

// trimText trims the white space a form or a flag leaves around a value.
func trimText(s string) string { return strings.Trim(s, " \t\r\n") }

var (
	// plainName is a value written without quotes: a name, a policy path,
	// a duration ("4h", "1mo").
	plainName = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9._/+=,@-]*|[0-9]+[a-z]+)$`)
	// yamlWord is what YAML 1.1 or 1.2 reads as a boolean or null.
	yamlWord = regexp.MustCompile(`(?i)^(?:y|yes|n|no|true|false|on|off|null)$`)
)

// scalar writes s plain when it is a name YAML reads as that string, and
// double-quoted otherwise: JSON's escapes, which YAML shares, plus \u for
// the characters YAML does not allow raw.
func scalar(s string) string {
	if plainName.MatchString(s) && !yamlWord.MatchString(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || 0x7f <= r && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// RequestSlug is the file name a request gets from its justification when
// none is given: its first words, lower case, joined by hyphens, whole
// words only, at most 40 characters.
func RequestSlug(justification string) string {
	words := strings.FieldsFunc(justification, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > 40 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strings.ToLower(w))
	}
	if b.Len() == 0 {
		return "request"
	}
	return b.String()[:min(b.Len(), 40)]
}

// RequestBranch is the branch a request's pull request comes from.
func RequestBranch(account, name string) string {
	return "jit/" + account + "/" + name
}
