// Package change decides whether a pull request (or a git range) is a plain
// access request or a change that needs SSO admin review.
//
// A plain request adds exactly one new regular file at
// requests/<account>/<name>.yaml and touches nothing else. Everything else —
// configuration, CODEOWNERS or workflow edits, a second file, an edit, rename
// or removal of an existing request file (even one that would extend a merged
// grant), a symbolic link or submodule, an odd path — is not a request.
//
// The package does no I/O and knows nothing about git: the CLI fills []File
// from `git diff --raw`, the GitHub App from the pull request files API and
// the head commit's tree (which carries the file modes).
package change

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jit-access/jit/internal/layout"
)

// Status is how a change touches one file, named as GitHub's pull request
// files API names it. Git's single-letter codes map onto the same values.
type Status string

// The statuses a changed file can have.
const (
	Added    Status = "added"
	Modified Status = "modified"
	Removed  Status = "removed"
	Renamed  Status = "renamed"
	Copied   Status = "copied"
	// Changed is GitHub's word for a change of type or mode only.
	Changed Status = "changed"
)

// Mode is the kind of object a path holds after the change (before it, for
// a removal).
type Mode int

// The file modes git distinguishes. ModeUnknown is the zero value so that a
// caller that could not find the mode gets the fail-closed answer.
const (
	ModeUnknown    Mode = iota
	ModeRegular         // 100644
	ModeExecutable      // 100755
	ModeSymlink         // 120000
	ModeSubmodule       // 160000 (a gitlink)
)

// ParseMode maps a git octal mode ("100644") to a Mode. Anything it does not
// know is ModeUnknown.
func ParseMode(octal string) Mode {
	switch octal {
	case "100644", "644":
		return ModeRegular
	case "100755", "755":
		return ModeExecutable
	case "120000":
		return ModeSymlink
	case "160000":
		return ModeSubmodule
	}
	return ModeUnknown
}

// String names the mode in words, as it appears in reasons.
func (m Mode) String() string {
	switch m {
	case ModeRegular:
		return "regular file"
	case ModeExecutable:
		return "executable file"
	case ModeSymlink:
		return "symbolic link"
	case ModeSubmodule:
		return "submodule"
	}
	return "file of unknown mode"
}

// File is one changed path.
type File struct {
	// Path is the path after the change (the removed path for Removed).
	Path string
	// PreviousPath is the source of a rename or copy; empty otherwise.
	PreviousPath string
	Status       Status
	Mode         Mode
}

// Result is Classify's verdict.
type Result struct {
	// Request is true when the change is a plain access request.
	Request bool
	// RequestPath is the added request file when Request is true.
	RequestPath string
	// Reasons says, one plain sentence per thing, why the change is not a
	// plain request ("edits .github/jit.yaml"). Empty when Request is true.
	Reasons []string
	// Forbidden is the subset of Reasons that no request pull request should
	// contain, not even one an admin approves as a configuration change:
	// edits, renames and removals of existing request files (merged requests
	// are the audit record and are written only by the reconcile Action), any
	// other non-request file under requests/, and symbolic links or
	// submodules anywhere (they can point the validator at other content).
	Forbidden []string
}

// Classify decides whether files are a plain request.
//
// Choices made here, all failing closed:
//   - the request file must be a regular, non-executable file (mode 100644);
//     an executable bit or an unknown mode is not a request, so a caller that
//     cannot see modes must look them up rather than leave them unknown;
//   - only the .yaml extension is a request; .yml is reported as such;
//   - account and name segments are ASCII letters, digits, '.', '_', '-',
//     starting with a letter or digit;
//   - a copy counts as adding its destination, because its source is left
//     as it was and the new file is validated like any other.
func Classify(files []File) Result {
	var (
		res      Result
		requests []string
	)
	if len(files) == 0 {
		res.Reasons = []string{"changes no files"}
		return res
	}
	for _, f := range files {
		reason, forbidden, isRequest := classifyFile(f)
		if isRequest {
			requests = append(requests, f.Path)
			continue
		}
		res.Reasons = append(res.Reasons, reason)
		if forbidden {
			res.Forbidden = append(res.Forbidden, reason)
		}
	}
	if len(requests) == 1 && len(res.Reasons) == 0 {
		return Result{Request: true, RequestPath: requests[0]}
	}
	var lead []string
	if len(requests) > 1 {
		lead = append(lead, fmt.Sprintf("adds %d request files (%s); a request adds exactly one",
			len(requests), strings.Join(quoteAll(requests), ", ")))
	} else if len(requests) == 1 {
		lead = append(lead, fmt.Sprintf("adds the request file %s together with other changes", show(requests[0])))
	}
	res.Reasons = append(lead, res.Reasons...)
	return res
}

