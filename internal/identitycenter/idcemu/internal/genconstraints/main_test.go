package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGoPattern(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`[\u0009\u000A\u0020-\u00FF]+`, `^(?:[\x{0009}\x{000A}\x{0020}-\x{00FF}]+)$`, true},
		{`^\d{12}$`, `^(?:\d{12})$`, true},
		{`^(-?)P(?=\d|T\d)(?:(\d+)Y)?$`, "", false},
	} {
		got, ok := goPattern(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("goPattern(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestWalkNestedStructuresAndLists(t *testing.T) {
	var m model
	if err := json.Unmarshal([]byte(`{"shapes": {
		"In": {"type": "structure", "required": ["Name"], "members": {"Name": {"shape": "Name"}, "Tags": {"shape": "TagList"}, "Max": {"shape": "Max"}, "Kind": {"shape": "Kind"}}},
		"Name": {"type": "string", "min": 1, "max": 32, "pattern": "[\\w]+"},
		"TagList": {"type": "list", "member": {"shape": "Tag"}, "max": 75},
		"Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "Name"}}},
		"Max": {"type": "integer", "min": 1, "max": 100},
		"Kind": {"type": "string", "enum": ["USER", "GROUP"]}
	}}`), &m); err != nil {
		t.Fatal(err)
	}
	var got []constraint
	walk(m, "In", "", false, 0, &got)
	want := []constraint{
		{Path: "Kind", Kind: "string", Enum: []string{"USER", "GROUP"}},
		{Path: "Max", Kind: "integer", Min: "1", Max: "100"},
		{Path: "Name", Required: true, Kind: "string", Min: "1", Max: "32", Pattern: `^(?:[\w]+)$`},
		{Path: "Tags", Kind: "list", Max: "75"},
		{Path: "Tags[]", Kind: "structure"},
		{Path: "Tags[].Key", Required: true, Kind: "string", Min: "1", Max: "32", Pattern: `^(?:[\w]+)$`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constraints (-want +got):\n%s", diff)
	}
}
