package schema

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestParseRequestRejectsUnsafeYAML(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []Finding
	}{
		{
			name: "larger than the cap",
			data: "account: x\njustification: " + strings.Repeat("x", MaxRequestBytes-26+1),
			want: []Finding{e(1, 1, "the request file is 65537 bytes, more than the 65536 bytes allowed", "a request file is a short YAML file; check that this is the right file")},
		},
		{
			name: "NUL byte",
			data: "account: pay\x00ments\n",
			want: []Finding{e(1, 13, "the request file contains a NUL byte: it is binary, not YAML text", "save the request file as UTF-8 text")},
		},
		{
			name: "not UTF-8",
			data: "account: x\njustification: caf\xe9\n",
			want: []Finding{e(2, 19, "the request file is not valid UTF-8 (byte 0xe9)", "save the request file as UTF-8 text")},
		},
		{
			name: "empty",
			data: "# nothing here\n",
			want: []Finding{e(1, 1, "the request file is empty", "write the keys the schema asks for, e.g. account: and duration:")},
		},
		{
			name: "YAML syntax error",
			data: "account: payments-prod\nduration: 4h\n  permission_set: x\n",
			want: []Finding{e(3, 1, "invalid YAML: mapping values are not allowed in this context", yamlSyntaxFix)},
		},
		{
			name: "two documents",
			data: "account: a\n---\naccount: b\n",
			want: []Finding{e(2, 1, "the request file holds more than one YAML document", `remove the "---" separator and everything after it: one file is one document`)},
		},
		{
			name: "top level is a list",
			data: "- account: a\n",
			want: []Finding{e(1, 1, "the top level of the request file must be a mapping of keys to values, not a list", `write one key per line, e.g. "account: payments-prod"`)},
		},
		{
			name: "top level is a string",
			data: "hello\n",
			want: []Finding{e(1, 1, "the top level of the request file must be a mapping of keys to values, not a string", `write one key per line, e.g. "account: payments-prod"`)},
		},
		{
			name: "anchor and alias",
			data: "account: &acct payments-prod\njustification: *acct\n",
			want: []Finding{
				e(1, 10, "anchors (&acct) are not allowed", "remove the anchor and write values out in full"),
				e(2, 16, "aliases (*acct) are not allowed", "write the value out in full instead of referring to an anchor"),
			},
		},
		{
			name: "merge key",
			data: "account: a\n<<: {duration: 4h}\n",
			want: []Finding{e(2, 1, "merge keys (<<) are not allowed", "write every key out in full")},
		},
		{
			name: "duplicate key",
			data: "account: a\nduration: 4h\naccount: b\n",
			want: []Finding{e(3, 1, `duplicate key "account" (first set on line 1)`, "keep only one of them")},
		},
		{
			name: "duplicate nested key",
			data: "custom_permission_set:\n  name: a\n  name: b\n",
			want: []Finding{e(3, 3, `duplicate key "name" (first set on line 2)`, "keep only one of them")},
		},
		{
			name: "custom tag",
			data: "account: !!binary cGF5bWVudHM=\n",
			want: []Finding{e(1, 10, "the YAML tag !!binary is not allowed", "remove the tag; write plain strings, numbers, lists and mappings")},
		},
		{
			name: "complex key",
			data: "? [a, b]\n: c\n",
			want: []Finding{e(1, 3, "keys must be plain words, not a list", `write the key as text, e.g. "name:"`)},
		},
		{
			name: "billion laughs",
			data: billionLaughs,
			want: func() []Finding {
				var fs []Finding
				for i, c := range "abcdefghi" {
					fs = append(fs, e(i+1, 4, "anchors (&"+string(c)+") are not allowed", "remove the anchor and write values out in full"))
					if i == 0 {
						continue
					}
					for j := range 9 {
						if len(fs) < maxSafetyFindings {
							fs = append(fs, e(i+1, 8+3*j, "aliases (*"+string("abcdefghi"[i-1])+") are not allowed", "write the value out in full instead of referring to an anchor"))
						}
					}
				}
				fs = append(fs[:maxSafetyFindings], e(3, 32, "too many problems; stopped here", "fix the ones above first"))
				return fs
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, got := ParseRequest(testPath, []byte(tt.data))
			if f != nil {
				t.Errorf("ParseRequest returned a file for unsafe input")
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostileInputsFailFast feeds inputs meant to exhaust time or memory;
// each must be refused with a clear error. Their speed is measured by
// BenchmarkHostileInputs.
func TestHostileInputsFailFast(t *testing.T) {
	for name, data := range hostileInputs() {
		f, fs := ParseRequest(testPath, data)
		if f != nil || !HasErrors(fs) {
			t.Errorf("%s: got file %v, findings %v; want an error", name, f, fs)
			continue
		}
		if fs[0].Message == "" || fs[0].Line < 1 {
			t.Errorf("%s: unclear finding %+v", name, fs[0])
		}
	}
}

func hostileInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	smallRandom := random[:4000]
	deep := strings.Repeat("[", 20000)
	return map[string][]byte{
		"10 MB":               bytes.Repeat([]byte("justification: xxxxxxxxxxxxxxxxxxxxx\n"), 10<<20/38),
		"billion laughs":      []byte(billionLaughs),
		"1 MiB random bytes":  random,
		"4 KB random bytes":   smallRandom,
		"deep nesting":        []byte("a: " + deep + "\n"),
		"many aliases":        []byte("a: &a x\nb: [" + strings.Repeat("*a, ", 16000) + "*a]\n"),
		"long plain scalar":   []byte("account: " + strings.Repeat("y", MaxRequestBytes-20) + "\n"),
		"many keys in a list": []byte("x: [" + strings.Repeat("{a: 1}, ", 8000) + "]\n"),
	}
}

func BenchmarkHostileInputs(b *testing.B) {
	for name, data := range hostileInputs() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				ParseRequest(testPath, data)
			}
		})
	}
}
