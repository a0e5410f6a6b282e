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

// The generated data keeps every shape an operation's input reaches
// (through structure members and list members, however deep) and nothing
// else, with what the request validator checks.
func TestPruneKeepsWhatInputsReach(t *testing.T) {
	var m model
	if err := json.Unmarshal([]byte(`{"operations": {"Op": {"input": {"shape": "In"}}, "Other": {"input": {"shape": "Unused"}}},
	"shapes": {
		"In": {"type": "structure", "required": ["Name"], "members": {"Name": {"shape": "Name"}, "Tags": {"shape": "TagList"}, "Max": {"shape": "Max"}, "Kind": {"shape": "Kind"}}},
		"Name": {"type": "string", "min": 1, "max": 32, "pattern": "[\\w]+"},
		"TagList": {"type": "list", "member": {"shape": "Tag"}, "max": 75},
		"Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "Name"}}},
		"Max": {"type": "integer", "min": 1, "max": 100},
		"Kind": {"type": "string", "enum": ["USER", "GROUP"]},
		"Unused": {"type": "structure"}
	}}`), &m); err != nil {
		t.Fatal(err)
	}
	p, err := prune("svc/2020-01-01", m, []string{"Op"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name, s := range p.shapes {
		got[name] = shapeLiteral(s)
	}
	want := map[string]string{
		"In":      `{kind: "structure", members: []modelMember{{"Kind", "Kind", false}, {"Max", "Max", false}, {"Name", "Name", true}, {"Tags", "TagList", false}}}`,
		"Kind":    `{kind: "string", enum: []string{"USER", "GROUP"}}`,
		"Max":     `{kind: "integer", min: ptrInt(1), max: ptrInt(100)}`,
		"Name":    "{kind: \"string\", min: ptrInt(1), max: ptrInt(32), pattern: `^(?:[\\w]+)$`}",
		"TagList": `{kind: "list", max: ptrInt(75), member: "Tag"}`,
		"Tag":     `{kind: "structure", members: []modelMember{{"Key", "Name", true}}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shapes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"Op": "In"}, p.operations); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if _, err := prune("svc/2020-01-01", m, []string{"Missing"}); err == nil {
		t.Error("prune of an operation the model lacks: no error")
	}
}
