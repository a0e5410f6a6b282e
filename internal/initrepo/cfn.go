package initrepo

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/jit-access/jit/internal/rolepolicy"
	"github.com/jit-access/jit/schema"
)

// AWSFiles renders the AWS side of an access repository for its config: the
// provisioner policy (exactly jit policy provisioner's output) and the
// CloudFormation template of the role, trusted by repo's jit environment.
func AWSFiles(repo string, cfg *schema.Config) (map[string][]byte, error) {
	prov, err := rolepolicy.Provisioner(cfg)
	if err != nil {
		return nil, fmt.Errorf("writing the provisioner policy: %w", err)
	}
	// The template sets the trusted provider from the stack's own account,
	// so the account given here never reaches the file.
	trust, err := rolepolicy.Trust(repo, "000000000000", cfg.Partition())
	if err != nil {
		return nil, fmt.Errorf("writing the trust policy: %w", err)
	}
	role, err := RoleTemplate(repo, trust, prov)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{ProvisionerPolicyPath: prov.JSON(), RoleTemplatePath: role}, nil
}

// Paths of the AWS files an access repository gets.
const (
	ProvisionerPolicyPath = "aws/provisioner-policy.json"
	RoleTemplatePath      = "aws/jit-role.template.json"
)

// oidcIssuer is GitHub Actions' OIDC issuer.
const oidcIssuer = "token.actions.githubusercontent.com"

// RoleTemplate is a CloudFormation template of the reconcile role: trusted
// as trust says, with provisioner as its only permissions, and GitHub's OIDC
// provider created by the stack unless CreateOIDCProvider is false (the
// provider exists once per account). trust comes from rolepolicy.Trust; its
// Federated principal is replaced by the provider of the stack's account.
func RoleTemplate(repo string, trust, provisioner rolepolicy.Document) ([]byte, error) {
	if len(trust.Statement) != 1 {
		return nil, fmt.Errorf("the trust policy has %d statements, want 1", len(trust.Statement))
	}
	// The trust statement with its Federated principal as a CloudFormation
	// expression: the stack's own provider, or the account's existing one.
	var st map[string]any
	b, err := json.Marshal(trust.Statement[0])
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	st["Principal"] = map[string]any{"Federated": map[string]any{"Fn::If": []any{
		"CreateProvider",
		map[string]any{"Ref": "GitHubOIDCProvider"},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/" + oidcIssuer},
	}}}
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              fmt.Sprintf("jit: the role the reconcile workflow of %s assumes through GitHub OIDC (environment %s), allowed only what jit owns or its config names. Written by jit init.", repo, rolepolicy.Environment),
		"Parameters": map[string]any{
			"CreateOIDCProvider": map[string]any{
				"Type":          "String",
				"AllowedValues": []string{"true", "false"},
				"Default":       "true",
				"Description":   "false when the account already has GitHub's OIDC provider (" + oidcIssuer + ")",
			},
		},
		"Conditions": map[string]any{
			"CreateProvider": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "CreateOIDCProvider"}, "true"}},
		},
		"Resources": map[string]any{
			"GitHubOIDCProvider": map[string]any{
				"Type":      "AWS::IAM::OIDCProvider",
				"Condition": "CreateProvider",
				"Properties": map[string]any{
					"Url":          "https://" + oidcIssuer,
					"ClientIdList": []string{"sts.amazonaws.com"},
				},
			},
			"ReconcileRole": map[string]any{
				"Type": "AWS::IAM::Role",
				"Properties": map[string]any{
					"Description":              "jit reconcile for " + repo,
					"MaxSessionDuration":       3600,
					"AssumeRolePolicyDocument": map[string]any{"Version": trust.Version, "Statement": []any{st}},
					"Policies": []any{map[string]any{
						"PolicyName":     "jit-provisioner",
						"PolicyDocument": provisioner,
					}},
				},
			},
		},
		"Outputs": map[string]any{
			"RoleArn": map[string]any{
				"Description": "Set it as the repository variable JIT_AWS_ROLE_ARN",
				"Value":       map[string]any{"Fn::GetAtt": []string{"ReconcileRole", "Arn"}},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tmpl); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
