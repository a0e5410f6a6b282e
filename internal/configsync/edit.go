package configsync

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/yamldoc"
)

// Apply edits the config's YAML (src) by d through yaml.v3's node tree, so
// the admins' comments and every setting sync does not own stay as they are.
func Apply(src []byte, d Diff) ([]byte, error) {
	doc, root, err := yamldoc.Mapping(src, "the config")
	if err != nil {
		return nil, err
	}
	accounts := field(root, "accounts")
	if accounts == nil || accounts.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("the config has no accounts: list")
	}
	sets := field(root, "permission_sets")
	if sets == nil && (len(d.NewSets) > 0 || len(d.GoneSets) > 0) {
		sets = &yaml.Node{Kind: yaml.SequenceNode}
		root.Content = append(root.Content, scalar("permission_sets"), sets)
	}
	if sets != nil && sets.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("the config's permission_sets is not a list")
	}

	goneAccounts := map[string]bool{}
	for _, g := range d.GoneAccounts {
		goneAccounts[g.ID] = true
	}
	accounts.Content = keep(accounts.Content, func(n *yaml.Node) bool { return !goneAccounts[value(field(n, "id"))] })
	for _, a := range d.NewAccounts {
		ps := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		key := scalar("permission_sets")
		key.HeadComment = "# " + a.Path + "\n# An SSO admin decides which permission sets this account offers."
		m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			scalar("name"), scalar(a.Name),
			scalar("id"), {Kind: yaml.ScalarNode, Tag: "!!str", Value: a.ID, Style: yaml.DoubleQuotedStyle},
		}}
		if a.Management {
			mk := scalar("management_account")
			mk.HeadComment = "# The organisation's management account: requests for it are refused\n# unless allow_management_account is true (see jit's README)."
			m.Content = append(m.Content, mk, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		m.Content = append(m.Content, key, ps)
		accounts.Content = append(accounts.Content, m)
	}

	if sets != nil {
		goneSets := map[string]bool{}
		goneNames := map[string]bool{}
		for _, g := range d.GoneSets {
			goneSets[g.ID] = true
			goneNames[g.Name] = true
		}
		sets.Content = keep(sets.Content, func(n *yaml.Node) bool { return !goneSets[value(field(n, "arn"))] })
		for _, ps := range d.NewSets {
			sets.Content = append(sets.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				scalar("name"), scalar(ps.Name),
				scalar("arn"), {Kind: yaml.ScalarNode, Tag: "!!str", Value: ps.ARN, Style: yaml.DoubleQuotedStyle},
			}})
		}
		if len(goneNames) > 0 {
			for _, holder := range append(append([]*yaml.Node{}, accounts.Content...), sets.Content...) {
				dropNames(holder, goneNames)
			}
		}
	}

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the config: %w", err)
	}
	return keepBlankLines(src, root, out.Bytes()), nil
}

// keepBlankLines puts back the blank line before each top-level setting
// (and its comment) that had one in src: yaml.v3 drops blank lines, and the
// admins' pull request should show only what sync changed.
func keepBlankLines(src []byte, root *yaml.Node, out []byte) []byte {
	orig := strings.Split(string(src), "\n")
	blank := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Line < 1 || k.Line > len(orig) {
			continue
		}
		top := k.Line - 1 // 0-based index of the key's line
		for top > 0 && strings.HasPrefix(strings.TrimSpace(orig[top-1]), "#") {
			top--
		}
		if top > 0 && strings.TrimSpace(orig[top-1]) == "" {
			blank[k.Value] = true
		}
	}
	lines := strings.Split(string(out), "\n")
	var res []string
	for _, l := range lines {
		if key, _, ok := strings.Cut(l, ":"); ok && key != "" && !strings.ContainsAny(key[:1], " \t#-") && blank[key] {
			// Step back over the key's comment lines already copied.
			j := len(res)
			for j > 0 && strings.HasPrefix(res[j-1], "#") {
				j--
			}
			if j > 0 && res[j-1] != "" {
				res = append(res[:j], append([]string{""}, res[j:]...)...)
			}
		}
		res = append(res, l)
	}
	return []byte(strings.Join(res, "\n"))
}

// dropNames takes the removed permission sets out of an account's (or a
// set's) lists: its permission_sets, and its auto-approval rules'. A rule
// left naming no set is dropped whole, because without that condition it
// would approve more than the admins wrote.
func dropNames(holder *yaml.Node, gone map[string]bool) {
	if holder.Kind != yaml.MappingNode {
		return
	}
	notGone := func(n *yaml.Node) bool { return !gone[n.Value] }
	if ps := field(holder, "permission_sets"); ps != nil && ps.Kind == yaml.SequenceNode {
		ps.Content = keep(ps.Content, notGone)
	}
	rules := field(holder, "auto_approve")
	if rules == nil || rules.Kind != yaml.SequenceNode {
		return
	}
	rules.Content = keep(rules.Content, func(rule *yaml.Node) bool {
		ps := field(rule, "permission_sets")
		if ps == nil || ps.Kind != yaml.SequenceNode {
			return true
		}
		ps.Content = keep(ps.Content, notGone)
		return len(ps.Content) > 0
	})
	if len(rules.Content) == 0 {
		// auto_approve needs at least one rule: without any, it goes.
		for i := 0; i+1 < len(holder.Content); i += 2 {
			if holder.Content[i].Value == "auto_approve" {
				holder.Content = append(holder.Content[:i], holder.Content[i+2:]...)
				break
			}
		}
	}
}

// field is the value of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func value(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func keep(nodes []*yaml.Node, ok func(*yaml.Node) bool) []*yaml.Node {
	out := nodes[:0:0]
	for _, n := range nodes {
		if ok(n) {
			out = append(out, n)
		}
	}
	return out
}
