package yamldoc

import (
	"strings"
	"testing"
)

func TestMapping(t *testing.T) {
	doc, root, err := Mapping([]byte("# kept\na: 1\nb: [x]\n"), "the config")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Content[0] != root || len(root.Content) != 4 || root.Content[0].Value != "a" || root.Content[2].Value != "b" {
		t.Errorf("root = %+v in %+v", root, doc)
	}
	if root.Content[0].HeadComment != "# kept" {
		t.Errorf("the comment is lost: %+v", root.Content[0])
	}
}

func TestMappingRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{in: "a: [", want: "reading the config: yaml:"},
		{in: "- a\n", want: "the config is not a YAML mapping"},
		{in: "", want: "the config is not a YAML mapping"},
		{in: "just x", want: "the config is not a YAML mapping"},
	} {
		if _, _, err := Mapping([]byte(tc.in), "the config"); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Mapping(%q) = %v, want an error starting %q", tc.in, err, tc.want)
		}
	}
}
