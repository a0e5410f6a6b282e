// Package owners reads a CODEOWNERS file with GitHub's rules and answers who
// owns a path, so that the approval engine knows the owners of an account
// from the path of its request file (requests/<account>/...).
//
// Matching is done by github.com/hmarr/codeowners; this package adds what an
// access-control decision needs on top of it:
//
//   - Every line is checked before the library sees it, so that an invalid
//     line is an error naming path:line:column, what is wrong and how to fix
//     it. GitHub skips an invalid line and carries on; for access control that
//     would silently hand a path to an earlier, broader rule, so here the
//     whole file is rejected and callers fail closed (only SSO admins approve).
//   - The gitignore features GitHub documents as not working in CODEOWNERS
//     (negation with "!", character ranges "[ ]", escaping a leading "#") and
//     inline comments (GitHub treats the line as invalid) are rejected with a
//     message that says so, instead of being parsed into something GitHub
//     would not do.
//   - Email owners are parsed but unusable: GitHub resolves an email to the
//     user whose verified address it is, and we cannot, so they never make
//     anyone an owner. [Rules.Warnings] reports each one; a rule whose only
//     owners are emails leaves its paths without owners.
//   - The file is cut off at GitHub's 3 MB limit and lines are split here, so
//     a very long line cannot end parsing early and drop the rules after it.
package owners

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hmarr/codeowners"
	"github.com/jit-access/jit/internal/layout"
)

// MaxSize is the largest CODEOWNERS file accepted. GitHub does not load a
// file of 3 MB or more; neither do we.
const MaxSize = 3<<20 - 1

// maxErrors caps how many line errors one Parse reports; the rest are
// counted, so that a binary file does not produce a million-line error.
const maxErrors = 20

// Locations returns where GitHub looks for a CODEOWNERS file, in the order it
// looks: the first one that exists is used and the others are ignored.
func Locations() []string {
	return layout.CodeownersLocations()
}

// Rules is a parsed CODEOWNERS file. A nil *Rules (what Parse returns with an
// error) has no owners for any path, so that a caller which ignores the error
// still fails closed.
type Rules struct {
	path     string
	rules    []rule
	warnings []string
}

type rule struct {
	line     int
	pattern  string
	match    codeowners.Rule
	owners   []string // usable owners as written: @user, @org/team
	unusable []string // email owners
}

// Match describes the rule that decides a path's owners.
type Match struct {
	// Path is the CODEOWNERS file's path, as given to Parse.
	Path string
	// Line is the rule's line number (1-based).
	Line int
	// Pattern is the rule's pattern as written.
	Pattern string
	// Owners are the usable owners as written (@user, @org/team). Empty when
	// the rule lists none, which on GitHub means the path has no owners.
	Owners []string
	// Unusable are owners listed by the rule that cannot approve anything
	// (email addresses).
	Unusable []string
}

// LineError is one invalid line of a CODEOWNERS file.
type LineError struct {
	Path   string
	Line   int
	Column int // 1-based, in characters
	// Msg says what is wrong and how to fix it.
	Msg string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
}

