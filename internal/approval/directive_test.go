package approval

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDurationDirectives(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind
		reviews   []Review
		effective time.Duration
		// approvals as "user duration note"
		approvals []string
		ignored   []string // "user line: reason"
	}{
		{
			name:      "shortens",
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration 2h")},
			effective: 2 * time.Hour,
			approvals: []string{"olivia 2h0m0s "},
		},
		{
			name:      "case-insensitive, on its own line among other text, which becomes the note",
			reviews:   []Review{approve(1, "olivia", 1, "LGTM for INC-1234", "  JIT: Duration 1H  ", "", "thanks")},
			effective: time.Hour,
			approvals: []string{"olivia 1h0m0s LGTM for INC-1234\n\nthanks"},
		},
		{
			name:      "equal to the request changes nothing",
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration 4h")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 4h0m0s "},
		},
		{
			name:      "never lengthens; the approval still counts",
			reviews:   []Review{approve(1, "olivia", 1, "ok", "jit: duration 1w")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 0s ok"},
			ignored:   []string{"olivia jit: duration 1w: 1w is longer than the requested 4h; an approver may only shorten the access, so the approval counts for 4h"},
		},
		{
			name:      "an invalid value is recorded",
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration 5h")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 0s "},
			ignored:   []string{`olivia jit: duration 5h: duration "5h" is not one of 1h 2h 4h 8h 12h 1d 2d 3d 1w 2w 1mo; the duration is unchanged and the approval counts`},
		},
		{
			name:      "missing value and unknown directive",
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration", "jit: extend 1w", "jit:")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 0s "},
			ignored: []string{
				`olivia jit: duration: write one duration, e.g. "jit: duration 2h"`,
				`olivia jit: extend 1w: unknown jit: directive "extend"; the only one is "jit: duration <duration>", e.g. jit: duration 2h`,
				`olivia jit:: an empty jit: directive; the only one is "jit: duration <duration>", e.g. jit: duration 2h`,
			},
		},
		{
			name:      "the shortest counted value wins, within and across reviews",
			kind:      KindCustom,
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration 2h", "jit: duration 12h"), approve(2, "ada", 2, "jit: duration 1h")},
			effective: time.Hour,
			approvals: []string{"olivia 2h0m0s ", "ada 1h0m0s "},
			ignored:   []string{"olivia jit: duration 12h: 12h is longer than the requested 4h; an approver may only shorten the access, so the approval counts for 4h"},
		},
		{
			name:      "a later, longer shortening does not undo an earlier, shorter one",
			kind:      KindCustom,
			reviews:   []Review{approve(1, "olivia", 1, "jit: duration 1h"), approve(2, "ada", 2, "jit: duration 2h")},
			effective: time.Hour,
			approvals: []string{"olivia 1h0m0s ", "ada 2h0m0s "},
		},
		{
			name:      "a review that does not count cannot shorten",
			reviews:   []Review{approve(1, "olivia", 1), approve(2, "mallory", 2, "jit: duration 1h"), rv(3, "oscar", ReviewCommented, head, 3, "jit: duration 1h")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 0s "},
		},
		{
			name:      "not at the start of a line",
			reviews:   []Review{approve(1, "olivia", 1, "maybe jit: duration 1h")},
			effective: 4 * time.Hour,
			approvals: []string{"olivia 0s maybe jit: duration 1h"},
		},
		{
			name:      "an admin change has no duration",
			kind:      KindAdminChange,
			reviews:   []Review{approve(1, "ada", 1, "jit: duration 1h")},
			effective: 4 * time.Hour,
			approvals: []string{"ada 0s "},
			ignored:   []string{"ada jit: duration 1h: this pull request is not an access request, so it has no duration to shorten"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = KindStandard
			}
			d, err := Evaluate(baseInput(kind), pr(tt.reviews...), org())
			if err != nil {
				t.Fatal(err)
			}
			var approvals, ignored []string
			for _, a := range d.Approvals {
				approvals = append(approvals, a.By+" "+a.Duration.String()+" "+a.Note)
			}
			for _, ig := range d.IgnoredDirectives {
				ignored = append(ignored, ig.By+" "+ig.Line+": "+ig.Reason)
			}
			if diff := cmp.Diff(tt.approvals, approvals); diff != "" {
				t.Errorf("approvals (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ignored, ignored); diff != "" {
				t.Errorf("ignored directives (-want +got):\n%s", diff)
			}
			if d.EffectiveDuration != tt.effective {
				t.Errorf("EffectiveDuration = %v, want %v", d.EffectiveDuration, tt.effective)
			}
		})
	}
}
