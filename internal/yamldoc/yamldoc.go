// Package yamldoc reads a YAML file whose top level is a mapping into
// yaml.v3's node tree, for the edits that keep the file's comments, key
// order and quoting: the status the reconcile writes into a request file,
// and jit sync's edit of the config.
package yamldoc

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Mapping parses data as one YAML document whose top level is a mapping.
// It returns the document node, to encode the file again, and the mapping.
// what names the file in errors ("the config").
func Mapping(data []byte, what string) (doc, root *yaml.Node, err error) {
	doc = &yaml.Node{}
	if err := yaml.Unmarshal(data, doc); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s is not a YAML mapping", what)
	}
	return doc, doc.Content[0], nil
}
