package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/iampolicy"
	"github.com/jit-access/jit/schema"
)

// What jit new reads to write the request file; schema.RenderRequest
// writes it, as it does for the request page.

// requestSchemaComment is schema.RequestSchemaComment for a repository that
// carries the schemas; a repository written by jit init has none, and its
// config's first line names the released config schema, whose sibling is
// the request schema.
func requestSchemaComment(repo string) string {
	if _, err := os.Stat(filepath.Join(repo, "schema", "request.schema.json")); err == nil {
		return schema.RequestSchemaComment
	}
	b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(configPath)))
	if err != nil {
		return schema.RequestSchemaComment
	}
	first, _, _ := strings.Cut(string(b), "\n")
	const prefix = "# yaml-language-server: $schema="
	if url, ok := strings.CutPrefix(strings.TrimSpace(first), prefix); ok && strings.HasPrefix(url, "https://") && strings.HasSuffix(url, "/config.schema.json") {
		return "yaml-language-server: $schema=" + strings.TrimSuffix(url, "config.schema.json") + "request.schema.json"
	}
	return schema.RequestSchemaComment
}

// draft is the request the flags describe; policy is the inline policy as
// JSON text, or "".
func (o *newOptions) draft(policy string) schema.Draft {
	d := schema.Draft{Account: o.account, PermissionSet: o.permissionSet, Duration: o.duration,
		Justification: o.justification, Emergency: o.emergency, StartAt: o.startAt, Extends: o.extends}
	if o.custom != "" {
		d.PermissionSet = ""
		d.Custom = &schema.DraftCustom{Name: o.custom, SessionDuration: o.sessionDuration,
			ManagedPolicies: o.managedPolicies, InlinePolicy: policy}
	}
	return d
}

// readPolicyFile reads an IAM policy document from JSON or YAML (JSON is
// YAML) and returns it as indented JSON in its one reading
// (iampolicy.Canonical): what the approvers read is what AWS gets.
func readPolicyFile(file string) (string, error) {
	data, err := readRegularFile(file, maxRequestRead)
	if err != nil {
		return "", fmt.Errorf("reading --inline-policy: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("--inline-policy %s is not a JSON or YAML document: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return "", fmt.Errorf("--inline-policy %s must hold one policy object with Version and Statement", file)
	}
	canonical, err := iampolicy.Canonical(doc.Content[0])
	if pe, ok := errors.AsType[*iampolicy.PositionError](err); ok && pe.Line > 0 {
		return "", fmt.Errorf("--inline-policy %s:%d:%d: %s", file, pe.Line, pe.Col, pe.Msg)
	}
	if err != nil {
		return "", fmt.Errorf("--inline-policy %s: %w", file, err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, canonical, "", "  "); err != nil {
		return "", fmt.Errorf("--inline-policy %s: %w", file, err)
	}
	return indented.String(), nil
}
