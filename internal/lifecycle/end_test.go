package lifecycle

import (
	"testing"
	"time"

	"github.com/jit-access/jit/schema"
)

func TestScheduledEnd(t *testing.T) {
	for _, tc := range []struct {
		name            string
		start, duration string
		want            time.Time
		ok              bool
	}{
		{name: "the duration after start_at", start: "2026-11-24T22:00:00Z", duration: "8h", want: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC), ok: true},
		{name: "start_at in another zone", start: "2026-11-24T09:00:00+01:00", duration: "1h", want: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), ok: true},
		{name: "no start_at: not scheduled", duration: "4h"},
		{name: "start_at unreadable", start: "tomorrow", duration: "4h"},
		{name: "duration unreadable", start: "2026-11-24T22:00:00Z", duration: "forever"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ScheduledEnd(schema.Request{Start: tc.start, Duration: tc.duration})
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("ScheduledEnd(start_at %q, duration %q) = %v, %v; want %v, %v", tc.start, tc.duration, got, ok, tc.want, tc.ok)
			}
		})
	}
}
