package wanterr

import (
	"errors"
	"fmt"
	"testing"
)

// recorder is a testing.TB that records Fatal instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestCheck(t *testing.T) {
	boom := errors.New("reading x: boom")
	for _, tc := range []struct {
		name          string
		err           error
		want          string
		wantSucceeded bool
		wantFailure   string
	}{
		{"success wanted and got", nil, "", true, ""},
		{"error wanted and got", boom, "boom", false, ""},
		{"error wanted, none", nil, "boom", false, `error = <nil>, want one containing "boom"`},
		{"other error", boom, "bang", false, `error = reading x: boom, want one containing "bang"`},
		{"success wanted, error", boom, "", false, "reading x: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			if got := Check(r, tc.err, tc.want); got != tc.wantSucceeded {
				t.Errorf("Check = %v, want %v", got, tc.wantSucceeded)
			}
			if r.failed != tc.wantFailure {
				t.Errorf("failure %q, want %q", r.failed, tc.wantFailure)
			}
		})
	}
}
