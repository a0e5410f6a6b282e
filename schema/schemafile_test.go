package schema

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSchemasDescribeEveryProperty keeps editors helpful: the YAML language
// server shows a property's description and offers its examples.
func TestSchemasDescribeEveryProperty(t *testing.T) {
	for name, data := range map[string][]byte{"request": RequestSchemaJSON(), "config": ConfigSchemaJSON()} {
		var root map[string]any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatalf("%s schema: %v", name, err)
		}
		if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s schema: $schema = %v, want draft 2020-12", name, root["$schema"])
		}
		var walk func(path string, s map[string]any)
		walk = func(path string, s map[string]any) {
			props, _ := s["properties"].(map[string]any)
			for k, v := range props {
				p, _ := v.(map[string]any)
				if d, _ := p["description"].(string); d == "" {
					t.Errorf("%s schema: %s.%s has no description", name, path, k)
				}
				if ex, _ := p["examples"].([]any); len(ex) == 0 {
					t.Errorf("%s schema: %s.%s has no examples", name, path, k)
				}
				walk(path+"."+k, p)
			}
			for _, sub := range []string{"items", "additionalProperties"} {
				if p, ok := s[sub].(map[string]any); ok {
					walk(path+"[]", p)
				}
			}
		}
		walk(name, root)
	}
}

// TestSchemaDurationsMatchGo keeps the two spellings of the allowed access
// durations, the schema's enum (for editors) and ParseDuration, the same.
func TestSchemaDurationsMatchGo(t *testing.T) {
	want := fmt.Sprint(DurationNames())
	rs, err := requestSchema()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := configSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []struct {
		cs  *compiledSchema
		ptr string
	}{
		{rs, "#/properties/duration/enum"},
		{rs, "#/properties/status/properties/duration/enum"},
		{cs, "#/properties/accounts/items/properties/max_duration/enum"},
		{cs, "#/properties/permission_sets/items/properties/max_duration/enum"},
	} {
		if diff := cmp.Diff(want, fmt.Sprint(at.cs.at(at.ptr))); diff != "" {
			t.Errorf("%s (-DurationNames +schema):\n%s", at.ptr, diff)
		}
	}
}
