// Package markdown renders untrusted text (request fields, review bodies,
// logins) into the GitHub-flavoured markdown of check runs and comments so
// that it stays text: it can neither fake a heading or a verdict, nor hide
// what follows it in an HTML comment, nor mention people.
package markdown

import (
	"strings"
	"unicode/utf8"
)

// MaxQuote caps how much of one untrusted value is quoted.
const MaxQuote = 300

// Code renders s as one inline code span: on one line, cut to MaxQuote
// characters, fenced with more backticks than any run inside it.
func Code(s string) string {
	s = oneLine(s)
	fence := strings.Repeat("`", longestBackticks(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Text escapes markdown and HTML in plain text, puts it on one line, cuts it
// to MaxQuote characters and defuses mentions with a zero-width space after
// "@".
func Text(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@':
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > MaxQuote {
		s = string([]rune(s)[:MaxQuote]) + "…"
	}
	return s
}

// Fence returns a code block fence longer than any run of backticks in s,
// so that s cannot close its code block early.
func Fence(s string) string {
	return strings.Repeat("`", max(3, longestBackticks(s)+1))
}

func longestBackticks(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
