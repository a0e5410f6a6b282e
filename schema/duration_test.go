package schema

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "1h", want: time.Hour},
		{in: "12h", want: 12 * time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "1mo", want: 30 * 24 * time.Hour},
		{in: "3h", wantErr: true},
		{in: "90m", wantErr: true},
		{in: "", wantErr: true},
		{in: "1H", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if !tt.wantErr && FormatDuration(got) != tt.in {
			t.Errorf("FormatDuration(%v) = %q, want %q", got, FormatDuration(got), tt.in)
		}
	}
}
