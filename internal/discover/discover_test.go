package discover

import (
	"testing"
	"time"
)

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"": time.Hour, "PT1H": time.Hour, "PT12H": 12 * time.Hour, "PT1H30M": 90 * time.Minute, "PT90S": 90 * time.Second} {
		if got, err := parseISODuration(in); err != nil || got != want {
			t.Errorf("parseISODuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"PT", "1H", "P1D", "PTxH"} {
		if _, err := parseISODuration(bad); err == nil {
			t.Errorf("parseISODuration(%q) accepted it", bad)
		}
	}
}

func TestManagementAccount(t *testing.T) {
	if got := managementAccount("arn:aws:organizations::999988887777:account/o-a1b2c3d4e5/111122223333"); got != "999988887777" {
		t.Errorf("managementAccount = %q", got)
	}
	if got := managementAccount("not an arn"); got != "" {
		t.Errorf("managementAccount of garbage = %q", got)
	}
}
