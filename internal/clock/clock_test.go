package clock

import (
	"testing"
	"time"
)

func TestOffsetAdvance(t *testing.T) {
	var c Offset
	before := c.Now()
	c.Advance(2 * time.Hour)
	if got := c.Now().Sub(before); got < 2*time.Hour || got > 2*time.Hour+time.Minute {
		t.Fatalf("after Advance(2h) the clock moved %v, want about 2h", got)
	}
	c.Advance(-time.Hour)
	if got := c.Now().Sub(before); got < 2*time.Hour {
		t.Fatalf("a negative Advance moved the clock back: %v", got)
	}
}

func TestOffsetSet(t *testing.T) {
	var c Offset
	target := time.Now().Add(72 * time.Hour)
	c.Set(target)
	if d := c.Now().Sub(target); d < 0 || d > time.Minute {
		t.Fatalf("after Set the clock is %v away from the target", d)
	}
	c.Set(time.Now().Add(-time.Hour))
	if c.Now().Before(target) {
		t.Fatalf("Set moved the clock backwards")
	}
}

func TestAtStartsAtTheChosenInstant(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(2026, 12, 31, 23, 59, 30, 0, time.UTC),
		time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		c := At(start)
		if d := c.Now().Sub(start); d < 0 || d > time.Minute {
			t.Errorf("At(%v).Now() = %v, want the chosen instant", start, c.Now())
		}
		c.Advance(time.Hour)
		if d := c.Now().Sub(start); d < time.Hour || d > time.Hour+time.Minute {
			t.Errorf("At(%v) after Advance(1h) reads %v", start, c.Now())
		}
	}
}

func TestHeldMovesOnlyForward(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := Hold(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("a new held clock reads %v, want %v", got, start)
	}
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("after Advance(90m) the clock reads %v, want %v", got, want)
	}
	c.Advance(-time.Hour)
	c.Set(start)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("a negative Advance or an earlier Set moved the clock back: %v, want %v", got, want)
	}
	c.Set(start.Add(3 * time.Hour))
	if got, want := c.Now(), start.Add(3*time.Hour); !got.Equal(want) {
		t.Fatalf("after Set the clock reads %v, want %v", got, want)
	}
}

func TestMustParse(t *testing.T) {
	if got := MustParse("2026-11-23T09:00:00+01:00"); !got.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("MustParse = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParse of a malformed literal did not panic")
		}
	}()
	MustParse("2026-11-23 09:00")
}
