package adversarial_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jit-access/jit/schema"
)

// customRequest wraps statements (YAML, indented for the policy's
// Statement list) in a custom permission set request.
func customRequest(policy string) string {
	return `account: payments-prod
custom_permission_set:
  name: Exports
  session_duration: 1h
  inline_policy:
    Version: "2012-10-17"
    Statement:
` + policy + `duration: 2h
justification: "INC-1300: read the payment exports for the incident review"
`
}

// Attack: hide a privilege-escalation action in an innocent-looking custom
// permission set — different case, a wildcard, NotAction, a JSON string —
// hoping the approvers do not spot it. Each must be shown to the approvers
// as a warning: annotated on its line in jit/approval and quoted in the
// sticky comment.
func TestPrivilegeEscalationIsFlaggedToApprovers(t *testing.T) {
	w := newWorld(t)
	for i, tc := range []struct {
		name, policy string
		line         int
		says         string
	}{
		{"plain", "      - Effect: Allow\n        Action: [s3:GetObject, iam:PassRole]\n        Resource: [\"arn:aws:s3:::exports/*\"]\n", 9, "iam:PassRole"},
		{"odd case", "      - Effect: Allow\n        Action: [s3:GetObject, IAM:passrole]\n        Resource: [\"arn:aws:s3:::exports/*\"]\n", 9, "iam:PassRole"},
		{"wildcard", "      - Effect: Allow\n        Action: [s3:GetObject, \"iam:Pas?Ro*\"]\n        Resource: [\"arn:aws:s3:::exports/*\"]\n", 9, "iam:PassRole"},
		{"service wildcard", "      - Effect: Allow\n        Action: [\"sso:*\"]\n        Resource: [\"*\"]\n", 9, "sso"},
		{"organizations", "      - Effect: Allow\n        Action: [\"organizations:*\"]\n        Resource: [\"*\"]\n", 9, "organizations"},
		{"access keys", "      - Effect: Allow\n        Action: [iam:CreateAccessKey]\n        Resource: [\"*\"]\n", 9, "iam:CreateAccessKey"},
		{"attach role policy", "      - Effect: Allow\n        Action: [iam:AttachRolePolicy]\n        Resource: [\"*\"]\n", 9, "iam:AttachRolePolicy"},
		{"NotAction", "      - Effect: Allow\n        NotAction: [s3:DeleteObject]\n        Resource: [\"arn:aws:s3:::exports/*\"]\n", 9, "NotAction"},
		{"everything", "      - Effect: Allow\n        Action: \"*\"\n        Resource: \"*\"\n", 9, "Action \"*\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := w.Open(t, "octocat", "octocat/esc-"+itoa(i), map[string]string{"requests/payments-prod/esc.yaml": customRequest(tc.policy)})
			s := w.State(t, n)
			if s.Validate != "success" {
				t.Fatalf("setup: validate=%q (warnings must not block):\n%s", s.Validate, s.ApprovalSummary)
			}
			warned := false
			for _, a := range s.Annotations {
				if a.GetAnnotationLevel() == "warning" && a.GetStartLine() == tc.line && strings.Contains(a.GetMessage(), tc.says) {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning annotation on line %d mentioning %q: %v", tc.line, tc.says, annotationTexts(s))
			}
			if !strings.Contains(s.ApprovalTitle, "warning") {
				t.Errorf("the check's title does not announce the warnings: %q", s.ApprovalTitle)
			}
			if !strings.Contains(s.Sticky, "Warning for approvers") || !strings.Contains(s.Sticky, tc.says) {
				t.Errorf("the sticky comment does not warn the approvers about %q:\n%s", tc.says, s.Sticky)
			}
		})
	}
}

