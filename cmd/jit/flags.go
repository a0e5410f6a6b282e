package main

import (
	"fmt"
	"time"
)

// timeFlag is an RFC 3339 time flag; zero when not given.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want a time like 2026-11-23T10:00:00Z")
	}
	f.t = t
	return nil
}

func (f *timeFlag) Type() string { return "time" }
