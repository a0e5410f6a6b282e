// Package wanterr checks the error of a call in a table test whose cases
// either want an error (a substring of its message) or want it to succeed.
package wanterr

import (
	"strings"
	"testing"
)

// Check fails the test when err is not what the case wants: with want ""
// the call must succeed; otherwise err must contain want. It reports
// whether the call succeeded, so that the caller goes on to check the
// result only then.
func Check(t testing.TB, err error, want string) (succeeded bool) {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error = %v, want one containing %q", err, want)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
		return false
	}
	return true
}
