// Package window is the rule of a grant's time window: when a grant ends.
// The reconcile (at activation and on every run), the validation of an
// extension (schema), the App's display of one and `jit status` all ask it,
// so that they cannot disagree about an end. It is pure: times in, a time
// out. It sits below package lifecycle because schema, which lifecycle
// builds on, needs it too.
package window

import "time"

// End is when a grant that lasts d ends, activated at activated: d after
// its activation, but never later than d after its start_at (start; the
// zero time for a request without one). A grant activated late, by a
// reconcile that ran late, still ends when its approved window does; an
// extension, which has no start_at, ends d after it is provisioned.
func End(start, activated time.Time, d time.Duration) time.Time {
	end := activated.Add(d)
	if !start.IsZero() && start.Add(d).Before(end) {
		end = start.Add(d)
	}
	return end
}

// Scheduled is when a grant scheduled to start at start ends if it is
// activated on time.
func Scheduled(start time.Time, d time.Duration) time.Time { return End(start, start, d) }