// Parse reads a CODEOWNERS file. path names the file in errors and warnings
// (e.g. ".github/CODEOWNERS"). On any invalid line it returns a nil *Rules and
// an error that joins one *LineError per invalid line (errors.As finds the
// first); the file is then unusable as a whole.
func Parse(path string, data []byte) (*Rules, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: the file is %d bytes; GitHub ignores a CODEOWNERS file of 3 MB or more: shorten it, e.g. with directory patterns such as /requests/<account>/", path, len(data))
	}
	r := &Rules{path: path}
	var errs []error
	extra := 0
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		ru, warnings, err := parseLine(path, lineNo, raw)
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, err)
			} else {
				extra++
			}
			continue
		}
		r.warnings = append(r.warnings, warnings...)
		if ru != nil {
			r.rules = append(r.rules, *ru)
		}
	}
	if extra > 0 {
		errs = append(errs, fmt.Errorf("%s: %d more invalid lines not shown", path, extra))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// Owners returns the usable owners of file (a repository path such as
// "requests/payments-prod/alice.yaml") as written in CODEOWNERS: "@user" or
// "@org/team". GitHub's semantics: the last matching rule wins, and a matching
// rule that lists no owners leaves the path without owners. Nil when nothing
// matches, when the matching rule has no usable owners, or when r is nil.
func (r *Rules) Owners(file string) []string {
	m, ok := r.Match(file)
	if !ok {
		return nil
	}
	return m.Owners
}

// Match returns the rule that decides file's owners (the last rule whose
// pattern matches) and whether there is one.
func (r *Rules) Match(file string) (Match, bool) {
	if r == nil {
		return Match{}, false
	}
	file = strings.TrimPrefix(file, "/")
	if file == "" {
		return Match{}, false
	}
	for i := len(r.rules) - 1; i >= 0; i-- {
		ru := &r.rules[i]
		ok, err := ru.match.Match(file)
		if err != nil {
			// The library never reports one today; if it starts to, treat
			// the path as unowned rather than fall through to an earlier,
			// broader rule.
			return Match{}, false
		}
		if ok {
			return Match{
				Path:     r.path,
				Line:     ru.line,
				Pattern:  ru.pattern,
				Owners:   append([]string(nil), ru.owners...),
				Unusable: append([]string(nil), ru.unusable...),
			}, true
		}
	}
	return Match{}, false
}

// Warnings lists what in the file parsed but will not work as its author
// probably expects (email owners), each as "path:line:column: message".
func (r *Rules) Warnings() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.warnings...)
}

// token is one whitespace-separated field of a line and its byte offset.
type token struct {
	text string
	off  int
}

// parseLine checks one line and returns its rule (nil for blank and comment
// lines) and warnings.
func parseLine(path string, lineNo int, raw string) (*rule, []string, error) {
	lerr := func(off int, format string, args ...any) error {
		return &LineError{Path: path, Line: lineNo, Column: column(raw, off), Msg: fmt.Sprintf(format, args...)}
	}
	// Leading and trailing blanks (and the \r of CRLF files) are not part of
	// the rule.
	start := len(raw) - len(strings.TrimLeft(raw, " \t\r"))
	line := strings.TrimRight(raw[start:], " \t\r")
	if line == "" || line[0] == '#' {
		return nil, nil, nil
	}
	if !utf8.ValidString(line) {
		return nil, nil, lerr(start, "the line is not valid UTF-8: save the file as UTF-8 text")
	}
	if strings.HasPrefix(line, `\#`) {
		return nil, nil, lerr(start, `escaping a leading "#" with "\" does not work in GitHub CODEOWNERS (GitHub skips the line): a path starting with "#" cannot be given owners; match its directory instead`)
	}
	if line[0] == '!' {
		return nil, nil, lerr(start, `negation ("!") does not work in GitHub CODEOWNERS (GitHub skips the line): remove it and give the paths that need other owners their own, later rules; a rule with a pattern and no owners leaves a path without owners`)
	}
	if i := strings.IndexByte(line, '#'); i >= 0 {
		return nil, nil, lerr(start+i, `"#" inside a rule: GitHub does not support inline comments or "#" in patterns and skips such a line; put the comment on its own line starting with "#"`)
	}

	toks, err := split(line)
	if err != nil {
		return nil, nil, lerr(start+err.off, "%s", err.msg)
	}
	pat := toks[0]
	if off, msg := checkPattern(pat.text); msg != "" {
		return nil, nil, lerr(start+pat.off+off, "%s", msg)
	}

	ru := &rule{line: lineNo, pattern: pat.text}
	var warnings []string
	seen := map[string]bool{}
	for _, tok := range toks[1:] {
		kind, ok := ownerKind(tok.text)
		if !ok {
			return nil, nil, lerr(start+tok.off, "owner %q is not a GitHub user (@login), a team (@org/team-slug) or an email address: fix its spelling, and separate owners with spaces", tok.text)
		}
		key := strings.ToLower(tok.text)
		if seen[key] {
			continue
		}
		seen[key] = true
		if kind == codeowners.EmailOwner {
			ru.unusable = append(ru.unusable, tok.text)
			warnings = append(warnings, fmt.Sprintf("%s:%d:%d: owner %q is an email address; GitHub resolves it to the user with that verified address but jit cannot, so it never makes anyone an owner: write the user's @login instead",
				path, lineNo, column(raw, start+tok.off), tok.text))
			continue
		}
		ru.owners = append(ru.owners, tok.text)
	}

	// The library parses the same line again for matching. Its grammar is
	// the one checked above, so an error here means the two disagree; report
	// it rather than drop the rule.
	set, perr := codeowners.ParseFile(strings.NewReader(line), codeowners.WithOwnerMatchers(ownerMatchers))
	if perr != nil || len(set) != 1 || set[0].RawPattern() != pat.text || len(set[0].Owners) != len(toks)-1 {
		return nil, nil, lerr(start, "the rule could not be parsed the way GitHub would (%v): simplify the pattern and check the owners", perr)
	}
	ru.match = set[0]
	return ru, warnings, nil
}

