package window

import (
	"testing"
	"time"
)

func TestEnd(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name             string
		start, activated time.Time
		d                time.Duration
		want             time.Time
	}{
		{name: "no start_at: the duration from activation", activated: at(10, 0), d: 4 * time.Hour, want: at(14, 0)},
		{name: "activated at its start_at", start: at(9, 0), activated: at(9, 0), d: 2 * time.Hour, want: at(11, 0)},
		{name: "activated late: the window still ends on time", start: at(9, 0), activated: at(10, 30), d: 2 * time.Hour, want: at(11, 0)},
		{name: "activated after its window ended: the end is already past", start: at(9, 0), activated: at(12, 0), d: 2 * time.Hour, want: at(11, 0)},
		{name: "activated early: never longer than the duration", start: at(9, 0), activated: at(8, 0), d: 2 * time.Hour, want: at(10, 0)},
		{name: "an extension provisioned now", activated: at(15, 5), d: time.Hour, want: at(16, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := End(tc.start, tc.activated, tc.d); !got.Equal(tc.want) {
				t.Errorf("End(%v, %v, %v) = %v, want %v", tc.start, tc.activated, tc.d, got, tc.want)
			}
		})
	}
}

func TestScheduled(t *testing.T) {
	start := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	if got, want := Scheduled(start, 8*time.Hour), time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Scheduled = %v, want %v", got, want)
	}
}
