package wanttext

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestAll(t *testing.T) {
	r := &recorder{TB: t}
	All(r, "the log", "one two three", "one", "three", "four", "one three")
	want := []string{
		"the log lacks \"four\":\none two three",
		"the log lacks \"one three\":\none two three",
	}
	if fmt.Sprint(r.errors) != fmt.Sprint(want) {
		t.Errorf("errors = %q, want %q", r.errors, want)
	}
}