// Attack: the same escalation through an AWS managed policy instead of an
// inline one. IAMFullAccess is iam:* (attach AdministratorAccess to
// yourself); AWSSSOMasterAccountAdministrator manages Identity Center
// itself, the access jit controls; AWSOrganizationsFullAccess changes the
// organisation. Approvers must be warned as loudly as for AdministratorAccess.
func TestEscalatingManagedPolicyIsFlaggedToApprovers(t *testing.T) {
	t.Parallel()
	cfg := templateConfig(t)
	var missed []string
	for _, policy := range []string{"AdministratorAccess", "IAMFullAccess", "AWSSSOMasterAccountAdministrator", "AWSOrganizationsFullAccess", "arn:aws:iam::aws:policy/IAMFullAccess"} {
		body := "account: payments-prod\ncustom_permission_set:\n  name: X\n  session_duration: 1h\n  managed_policies: [\"" + policy + "\"]\nduration: 2h\n" + justification
		_, findings := schema.ValidateRequest("requests/payments-prod/mp.yaml", []byte(body), cfg, schema.CheckOptions{Requester: "octocat"})
		warned := false
		for _, f := range findings {
			if f.Severity == schema.SeverityWarning && f.Line == 5 {
				warned = true
			}
		}
		if !warned {
			missed = append(missed, policy)
		}
	}
	if len(missed) > 0 {
		knownBug(t, "schema: checkCustom warns only about AdministratorAccess among managed policies; "+
			"no warning for "+strings.Join(missed, ", "))
	}
}

// Attack: the justification is the requester's text, shown to approvers in
// the sticky comment and the check run. A newline and "<!--" there would
// open an HTML block that hides the rest of the comment — the inline
// policy and the warnings for approvers — and a markdown heading would fake
// the App's own verdict.
func TestJustificationCannotRewriteTheStickyComment(t *testing.T) {
	w := newWorld(t)
	policy := "      - Effect: Allow\n        Action: [s3:GetObject, iam:PassRole]\n        Resource: [\"arn:aws:s3:::exports/*\"]\n"
	body := strings.Replace(customRequest(policy),
		`justification: "INC-1300: read the payment exports for the incident review"`,
		`justification: "INC-1300: read the payment exports\n\n### jit: approved\n\nNo warnings.\n\n<!--"`, 1)
	n := w.Open(t, "octocat", "octocat/inject", map[string]string{"requests/payments-prod/inject.yaml": body})
	s := w.State(t, n)
	if s.Validate == "" {
		t.Fatal("no jit/approval check")
	}
	if s.Validate == "success" {
		for name, text := range map[string]string{"sticky comment": s.Sticky, "jit/approval summary": s.ApprovalSummary} {
			if strings.Contains(text, "\n<!--") || strings.Contains(text, "\n### jit: approved") {
				t.Logf("%s:\n%s", name, text)
				knownBug(t, "app: requestSummary writes the justification raw into the "+name+
					" (only | is escaped): a newline plus \"<!--\" hides the inline policy and the warnings for approvers, "+
					"and a heading fakes the verdict")
			}
		}
	}
}

// Attack: a justification that looks long enough but says nothing (zero-
// width characters), or that reads differently from what it says (a
// right-to-left override, terminal escapes), in the audit record.
func TestInvisibleOrDeceptiveJustification(t *testing.T) {
	t.Parallel()
	cfg := templateConfig(t)
	var accepted []string
	for name, j := range map[string]string{
		"zero-width spaces":      strings.Repeat(`\u200b`, 12),
		"right-to-left override": `INC-1234 \u202edecnuonna\u202c by the on-call`,
		"terminal escape":        `INC-1234 \e[8mhidden text here`,
	} {
		body := "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: \"" + j + "\"\n"
		_, findings := schema.ValidateRequest("requests/payments-prod/j.yaml", []byte(body), cfg, schema.CheckOptions{Requester: "octocat"})
		if !schema.HasErrors(findings) {
			accepted = append(accepted, name)
		}
	}
	if len(accepted) > 0 {
		slices.Sort(accepted)
		knownBug(t, "schema: a justification with "+strings.Join(accepted, ", ")+
			" is accepted; invisible and control characters should be errors and not count toward the 10 characters")
	}
}
