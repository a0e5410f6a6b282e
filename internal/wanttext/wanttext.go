// Package wanttext checks that a test's output, a log or a generated file
// holds every one of some wanted pieces of text.
package wanttext

import (
	"strings"
	"testing"
)

// All fails the test for each of wants that text does not contain, showing
// the text; what names it in the message ("git log", "the edited config").
func All(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}
