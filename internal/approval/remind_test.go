package approval

import (
	"testing"
	"time"
)

func TestNextReminder(t *testing.T) {
	opened := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return opened.Add(time.Duration(h) * time.Hour) }
	for _, tc := range []struct {
		name          string
		escalate, ttl time.Duration
		sent          int
		due           time.Time
		ok            bool
	}{
		{"first: 1h after the escalation", time.Hour, 72 * time.Hour, 0, at(2), true},
		{"second: 4h after the first", time.Hour, 72 * time.Hour, 1, at(6), true},
		{"third: a day after the second", time.Hour, 72 * time.Hour, 2, at(30), true},
		{"then every day", time.Hour, 72 * time.Hour, 3, at(54), true},
		{"not at or after the TTL: the request is closed then", time.Hour, 54 * time.Hour, 3, at(54), false},
		{"a short TTL leaves no room", time.Hour, 2 * time.Hour, 0, at(2), false},
		{"the default 24h TTL: two reminders", time.Hour, 24 * time.Hour, 2, at(30), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due, ok := NextReminder(opened, tc.escalate, tc.ttl, tc.sent)
			if !due.Equal(tc.due) || ok != tc.ok {
				t.Errorf("NextReminder(sent %d) = %s, %v; want %s, %v", tc.sent, due, ok, tc.due, tc.ok)
			}
		})
	}
}

func TestRemindersSent(t *testing.T) {
	if n := RemindersSent([]string{"status", "Reminder 1 " + ReminderMarker, "escalated", "Reminder 2 " + ReminderMarker}); n != 2 {
		t.Errorf("RemindersSent = %d, want 2", n)
	}
}
