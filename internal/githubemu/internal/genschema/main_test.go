package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The response schema of one operation is written with OpenAPI's nullable
// turned into JSON Schema's null type, wherever a schema is, and only there:
// a property named "nullable" stays a property.
func TestRun(t *testing.T) {
	pkg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(pkg, "generated"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"name": "@octokit/openapi", "version": "1.2.3"}`)
	write("generated/api.github.com.deref.json", `{"paths": {
		"/things/{id}": {
			"parameters": [],
			"get": {"operationId": "things/get", "responses": {
				"200": {"content": {"application/json": {"schema": {
					"type": "object", "required": ["author", "nullable"],
					"properties": {
						"author": {"nullable": true, "allOf": [{"type": "object", "properties": {"login": {"type": "string"}}}]},
						"nullable": {"type": "boolean"},
						"items": {"type": "array", "items": {"type": "string", "nullable": true}}
					}
				}}}},
				"404": {"description": "not found"}
			}}
		}
	}}`)
	out := filepath.Join(t.TempDir(), "schema.json")
	if err := run(pkg, "things/get", "200", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["$comment"] != "Generated from @octokit/openapi 1.2.3 (generated/api.github.com.deref.json): the 200 response schema of GET /things/{id} (operation things/get), nullable as JSON Schema's null type. Regenerate it with internal/githubemu/internal/genschema; do not edit." {
		t.Errorf("comment %q", got["$comment"])
	}
	delete(got, "$comment")
	var want map[string]any
	json.Unmarshal([]byte(`{
		"type": "object", "required": ["author", "nullable"],
		"properties": {
			"author": {"anyOf": [{"type": "null"}, {"allOf": [{"type": "object", "properties": {"login": {"type": "string"}}}]}]},
			"nullable": {"type": "boolean"},
			"items": {"type": "array", "items": {"anyOf": [{"type": "null"}, {"type": "string"}]}}
		}
	}`), &want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("schema (-want +got):\n%s", d)
	}

	for _, op := range []struct{ id, status string }{{"things/list", "200"}, {"things/get", "404"}} {
		if err := run(pkg, op.id, op.status, out); err == nil {
			t.Errorf("%s %s: no error", op.id, op.status)
		}
	}
}
