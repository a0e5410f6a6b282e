package inlinepolicy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/wanterr"
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WithStatements(tc.doc, ExpiryGuard(expires))
			if !wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionCutReplacesEarlierCut(t *testing.T) {
	first := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	doc, err := WithStatements("", ExpiryGuard(first.Add(time.Hour)), SessionCut(first))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = WithStatements(doc, ExpiryGuard(first.Add(time.Minute)), SessionCut(first.Add(time.Minute)))
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

func TestMeasureAndCheck(t *testing.T) {
	if got := Measure("{ \"a\":\t\"é b\"\r\n}"); got != (Size{Bytes: 16, Chars: 10}) {
		t.Errorf("Measure = %+v, want 16 bytes, 10 characters besides whitespace", got)
	}
	at := func(chars, spaces int) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:userid":"` +
			strings.Repeat("x", chars) + strings.Repeat(" ", spaces) + `"}}}]}`
	}
	base := Measure(at(0, 0))
	for _, c := range []struct {
		doc  string
		want string
	}{
		{at(MaxChars-base.Chars, 0), ""},
		{at(MaxChars-base.Chars+7, 0), "10247 characters besides whitespace, 7 over AWS's 10240"},
		{at(0, MaxBytes-base.Bytes), ""},
		{at(0, MaxBytes-base.Bytes+3), "32771 bytes, 3 over AWS's 32768"},
	} {
		err := Check(c.doc)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%d bytes) = %v, want %q", len(c.doc), err, c.want)
		}
	}
}

func TestGuardedAddsBothGuards(t *testing.T) {
	doc, err := Guarded(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `"Sid":"JitExpiry"`) || !strings.Contains(doc, `"Sid":"JitSessionCut"`) {
		t.Errorf("Guarded = %s, want both guard statements", doc)
	}
	for _, tm := range []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 23, 59, 59, 999, time.FixedZone("X", 5*3600))} {
		if got, err := WithStatements("", ExpiryGuard(tm), SessionCut(tm)); err != nil || len(got) != len(mustGuarded(t, "")) {
			t.Errorf("guards at %s are %d bytes, want the same size as Guarded's (%v)", tm, len(got), err)
		}
	}
}

func mustGuarded(t *testing.T, doc string) string {
	t.Helper()
	g, err := Guarded(doc)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
