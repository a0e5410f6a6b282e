package lifecycle

import (
	"testing"
	"time"
)

func TestTimingOf(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		at        time.Duration // after now
		lookahead time.Duration
		want      timing
	}{
		{"past", -time.Minute, 0, due},
		{"exactly now", 0, 5 * time.Minute, due},
		{"inside the lookahead", time.Minute, 5 * time.Minute, soon},
		{"at the lookahead's end", 5 * time.Minute, 5 * time.Minute, soon},
		{"beyond the lookahead", 5*time.Minute + time.Second, 5 * time.Minute, later},
		{"no lookahead: anything ahead waits for a later run", time.Second, 0, later},
	}
	for _, c := range cases {
		if got := timingOf(now.Add(c.at), now, c.lookahead); got != c.want {
			t.Errorf("%s: timingOf = %d, want %d", c.name, got, c.want)
		}
	}
}