// classifyFile returns why f is not a plain request addition, whether that is
// forbidden outright, or isRequest when f on its own would be a request.
func classifyFile(f File) (reason string, forbidden, isRequest bool) {
	path := show(f.Path)
	underRequests := InRequests(f.Path) || InRequests(f.PreviousPath)
	describe := func(verb string) string {
		return verb + " " + path + what(f.Path)
	}
	switch f.Status {
	case Added, Copied:
		if f.Mode == ModeSymlink || f.Mode == ModeSubmodule {
			return fmt.Sprintf("adds %s as %s", path, article(f.Mode)), true, false
		}
		if !InRequests(f.Path) {
			return describe("adds"), false, false
		}
		if _, _, err := SplitRequestPath(f.Path); err != nil {
			return fmt.Sprintf("adds %s, which %v", path, err), true, false
		}
		if f.Mode != ModeRegular {
			return fmt.Sprintf("adds %s as %s; a request file is a regular, non-executable file", path, article(f.Mode)), true, false
		}
		return "", false, true
	case Modified:
		return describe("edits"), underRequests || isLink(f.Mode), false
	case Changed:
		return fmt.Sprintf("changes the type or mode of %s%s (now %s)", path, what(f.Path), article(f.Mode)), underRequests || isLink(f.Mode), false
	case Removed:
		return describe("removes"), underRequests, false
	case Renamed:
		return fmt.Sprintf("renames %s to %s%s", show(f.PreviousPath), path, what(f.Path)), underRequests || isLink(f.Mode), false
	}
	return fmt.Sprintf("changes %s in a way jit does not know (status %q)", path, string(f.Status)), true, false
}

// article puts "a" or "an" before the mode's name.
func article(m Mode) string {
	if m == ModeExecutable {
		return "an " + m.String()
	}
	return "a " + m.String()
}

func isLink(m Mode) bool { return m == ModeSymlink || m == ModeSubmodule }

// what names well-known files whose role a reviewer should see at once.
func what(path string) string {
	switch {
	case path == layout.ConfigPath:
		return " (the jit configuration)"
	case layout.IsCodeowners(path):
		return " (the code owners, who approve requests)"
	case strings.HasPrefix(path, ".github/workflows/"):
		return " (a GitHub Actions workflow)"
	case strings.HasPrefix(path, "schema/"):
		return " (the request schema)"
	}
	return ""
}

// InRequests reports whether path lies under the top-level requests/ folder.
func InRequests(path string) bool {
	return layout.InRequests(path)
}

// SplitRequestPath checks that path has the form requests/<account>/<name>.yaml
// and returns its account and name (without the extension). The error
// completes the sentence "<path> ...".
func SplitRequestPath(path string) (account, name string, err error) {
	if !utf8.ValidString(path) {
		return "", "", fmt.Errorf("is not valid UTF-8")
	}
	parts := strings.Split(path, "/")
	if parts[0] != layout.RequestsDir {
		return "", "", fmt.Errorf("is outside requests/")
	}
	for _, p := range parts[1:] {
		switch p {
		case "":
			return "", "", fmt.Errorf("has an empty path segment")
		case ".", "..":
			return "", "", fmt.Errorf("has a %q path segment", p)
		}
	}
	if len(parts) != 3 {
		return "", "", fmt.Errorf("is not at requests/<account>/<name>.yaml")
	}
	account, file := parts[1], parts[2]
	base, ok := strings.CutSuffix(file, ".yaml")
	if !ok {
		if strings.HasSuffix(file, ".yml") {
			return "", "", fmt.Errorf("ends in .yml; request files end in .yaml")
		}
		return "", "", fmt.Errorf("does not end in .yaml")
	}
	if err := checkSegment("an account folder", account); err != nil {
		return "", "", err
	}
	if err := checkSegment("a file name", base); err != nil {
		return "", "", err
	}
	return account, base, nil
}

// checkSegment keeps path segments to characters that are the same on every
// file system and in every shell, so that no two request paths can look alike.
func checkSegment(what, s string) error {
	if s == "" {
		return fmt.Errorf("has %s that is empty", what)
	}
	if !isAlnum(s[0]) {
		return fmt.Errorf("has %s %q that does not start with a letter or digit", what, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("has %s %q with the character %q; use letters, digits, '.', '_' and '-'", what, s, rune(c))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// show prints a path as is when it is plain, quoted when it holds anything
// that could hide what it is (spaces, control or non-ASCII characters).
func show(path string) string {
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return strconv.Quote(path)
		}
	}
	if path == "" {
		return `""`
	}
	return path
}

func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = show(p)
	}
	return out
}
