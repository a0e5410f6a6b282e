package identitycenter

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWithStatements(t *testing.T) {
	expires := time.Date(2026, 11, 23, 14, 5, 40, 999, time.FixedZone("CET", 3600))
	guard := `{"Action":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-11-23T13:05:40Z"}},"Effect":"Deny","Resource":"*","Sid":"JitExpiry"}`
	tests := []struct {
		name, doc string
		want      string
		wantErr   string
	}{
		{name: "no policy", doc: "",
			want: `{"Statement":[` + guard + `],"Version":"2012-10-17"}`},
		{name: "single statement object", doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::b/*"},` + guard + `],"Version":"2012-10-17"}`},
		{name: "list kept in order, numbers and ampersands intact", doc: `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10.50}}},{"Sid":"B","Effect":"Allow","Action":"ec2:Describe*","Resource":"*","Condition":{"StringLike":{"aws:userid":"a&b"}}}]}`,
			want: `{"Statement":[{"Action":"s3:*","Condition":{"NumericLessThan":{"s3:max-keys":10.50}},"Effect":"Allow","Resource":"*","Sid":"A"},{"Action":"ec2:Describe*","Condition":{"StringLike":{"aws:userid":"a&b"}},"Effect":"Allow","Resource":"*","Sid":"B"},` + guard + `],"Version":"2012-10-17"}`},
		{name: "a requester's JitExpiry is replaced", doc: `{"Version":"2012-10-17","Statement":[{"Sid":"JitExpiry","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: `{"Statement":[` + guard + `],"Version":"2012-10-17"}`},
		{name: "missing version gets one", doc: `{"Statement":[]}`,
			want: `{"Statement":[` + guard + `],"Version":"2012-10-17"}`},
		{name: "bad JSON", doc: `{"Statement":`, wantErr: "reading inline policy"},
		{name: "two documents", doc: `{} {}`, wantErr: "more than one JSON document"},
		{name: "statement is a string", doc: `{"Statement":"x"}`, wantErr: "Statement is string"},
		{name: "too big with the guard", doc: `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("x", maxInlineBytes-150) + `","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			wantErr: "AWS allows 32768"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withStatements(tc.doc, expiryGuard(expires))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionCutReplacesEarlierCut(t *testing.T) {
	first := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	doc, err := withStatements("", expiryGuard(first.Add(time.Hour)), sessionCut(first))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = withStatements(doc, expiryGuard(first.Add(time.Minute)), sessionCut(first.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Statement":[` +
		`{"Action":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T10:01:00Z"}},"Effect":"Deny","Resource":"*","Sid":"JitExpiry"},` +
		`{"Action":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-01-01T10:01:00Z"}},"Effect":"Deny","Resource":"*","Sid":"JitSessionCut"}` +
		`],"Version":"2012-10-17"}`
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
}

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
	for in, want := range map[string]string{
		"ReadOnlyAccess":                          "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"job-function/ViewOnlyAccess":             "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess": "arn:aws:iam::aws:policy/PowerUserAccess",
	} {
		if got := managedPolicyARN(in); got != want {
			t.Errorf("managedPolicyARN(%q) = %q, want %q", in, got, want)
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
