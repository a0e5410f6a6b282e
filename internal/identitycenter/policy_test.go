package identitycenter

import (
	"testing"
	"time"
)

func TestISODuration(t *testing.T) {
	for _, tc := range []struct {
		d   time.Duration
		iso string
	}{
		{time.Hour, "PT1H"},
		{4 * time.Hour, "PT4H"},
		{90 * time.Minute, "PT1H30M"},
		{12*time.Hour + 5*time.Second, "PT12H5S"},
		{0, "PT0S"},
	} {
		if got := isoDuration(tc.d); got != tc.iso {
			t.Errorf("isoDuration(%s) = %q, want %q", tc.d, got, tc.iso)
		}
		if got, err := parseISODuration(tc.iso); err != nil || got != tc.d {
			t.Errorf("parseISODuration(%q) = %s, %v; want %s", tc.iso, got, err, tc.d)
		}
	}
	if got, err := parseISODuration("P1DT2H"); err != nil || got != 26*time.Hour {
		t.Errorf("parseISODuration(P1DT2H) = %s, %v", got, err)
	}
	for _, bad := range []string{"", "P", "PT", "4h", "PT4.5H", "PT-1H"} {
		if _, err := parseISODuration(bad); err == nil {
			t.Errorf("parseISODuration(%q) accepted", bad)
		}
	}
}

func TestSetName(t *testing.T) {
	taken := func(names ...string) func(string) bool {
		return func(n string) bool {
			for _, x := range names {
				if x == n {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		base  string
		taken []string
		want  string
	}{
		{"S3Read", nil, "JIT-S3Read"},
		{"S3Read", []string{"JIT-S3Read"}, "JIT-S3Read-2"},
		{"S3Read", []string{"JIT-S3Read", "JIT-S3Read-2"}, "JIT-S3Read-3"},
		{"ExactlyTwentyEightCharacters", nil, "JIT-ExactlyTwentyEightCharacters"},
		{"ExactlyTwentyEightCharacters", []string{"JIT-ExactlyTwentyEightCharacters"}, "JIT-ExactlyTwentyEightCharacte-2"},
		{"has spaces/and:colons", nil, "JIT-has-spaces-and-colons"},
		{"", nil, "JIT-grant"},
	}
	for _, tc := range tests {
		got := setName(tc.base, taken(tc.taken...))
		if got != tc.want {
			t.Errorf("setName(%q, taken %v) = %q, want %q", tc.base, tc.taken, got, tc.want)
		}
		if len(got) > maxSetNameLen {
			t.Errorf("setName(%q) = %q is %d characters, AWS allows 32", tc.base, got, len(got))
		}
	}
}

func TestManagedPolicyARN(t *testing.T) {
	const global, china = "arn:aws:sso:::instance/ssoins-0123456789abcdef", "arn:aws-cn:sso:::instance/ssoins-0123456789abcdef"
	for _, c := range []struct{ instance, in, want string }{
		{global, "ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{global, "job-function/ViewOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
		{global, "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/PowerUserAccess"},
		{china, "job-function/ViewOnlyAccess", "arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess"},
	} {
		if got := managedPolicyARN(c.instance, c.in); got != c.want {
			t.Errorf("managedPolicyARN(%q, %q) = %q, want %q", c.instance, c.in, got, c.want)
		}
	}
}

func TestFullJitterStaysWithinBounds(t *testing.T) {
	f := fullJitter{base: 100 * time.Millisecond, max: time.Second}
	for attempt, limit := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 200 {
			d, err := f.BackoffDelay(attempt, nil)
			if err != nil || d < 0 || d > limit {
				t.Fatalf("BackoffDelay(%d) = %s, %v; want within [0, %s]", attempt, d, err, limit)
			}
		}
	}
}