type splitError struct {
	off int
	msg string
}

// split cuts a trimmed rule into the pattern and owners the way the library
// does: in the pattern a backslash escapes the next character, so "a\ b" is
// one pattern; owners never contain one.
func split(line string) ([]token, *splitError) {
	var toks []token
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		begin := i
		first := len(toks) == 0
		escaped := false
		for i < len(line) {
			c := line[i]
			if first && c == '\\' {
				escaped = true
				i++
				continue
			}
			if (c == ' ' || c == '\t') && !escaped {
				break
			}
			escaped = false
			i++
		}
		if escaped {
			return nil, &splitError{off: i - 1, msg: `the pattern ends with "\", which escapes nothing: remove it, or escape a space as "\ "`}
		}
		toks = append(toks, token{text: line[begin:i], off: begin})
	}
	return toks, nil
}

// checkPattern reports the byte offset and message of the first problem in a
// pattern, or "" when it is fine.
func checkPattern(p string) (int, string) {
	if p == "/" {
		return 0, `the pattern "/" matches nothing: use "*" for every file`
	}
	if i := strings.Index(p, "***"); i >= 0 {
		return i, `a pattern cannot contain "***": use "**" for any number of directories`
	}
	escaped := false
	for i, ch := range p {
		switch {
		case ch == '\\':
			escaped = true
			continue
		case escaped && (ch == ' ' || ch == '\t'):
		case ch == '[' || ch == ']':
			return i, `character ranges ("[ ]") do not work in GitHub CODEOWNERS (GitHub skips the line): write one rule per path, or use "*" and "?"`
		case !patternChar(ch):
			return i, fmt.Sprintf("character %q is not allowed in a CODEOWNERS pattern: patterns may use letters, digits and . _ - + @ ( ) / * ? (escape a space as \"\\ \")", ch)
		}
		escaped = false
	}
	return 0, ""
}

// patternChar mirrors the characters github.com/hmarr/codeowners accepts in
// a pattern, so that the error comes from here with a column and a fix.
func patternChar(ch rune) bool {
	switch ch {
	case '*', '?', '.', '/', '@', '_', '+', '-', '(', ')':
		return true
	}
	return ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9'
}

// ownerMatchers are the library's team and user matchers and a looser email
// matcher: the library's wants a top-level domain of at most six letters and
// would reject e.g. "pay@acme.example", which GitHub accepts.
var ownerMatchers = []codeowners.OwnerMatcher{
	codeowners.OwnerMatchFunc(codeowners.MatchTeamOwner),
	codeowners.OwnerMatchFunc(codeowners.MatchUsernameOwner),
	codeowners.OwnerMatchFunc(matchEmail),
}

var emailRegexp = regexp.MustCompile(`\A[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+\z`)

func matchEmail(s string) (codeowners.Owner, error) {
	if !emailRegexp.MatchString(s) {
		return codeowners.Owner{}, codeowners.ErrNoMatch
	}
	return codeowners.Owner{Value: s, Type: codeowners.EmailOwner}, nil
}

// ownerKind classifies an owner with the same matchers the parse uses.
func ownerKind(s string) (string, bool) {
	for _, m := range ownerMatchers {
		if o, err := m.Match(s); err == nil {
			return o.Type, true
		}
	}
	return "", false
}

// column converts a byte offset in line to a 1-based character column.
func column(line string, off int) int {
	if off > len(line) {
		off = len(line)
	}
	return utf8.RuneCountInString(line[:off]) + 1
}
