package approval

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jit-access/jit/schema"
)

// directiveLine matches a jit: directive on a line of its own, in any case.
var directiveLine = regexp.MustCompile(`(?i)^\s*jit:(.*)$`)

// directive is one jit: line of a review body.
type directive struct {
	line string // as written, trimmed
	verb string // lower case
	args []string
}

// parseBody splits a review body into its jit: directives and the note (the
// rest, trimmed).
func parseBody(body string) ([]directive, string) {
	var ds []directive
	var note []string
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		m := directiveLine.FindStringSubmatch(line)
		if m == nil {
			note = append(note, line)
			continue
		}
		fields := strings.Fields(m[1])
		d := directive{line: strings.TrimSpace(line)}
		if len(fields) > 0 {
			d.verb = strings.ToLower(fields[0])
			d.args = fields[1:]
		}
		ds = append(ds, d)
	}
	return ds, strings.TrimSpace(strings.Join(note, "\n"))
}

// durationOf applies the duration directives of one approval. It returns the
// shortest valid duration not longer than requested (0 when none) and a reason
// for every directive that did nothing.
func durationOf(ds []directive, kind Kind, requested time.Duration) (time.Duration, []ignoredLine) {
	var best time.Duration
	var ignored []ignoredLine
	for _, d := range ds {
		if d.verb != "duration" {
			what := "an empty jit: directive"
			if d.verb != "" {
				what = fmt.Sprintf("unknown jit: directive %q", d.verb)
			}
			ignored = append(ignored, ignoredLine{d.line, what + "; the only one is \"jit: duration <duration>\", e.g. jit: duration 2h"})
			continue
		}
		if len(d.args) != 1 {
			ignored = append(ignored, ignoredLine{d.line, "write one duration, e.g. \"jit: duration 2h\""})
			continue
		}
		if kind == KindAdminChange {
			ignored = append(ignored, ignoredLine{d.line, "this pull request is not an access request, so it has no duration to shorten"})
			continue
		}
		v, err := schema.ParseDuration(strings.ToLower(d.args[0]))
		if err != nil {
			ignored = append(ignored, ignoredLine{d.line, err.Error() + "; the duration is unchanged and the approval counts"})
			continue
		}
		if v > requested {
			ignored = append(ignored, ignoredLine{d.line, fmt.Sprintf("%s is longer than the requested %s; an approver may only shorten the access, so the approval counts for %s",
				schema.FormatDuration(v), schema.FormatDuration(requested), schema.FormatDuration(requested))})
			continue
		}
		if best == 0 || v < best {
			best = v
		}
	}
	return best, ignored
}

type ignoredLine struct {
	line, reason string
}
