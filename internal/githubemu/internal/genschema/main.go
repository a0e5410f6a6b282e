// Command genschema writes one response schema of GitHub's OpenAPI
// description (npm @octokit/openapi, generated/api.github.com.deref.json)
// as a JSON Schema file, for the emulator's tests to check its answers
// against: the schema of one operation's response of one status.
// OpenAPI 3.0's "nullable: true" becomes an anyOf with {"type": "null"}, as
// JSON Schema says it, so that a null GitHub documents validates. Run it
// through `go generate` in package githubemu with OCTOKIT_OPENAPI naming
// the unpacked package (`npm pack @octokit/openapi@VERSION`); tests and CI
// use the checked-in output.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	pkg := flag.String("openapi", "", "the unpacked @octokit/openapi package (its directory holding package.json)")
	op := flag.String("operation", "", "the operationId, e.g. repos/compare-commits")
	status := flag.String("status", "200", "the response status")
	out := flag.String("out", "", "the file to write")
	flag.Parse()
	if err := run(*pkg, *op, *status, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}

func run(pkg, opID, status, out string) error {
	if pkg == "" || opID == "" || out == "" {
		return fmt.Errorf("-openapi, -operation and -out are required")
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(pkg, "package.json"), &meta); err != nil {
		return err
	}
	const doc = "generated/api.github.com.deref.json"
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := readJSON(filepath.Join(pkg, doc), &spec); err != nil {
		return err
	}
	schema, where, err := find(spec.Paths, opID, status)
	if err != nil {
		return err
	}
	s := convert(schema).(map[string]any)
	s["$comment"] = fmt.Sprintf("Generated from @octokit/openapi %s (%s): the %s response schema of %s (operation %s), nullable as JSON Schema's null type. Regenerate it with internal/githubemu/internal/genschema; do not edit.", meta.Version, doc, status, where, opID)
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the OpenAPI package: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// find returns the JSON response schema of operation opID for status.
func find(paths map[string]map[string]json.RawMessage, opID, status string) (any, string, error) {
	for path, methods := range paths {
		for method, raw := range methods {
			var op struct {
				OperationID string `json:"operationId"`
				Responses   map[string]struct {
					Content map[string]struct {
						Schema any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil || op.OperationID != opID {
				continue
			}
			c, ok := op.Responses[status].Content["application/json"]
			if !ok || c.Schema == nil {
				return nil, "", fmt.Errorf("operation %s has no application/json response for status %s", opID, status)
			}
			return c.Schema, fmt.Sprintf("%s %s", upper(method), path), nil
		}
	}
	return nil, "", fmt.Errorf("no operation %s in the OpenAPI description", opID)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// convert rewrites a schema's nullable keyword, walking only the places that
// hold schemas (a property may itself be named "nullable").
func convert(v any) any {
	s, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range s {
		switch k {
		case "properties", "patternProperties":
			props := map[string]any{}
			for name, p := range x.(map[string]any) {
				props[name] = convert(p)
			}
			out[k] = props
		case "items", "additionalProperties", "not":
			out[k] = convert(x)
		case "allOf", "anyOf", "oneOf":
			list := []any{}
			for _, p := range x.([]any) {
				list = append(list, convert(p))
			}
			out[k] = list
		case "nullable":
		default:
			out[k] = x
		}
	}
	if n, _ := s["nullable"].(bool); n {
		return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, out}}
	}
	return out
}
