package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// row is one line of the result table.
type row struct {
	Benchmark string
	Size      string
	Result    string
	Target    string
	// Met is "yes", "no" or "" when the row has no target.
	Met  string
	Note string
}

// met turns a comparison into the table's word.
func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func writeTable(w io.Writer, rows []row) error {
	var b strings.Builder
	b.WriteString("| benchmark | size | result | target | met | note |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		m := r.Met
		if m == "" {
			m = "—"
		}
		t := r.Target
		if t == "" {
			t = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(r.Benchmark), cell(r.Size), cell(r.Result), cell(t), m, cell(r.Note))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	return nil
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// secs formats a duration for the table: milliseconds below 10 s.
func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func mib(kib int64) string {
	return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
}

// percentile returns the p-th percentile (0..100) of sorted durations,
// nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
