package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/schema"
)

// maxRequestBytes caps what is decoded: a request file is a few hundred
// bytes, an inline policy at most 32 KiB.
const maxRequestBytes = 256 << 10

// DecodeRequest decodes a request file already on main, status included.
// Files on main passed validation when they were merged, so this reads
// leniently; errors name the file and, from yaml, the line.
func DecodeRequest(path string, data []byte) (schema.Request, error) {
	var req schema.Request
	if len(data) > maxRequestBytes {
		return req, fmt.Errorf("%s: file is %d bytes, more than the %d a request may have", path, len(data), maxRequestBytes)
	}
	if err := yaml.Unmarshal(data, &req); err != nil {
		return schema.Request{}, fmt.Errorf("%s: %w", path, err)
	}
	if !bytes.Contains(data, []byte("inline_policy")) {
		return req, checkAccount(path, req)
	}
	// The schema keeps the inline policy as JSON, which yaml cannot fill in
	// by itself; the audit needs to know there is one.
	var extra struct {
		Custom *struct {
			Inline yaml.Node `yaml:"inline_policy"`
		} `yaml:"custom_permission_set"`
	}
	if err := yaml.Unmarshal(data, &extra); err != nil {
		return schema.Request{}, fmt.Errorf("%s: %w", path, err)
	}
	if extra.Custom != nil && req.CustomPermissionSet != nil && extra.Custom.Inline.Kind != 0 {
		policy, err := inlineJSON(&extra.Custom.Inline)
		if err != nil {
			return schema.Request{}, fmt.Errorf("%s:%d:%d: custom_permission_set.inline_policy: %w",
				path, extra.Custom.Inline.Line, extra.Custom.Inline.Column, err)
		}
		req.CustomPermissionSet.InlinePolicy = policy
	}
	return req, checkAccount(path, req)
}

func checkAccount(path string, req schema.Request) error {
	if req.Account == "" {
		return fmt.Errorf("%s: no account: this is not a request file", path)
	}
	return nil
}

// inlineJSON turns an inline policy written as YAML or as a JSON string into
// minified JSON.
func inlineJSON(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(n.Value)); err != nil {
			return "", fmt.Errorf("not valid JSON: %w", err)
		}
		return buf.String(), nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cannot be written as JSON: %w", err)
	}
	return string(b), nil
}
