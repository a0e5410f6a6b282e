package owners

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const path = ".github/CODEOWNERS"

func TestOwners(t *testing.T) {
	tests := []struct {
		name  string
		rules string
		file  string
		want  []string
	}{
		{"anchored directory", "/requests/payments-prod/ @acme/payments-leads\n", "requests/payments-prod/alice.yaml", []string{"@acme/payments-leads"}},
		{"anchored directory does not match a sibling with the same prefix", "/requests/payments-prod/ @acme/payments-leads\n", "requests/payments-prod-eu/alice.yaml", nil},
		{"anchored directory does not match the same name deeper down", "/requests/payments-prod/ @acme/payments-leads\n", "other/requests/payments-prod/alice.yaml", nil},
		{"anchored path without trailing slash matches the directory's files", "/requests/payments-prod @pay\n", "requests/payments-prod/alice.yaml", []string{"@pay"}},
		{"path with a slash inside is anchored to the root", "requests/payments-prod/ @pay\n", "x/requests/payments-prod/alice.yaml", nil},
		{"leading slash on the looked-up file is accepted", "/requests/payments-prod/ @pay\n", "/requests/payments-prod/alice.yaml", []string{"@pay"}},
		{"single-segment directory pattern matches at any depth", "payments-prod/ @pay\n", "requests/payments-prod/alice.yaml", []string{"@pay"}},
		{"star directory matches every account", "requests/*/ @acme/leads\n", "requests/payments-prod/alice.yaml", []string{"@acme/leads"}},
		{"star directory does not match a file directly under requests", "requests/*/ @acme/leads\n", "requests/alice.yaml", nil},
		{"dir/* matches direct children only", "requests/* @acme/leads\n", "requests/payments-prod/alice.yaml", nil},
		{"star alone matches everything", "* @acme/everyone\n", "requests/payments-prod/alice.yaml", []string{"@acme/everyone"}},
		{"double star matches everything", "** @acme/everyone\n", "requests/payments-prod/alice.yaml", []string{"@acme/everyone"}},
		{"double star in the middle", "/requests/**/alice.yaml @alice-boss\n", "requests/payments-prod/alice.yaml", []string{"@alice-boss"}},
		{"extension glob", "*.yaml @yaml-people\n", "requests/payments-prod/alice.yaml", []string{"@yaml-people"}},
		{"question mark matches one character", "/requests/payments-prod/alic?.yaml @q\n", "requests/payments-prod/alice.yaml", []string{"@q"}},
		{"patterns are case-sensitive as on GitHub", "/requests/Payments-Prod/ @pay\n", "requests/payments-prod/alice.yaml", nil},
		{
			name:  "escaped space in a pattern",
			rules: `/requests/odd\ name/ @odd` + "\n",
			file:  "requests/odd name/alice.yaml",
			want:  []string{"@odd"},
		},
		{"last matching rule wins", "* @acme/everyone\n/requests/payments-prod/ @acme/payments-leads\n", "requests/payments-prod/alice.yaml", []string{"@acme/payments-leads"}},
		{"a later broad rule overrides an earlier specific one", "/requests/payments-prod/ @acme/payments-leads\n* @acme/everyone\n", "requests/payments-prod/alice.yaml", []string{"@acme/everyone"}},
		{"a matching rule without owners means no owners", "* @acme/everyone\n/requests/payments-prod/\n", "requests/payments-prod/alice.yaml", nil},
		{"no rule matches", "/docs/ @writers\n", "requests/payments-prod/alice.yaml", nil},
		{"several owners in order as written, duplicates dropped", "/requests/payments-prod/ @Alice @acme/Leads @alice\t@bob\n", "requests/payments-prod/alice.yaml", []string{"@Alice", "@acme/Leads", "@bob"}},
		{"email owners are unusable", "/requests/payments-prod/ alice@acme.example @bob\n", "requests/payments-prod/alice.yaml", []string{"@bob"}},
		{"a rule with only email owners leaves no owners", "* @acme/everyone\n/requests/payments-prod/ alice@acme.example\n", "requests/payments-prod/alice.yaml", nil},
		{"comments, blank lines, CRLF and indentation", "# owners\r\n\r\n   \r\n  /requests/payments-prod/   @pay  \r\n", "requests/payments-prod/alice.yaml", []string{"@pay"}},
		{"empty file path", "* @all\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(path, []byte(tt.rules))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, r.Owners(tt.file)); diff != "" {
				t.Errorf("Owners(%q) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		rules string
		// want are the line errors as "line:column" and a fragment of the
		// message that says what is wrong.
		want []string
	}{
		{"negation", "* @all\n!/requests/x/ @x\n", []string{"2:1 negation"}},
		{"indented negation keeps the column", "  !/requests/x/ @x\n", []string{"1:3 negation"}},
		{"character range", "/requests/[ab]*/ @x\n", []string{"1:11 character ranges"}},
		{"escaped leading hash", `\#file @x` + "\n", []string{`1:1 escaping a leading "#"`}},
		{"inline comment", "/requests/x/ @x # the x team\n", []string{"1:17 inline comments"}},
		{"hash inside a pattern", "/requests/a#b/ @x\n", []string{"1:12 inline comments"}},
		{"owner without at sign", "/requests/x/ payments-team\n", []string{`1:14 owner "payments-team" is not`}},
		{"owner with a bad character", "/requests/x/ @ok @bad!name\n", []string{`1:18 owner "@bad!name"`}},
		{"nested team", "/requests/x/ @org/team/sub\n", []string{`1:14 owner "@org/team/sub"`}},
		{"character not allowed in a pattern", "/requests/x~/ @x\n", []string{`1:12 character '~' is not allowed`}},
		{"non-ASCII pattern counts columns in characters", "/requests/é~/ @x\n", []string{`1:11 character 'é' is not allowed`}},
		{"root slash only", "/ @x\n", []string{`1:1 the pattern "/" matches nothing`}},
		{"three stars", "/requests/***/ @x\n", []string{`1:11 "***"`}},
		{"dangling backslash", `/requests/x\`, []string{`1:12 ends with "\"`}},
		{"invalid UTF-8", "/requests/\xff/ @x\n", []string{"1:1 not valid UTF-8"}},
		{"every invalid line is reported", "!a @x\n* @ok\nb @x # c\n", []string{"1:1 negation", "3:6 inline comments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(path, []byte(tt.rules))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors %q", tt.want)
			}
			if r != nil {
				t.Errorf("Parse returned rules with an error")
			}
			msgs := strings.Split(err.Error(), "\n")
			if len(msgs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(msgs), len(tt.want), err)
			}
			for i, w := range tt.want {
				pos, frag, _ := strings.Cut(w, " ")
				prefix := path + ":" + pos + ": "
				if !strings.HasPrefix(msgs[i], prefix) || !strings.Contains(msgs[i], frag) {
					t.Errorf("error %d = %q, want prefix %q containing %q", i, msgs[i], prefix, frag)
				}
			}
			var le *LineError
			if !errors.As(err, &le) || le.Path != path {
				t.Errorf("errors.As(*LineError) = %v, %+v", errors.As(err, &le), le)
			}
		})
	}
}

