package approval

import (
	"strings"
	"time"
)

// reminderBackoff is the wait after the escalation before the first
// reminder, then between reminders: 1h, 4h, then every day. Reviewers are
// asked again soon after the escalation and less often after that.
var reminderBackoff = [...]time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour}

// ReminderMarker marks the App's reminder comments; the count of them on a
// pull request is how many reminders were sent, so the App keeps no state.
const ReminderMarker = "<!-- jit:reminder -->"

// NextReminder is when reminder number sent+1 of an undecided request is
// due: the escalation comes escalateAfter after the pull request was
// opened, the first reminder 1h after it, the second 4h after that, then
// one a day. ok is false when that is not before the request TTL: the
// request is closed then, not reminded.
func NextReminder(opened time.Time, escalateAfter, ttl time.Duration, sent int) (due time.Time, ok bool) {
	due = opened.Add(escalateAfter)
	for i := 0; i <= sent; i++ {
		due = due.Add(reminderBackoff[min(i, len(reminderBackoff)-1)])
	}
	return due, due.Before(opened.Add(ttl))
}

// RemindersSent counts the reminder comments among a pull request's
// comments by the App (bodies of comments whose author is the App).
func RemindersSent(appComments []string) int {
	n := 0
	for _, b := range appComments {
		if strings.Contains(b, ReminderMarker) {
			n++
		}
	}
	return n
}
