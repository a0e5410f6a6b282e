package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// The request file jit new writes: its YAML and its name.

// schemaComment is the first line of every request file: it points the YAML
// language server at the schema, from requests/<account>/.
const schemaComment = "yaml-language-server: $schema=../../schema/request.schema.json"

// requestSchemaComment is schemaComment for a repository that carries the
// schemas; a repository written by jit init has none, and its config's first
// line names the released config schema, whose sibling is the request schema.
func requestSchemaComment(repo string) string {
	if _, err := os.Stat(filepath.Join(repo, "schema", "request.schema.json")); err == nil {
		return schemaComment
	}
	b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(configPath)))
	if err != nil {
		return schemaComment
	}
	first, _, _ := strings.Cut(string(b), "\n")
	const prefix = "# yaml-language-server: $schema="
	if url, ok := strings.CutPrefix(strings.TrimSpace(first), prefix); ok && strings.HasPrefix(url, "https://") && strings.HasSuffix(url, "/config.schema.json") {
		return "yaml-language-server: $schema=" + strings.TrimSuffix(url, "config.schema.json") + "request.schema.json"
	}
	return schemaComment
}

// render writes the request as YAML: the schema comment, then the fields in
// the order the design shows them. yaml.v3 quotes every string that would
// otherwise read as another type (an all-digit account id, "yes").
func (o *newOptions) render(policy *yaml.Node) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		root.Content = append(root.Content, str(key), value)
	}
	add("account", str(o.account))
	if o.custom == "" {
		add("permission_set", str(o.permissionSet))
	} else {
		custom := &yaml.Node{Kind: yaml.MappingNode}
		custom.Content = append(custom.Content,
			str("name"), str(o.custom),
			str("session_duration"), str(o.sessionDuration))
		if len(o.managedPolicies) > 0 {
			list := &yaml.Node{Kind: yaml.SequenceNode}
			for _, p := range o.managedPolicies {
				list.Content = append(list.Content, str(p))
			}
			custom.Content = append(custom.Content, str("managed_policies"), list)
		}
		if policy != nil {
			custom.Content = append(custom.Content, str("inline_policy"), policy)
		}
		add("custom_permission_set", custom)
	}
	add("duration", str(o.duration))
	add("justification", str(strings.TrimSpace(o.justification)))
	if o.emergency {
		add("emergency", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if o.startAt != "" {
		add("start_at", str(o.startAt))
	}

	// On the first key, the comment is the file's first line with no blank
	// line after it, as editors expect it.
	root.Content[0].HeadComment = requestSchemaComment(o.repo)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the request as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the request as YAML: %w", err)
	}
	return []byte(b.String()), nil
}

func str(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

// readPolicyFile reads an IAM policy document from JSON or YAML (JSON is
// YAML) and returns it as a block-style mapping for the request file.
func readPolicyFile(file string) (*yaml.Node, error) {
	data, err := readRegularFile(file, maxRequestRead)
	if err != nil {
		return nil, fmt.Errorf("reading --inline-policy: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("--inline-policy %s is not a JSON or YAML document: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("--inline-policy %s must hold one policy object with Version and Statement", file)
	}
	blockStyle(doc.Content[0])
	return doc.Content[0], nil
}

// blockStyle turns JSON's flow collections and quoted strings into plain
// YAML, which reads better in a review; the encoder still quotes any string
// that would otherwise read as another type.
func blockStyle(n *yaml.Node) {
	switch {
	case n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode:
		n.Style &^= yaml.FlowStyle
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !strings.Contains(n.Value, "\n"):
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// slug derives a file name from the first words of the justification,
// whole words only, at most 40 characters.
func slug(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > 40 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return "request"
	}
	return b.String()[:min(b.Len(), 40)]
}
