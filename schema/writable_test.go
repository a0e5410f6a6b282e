package schema

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/yamldoc"
)

// appendsAtEnd lets checkWritable skip its trial status block; it must
// never say so of a file the trial refuses. Every file here, hand-written
// and generated from the YAML a request can hold (block scalars of every
// chomping, values continued on further lines, nested blocks, flow
// collections, comments and blank lines anywhere, CRLF, no final newline),
// for which appendsAtEnd holds must take the probe's status block.
func TestAppendsAtEndImpliesTheTrial(t *testing.T) {
	files := []string{
		"account: a\nduration: 1h\n",
		"account: a\nduration: 1h",
		"account: a\r\nduration: 1h\r\n",
		"# yaml-language-server: $schema=x\naccount: a\n\n# trailing\n",
		"account: a\njustification: |\n  one\n  two\n",
		"account: a\njustification: |+\n  one\n\n\n",
		"account: a\njustification: >-\n  one\n  two\n\n",
		"account: a\njustification: long\n  plain text\n",
		"account: a\njustification: \"quoted\n  over lines\"\n",
		"account: a\ntags: [a,\n  b]\n",
		"account: a\ntags:\n- a\n- b\n",
		"account: a\nextends:\n",
		"account: a\n...\n",
		"---\naccount: a\n",
		"  account: a\n  duration: 1h\n",
		"account: a\nstatus:\n  state: active\n",
		"account: a\njustification: x\n\t# tab\n",
	}
	values := []string{
		"x", "\"a b\"", "'c d'", "x # note", "", "[a, b]", "{a: b}", "[a,\n  b]",
		"long\n  plain", "\"two\n  lines\"", "|\n  one\n  two", "|-\n  one", "|+\n  one\n",
		">\n  folded\n  text", ">+\n  kept\n\n", "|2\n   indented", "\n  a: b\n  c:\n    - d",
		"\n  - a\n  - b", "\n- a\n- b", "|\n  text\n# margin comment inside", "x\n# after",
	}
	rng := rand.New(rand.NewPCG(15, 2026))
	for range 3000 {
		var b strings.Builder
		if rng.IntN(3) == 0 {
			b.WriteString("# header\n")
		}
		for k := range 1 + rng.IntN(5) {
			fmt.Fprintf(&b, "key%d: %s\n", k, values[rng.IntN(len(values))])
			switch rng.IntN(5) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("# comment\n")
			case 2:
				b.WriteString("    # indented comment\n")
			}
		}
		text := b.String()
		if rng.IntN(4) == 0 {
			text = strings.TrimRight(text, "\n")
		}
		if rng.IntN(5) == 0 {
			text = strings.ReplaceAll(text, "\n", "\r\n")
		}
		files = append(files, text)
	}
	held, took := 0, 0
	for _, f := range files {
		_, root, err := yamldoc.Mapping([]byte(f), "the file")
		if err != nil {
			continue // not YAML: ParseRequest refuses it before checkWritable
		}
		if !appendsAtEnd([]byte(f), root) {
			continue
		}
		held++
		if _, err := SetStatus([]byte(f), probe); err != nil {
			t.Errorf("appendsAtEnd holds, but the trial fails (%v) for:\n%s", err, f)
			continue
		}
		took++
	}
	// The generated files cover both answers.
	if held < 500 || held == len(files) {
		t.Errorf("appendsAtEnd held for %d of %d files; the corpus does not exercise it", held, len(files))
	}
	t.Logf("appendsAtEnd held for %d of %d files, and the trial took all %d", held, len(files), took)
}

// The cases appendsAtEnd leaves to the trial.
func TestAppendsAtEndLeavesTheRestToTheTrial(t *testing.T) {
	for _, f := range []string{
		"account: a\n...\n",
		"  account: a\n",
		"\"account\": a\n",
		"account: a\nstatus:\n  state: active\n",
		"account: a\ntags:\n- a\n",
		"account: a\njustification: |+\n  kept\n\n",
		"account: a\nextra:\n  note: >\n    folded\n",
		"{account: a}\n",
	} {
		_, root, err := yamldoc.Mapping([]byte(f), "the file")
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		if appendsAtEnd([]byte(f), root) {
			t.Errorf("appendsAtEnd holds for %q", f)
		}
	}
}