func TestParseErrorMessagesSayHowToFix(t *testing.T) {
	_, err := Parse(path, []byte("!/requests/x/ @x\n"))
	want := `.github/CODEOWNERS:1:1: negation ("!") does not work in GitHub CODEOWNERS (GitHub skips the line): remove it and give the paths that need other owners their own, later rules; a rule with a pattern and no owners leaves a path without owners`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestParseCapsErrorCount(t *testing.T) {
	data := strings.Repeat("!x @y\n", 100)
	_, err := Parse(path, []byte(data))
	msgs := strings.Split(err.Error(), "\n")
	if len(msgs) != maxErrors+1 {
		t.Fatalf("got %d messages, want %d", len(msgs), maxErrors+1)
	}
	if want := path + ": 80 more invalid lines not shown"; msgs[maxErrors] != want {
		t.Errorf("last message = %q, want %q", msgs[maxErrors], want)
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := []byte("* @all\n" + strings.Repeat("#", MaxSize))
	r, err := Parse(path, big)
	if err == nil || r != nil || !strings.Contains(err.Error(), "3 MB") {
		t.Fatalf("Parse(%d bytes) = %v, %v; want a size error", len(big), r, err)
	}
	ok := []byte("* @all\n" + strings.Repeat("#", MaxSize-len("* @all\n")))
	if _, err := Parse(path, ok); err != nil {
		t.Fatalf("Parse(%d bytes): %v", len(ok), err)
	}
}

// A line longer than bufio.Scanner's 64 KiB token limit used to stop the
// library's parser silently, dropping every later rule. Lines are split here,
// so the rule after it still applies.
func TestLongLineDoesNotDropLaterRules(t *testing.T) {
	data := "* @everyone\n# " + strings.Repeat("x", 100_000) + "\n/requests/payments-prod/ @pay\n"
	r, err := Parse(path, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"@pay"}, r.Owners("requests/payments-prod/a.yaml")); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
}

func TestNilRulesFailClosed(t *testing.T) {
	var r *Rules
	if got := r.Owners("requests/payments-prod/a.yaml"); got != nil {
		t.Errorf("nil Rules Owners = %v, want nil", got)
	}
	if _, ok := r.Match("requests/payments-prod/a.yaml"); ok {
		t.Errorf("nil Rules Match found a rule")
	}
	if got := r.Warnings(); got != nil {
		t.Errorf("nil Rules Warnings = %v", got)
	}
}

func TestMatchAndWarnings(t *testing.T) {
	data := "* @acme/everyone\n\n/requests/payments-prod/   pay@acme.example @acme/pay\n"
	r, err := Parse(path, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := r.Match("requests/payments-prod/a.yaml")
	want := Match{
		Path:     path,
		Line:     3,
		Pattern:  "/requests/payments-prod/",
		Owners:   []string{"@acme/pay"},
		Unusable: []string{"pay@acme.example"},
	}
	if !ok {
		t.Fatal("no match")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Match (-want +got):\n%s", diff)
	}
	wantWarn := []string{`.github/CODEOWNERS:3:28: owner "pay@acme.example" is an email address; GitHub resolves it to the user with that verified address but jit cannot, so it never makes anyone an owner: write the user's @login instead`}
	if diff := cmp.Diff(wantWarn, r.Warnings()); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	// Callers may not change the rules through returned slices.
	got.Owners[0] = "@mallory"
	if o := r.Owners("requests/payments-prod/a.yaml"); o[0] != "@acme/pay" {
		t.Errorf("Owners changed through a returned slice: %v", o)
	}
}

func TestLocations(t *testing.T) {
	want := []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}
	if diff := cmp.Diff(want, Locations()); diff != "" {
		t.Errorf("Locations (-want +got):\n%s", diff)
	}
}

// FuzzParse checks that no input panics (the library panics on a bare "/"
// pattern) and that a parsed file answers lookups without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"* @a\n", "/ @x", "//", "/requests/ @a/b", `a\ b @c`, `a\`, "!x", "[a]", "**/x/** @y",
		"x@y.example", "/a/*/ a@b.co @c", "\\\\ @x", "/a\\*b @x",
	} {
		f.Add(s, "requests/a/b.yaml")
	}
	f.Fuzz(func(t *testing.T, data, file string) {
		r, err := Parse(path, []byte(data))
		if err != nil {
			if r != nil {
				t.Fatal("rules returned with an error")
			}
			return
		}
		r.Owners(file)
	})
}
