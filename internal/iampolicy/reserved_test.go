package iampolicy

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Canonical and Lint are one reading: the document Lint returns (what the
// approvers are shown) is the one Canonical gives the ledger and AWS.
func TestCanonicalIsLintsDocument(t *testing.T) {
	for _, src := range []string{
		"Version: 2012-10-17\nStatement:\n  - Effect: Deny\n    Action: '*'\n    Resource: '*'\n    Condition: {StringNotEquals: {aws:ResourceAccount: 012345678901}, NumericLessThan: {s3:max-keys: 10}, Bool: {aws:SecureTransport: false}}\n",
		`'{ "Version": "2012-10-17", "Statement": [ {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"} ] }'`,
		"|\n  {\"Version\": \"2012-10-17\",\n   \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}\n",
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		want, _ := Lint(&doc)
		got, err := Canonical(&doc)
		if err != nil || string(got) != string(want) {
			t.Errorf("Canonical(%q) = %s, %v; Lint gives %s", src, got, err, want)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(`Version: 2012-10-17`+"\nStatement: [{Effect: Deny, Action: '*', Resource: '*', Condition: {StringEquals: {aws:PrincipalAccount: 012345678901}}}]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	got, _ := Canonical(&doc)
	if !strings.Contains(string(got), `"Version":"2012-10-17"`) || !strings.Contains(string(got), `"012345678901"`) {
		t.Errorf("Canonical changed the text approvers read: %s", got)
	}
}

func TestCanonicalErrors(t *testing.T) {
	for src, want := range map[string]string{
		"'{'":                      "the document ends",
		"[a, b]":                   "must be a policy document",
		"Statement: &a [x]\nX: *a": "aliases",
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		if _, err := Canonical(&doc); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Canonical(%q) error = %v, want one containing %q", src, err, want)
		}
	}
}

func TestReservedSidIsAnError(t *testing.T) {
	for _, sid := range []string{"JitExpiry", "JitSessionCut", "JITEXPIRY"} {
		_, issues := LintJSON([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))
		found := false
		for _, is := range issues {
			if is.Severity == Error && is.Line == 1 && is.Col == 45 && strings.Contains(is.Message, "reserved") {
				found = true
			}
		}
		if !found {
			t.Errorf("Sid %s: no error at its position saying it is reserved: %+v", sid, issues)
		}
	}
	if ReservedSid("JitExpiryX") || ReservedSid("ReadLogs") {
		t.Error("ReservedSid reserves more than jit's guard ids")
	}
}
