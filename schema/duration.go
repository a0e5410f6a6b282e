package schema

import (
	"fmt"
	"strings"
	"time"
)

// Durations lists the access durations a request may ask for, in order.
// A fixed list rather than free-form durations keeps requests comparable for
// approvers and auditors; "1mo" is 30 days.
var durations = []struct {
	text string
	d    time.Duration
}{
	{"1h", time.Hour},
	{"2h", 2 * time.Hour},
	{"4h", 4 * time.Hour},
	{"8h", 8 * time.Hour},
	{"12h", 12 * time.Hour},
	{"1d", 24 * time.Hour},
	{"2d", 48 * time.Hour},
	{"3d", 72 * time.Hour},
	{"1w", 7 * 24 * time.Hour},
	{"2w", 14 * 24 * time.Hour},
	{"1mo", 30 * 24 * time.Hour},
}

// DurationNames returns the allowed access durations as written in files.
func DurationNames() []string {
	out := make([]string, len(durations))
	for i, d := range durations {
		out[i] = d.text
	}
	return out
}

// ParseDuration parses an access duration from the allowed list
// (1h 2h 4h 8h 12h 1d 2d 3d 1w 2w 1mo).
func ParseDuration(s string) (time.Duration, error) {
	for _, d := range durations {
		if s == d.text {
			return d.d, nil
		}
	}
	return 0, fmt.Errorf("duration %q is not one of %s", s, strings.Join(DurationNames(), " "))
}

// FormatDuration writes d as an allowed duration name when it is one, and in
// Go's notation otherwise.
func FormatDuration(d time.Duration) string {
	for _, x := range durations {
		if x.d == d {
			return x.text
		}
	}
	return d.String()
}
