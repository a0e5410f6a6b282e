package iampolicy

import "testing"

// Each privilege-escalation class is recognised through actions that
// passed silently before it was written down as a class.
func TestEscalationClasses(t *testing.T) {
	for _, c := range []struct {
		class   escCategory
		actions []string
	}{
		{escCredentials, []string{"iam:CreateServiceSpecificCredential", "iam:UploadSSHPublicKey", "iam:UpdateAccessKey", "iam:CreateLoginProfile"}},
		{escMembership, []string{"iam:AddUserToGroup", "iam:AttachRolePolicy", "iam:CreatePolicyVersion"}},
		{escBoundary, []string{"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary", "iam:PutRolePermissionsBoundary"}},
		{escCompute, []string{"lambda:UpdateFunctionCode", "ssm:SendCommand", "ec2-instance-connect:SendSSHPublicKey", "ssm:StartSession", "codebuild:StartBuild"}},
		{escPassRole, []string{"iam:PassRole"}},
		{escTrust, []string{"iam:UpdateAssumeRolePolicy"}},
	} {
		for _, a := range c.actions {
			_, issues := LintJSON([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + a + `","Resource":"arn:aws:iam::111122223333:role/x"}]}`))
			want := "statement 1: " + a + " is a privilege-escalation action: " + escalationReasons[c.class]
			found := false
			for _, is := range issues {
				if is.Severity == Warning && is.Message == want {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no warning %q; got %+v", a, want, issues)
			}
		}
	}
}

// Every pattern of the class table names actions that exist, so a typo in
// the table cannot silently drop an action from its class.
func TestEscalationPatternsMatchTheCatalog(t *testing.T) {
	c := loadCatalog()
	for _, p := range escalationPatterns {
		n := 0
		c.expand(p.pattern, func(string) bool { n++; return true })
		if n == 0 {
			t.Errorf("pattern %s matches no action of %s", p.pattern, c.source)
		}
		if escalationReasons[p.cat] == "" || escalationKinds[p.cat] == "" {
			t.Errorf("pattern %s: class %d has no reason or kind", p.pattern, p.cat)
		}
	}
}
