// Package rolepolicy writes the IAM policies of the role the reconcile
// Action assumes: its permissions (Provisioner), generated from the
// repository's config so that the role can touch only what jit owns or the
// config names, and its OIDC trust policy (Trust).
//
// Resource types and condition keys follow the Service Authorization
// Reference for IAM Identity Center (prefix sso) and the identity store
// (prefix identitystore). Where an action authorizes against several
// resources at once (an assignment checks the instance, the permission set
// and the account), IAM evaluates each resource against the statements on
// its own; a tag condition can only hold for the permission set, so the
// instance and account ARNs sit in statements of their own without it.
package rolepolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/schema"
)

// Environment is the GitHub deployment environment the reconcile workflow
// runs in; the trust policy admits only tokens issued to it.
const Environment = "jit"

// Statement is one statement of an IAM policy, in the order AWS shows its
// elements.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// JSON renders the document with two-space indentation and a final
// newline, as the checked-in files hold it.
func (d Document) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	// A Document holds only strings, slices and maps of them: encoding
	// cannot fail.
	_ = enc.Encode(d)
	return buf.Bytes()
}

var instanceARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):sso:::instance/((?:sso)?ins-[a-zA-Z0-9.-]{16})$`)

// Instance splits an Identity Center instance ARN into its partition and
// instance id.
func Instance(arn string) (partition, id string, err error) {
	m := instanceARN.FindStringSubmatch(arn)
	if m == nil {
		return "", "", fmt.Errorf("%q is not an IAM Identity Center instance ARN such as arn:aws:sso:::instance/ssoins-0123456789abcdef", arn)
	}
	return m[1], m[2], nil
}

// readActions are the sso calls the adapter makes to look, never to change.
var readActions = []string{
	"sso:DescribeAccountAssignmentCreationStatus",
	"sso:DescribeAccountAssignmentDeletionStatus",
	"sso:DescribePermissionSet",
	"sso:DescribePermissionSetProvisioningStatus",
	"sso:GetInlinePolicyForPermissionSet",
	"sso:GetPermissionsBoundaryForPermissionSet",
	"sso:ListAccountAssignmentCreationStatus",
	"sso:ListAccountAssignmentDeletionStatus",
	"sso:ListAccountAssignments",
	"sso:ListAccountAssignmentsForPrincipal",
	"sso:ListAccountsForProvisionedPermissionSet",
	"sso:ListCustomerManagedPolicyReferencesInPermissionSet",
	"sso:ListManagedPoliciesInPermissionSet",
	"sso:ListPermissionSets",
	"sso:ListTagsForResource",
}

// assignActions create and remove assignments.
var assignActions = []string{
	"sso:CreateAccountAssignment",
	"sso:DeleteAccountAssignment",
}

// changeActions change, provision and delete a set; the adapter uses them
// on jit's own sets only.
var changeActions = []string{
	"sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
	"sso:AttachManagedPolicyToPermissionSet",
	"sso:DeletePermissionSet",
	"sso:DeletePermissionsBoundaryFromPermissionSet",
	"sso:DetachCustomerManagedPolicyReferenceFromPermissionSet",
	"sso:DetachManagedPolicyFromPermissionSet",
	"sso:ProvisionPermissionSet",
	"sso:PutInlinePolicyToPermissionSet",
	"sso:PutPermissionsBoundaryToPermissionSet",
}

// Provisioner returns the permissions policy of the reconcile role for cfg:
//   - read-only access to the instance;
//   - Create/DeleteAccountAssignment only with the config's permission sets
//     and with sets tagged jit:managed=true;
//   - CreatePermissionSet and TagResource only with jit's own tag keys and
//     jit:managed=true, and TagResource only on sets that already carry it;
//   - changing, provisioning and deleting only sets tagged jit:managed=true;
//   - identitystore:GetUserId in the configured identity store;
//   - listing the instances and reading the organisation's accounts and
//     OUs, which jit sync compares with the config (read-only; these calls
//     have no resource to limit them to);
//   - kms:Decrypt of the instance's customer managed key, when the config
//     names one;
//   - when the config allows requests for the management account, the IAM
//     role and SAML provider actions AWS documents for assignments there.
func Provisioner(cfg *schema.Config) (Document, error) {
	if cfg == nil {
		return Document{}, errors.New("no config")
	}
	ic := cfg.IdentityCenter
	partition, instance, err := Instance(ic.InstanceARN)
	if err != nil {
		return Document{}, fmt.Errorf("identity_center.instance_arn: %w", err)
	}
	arn := func(rest string) string { return "arn:" + partition + ":" + rest }
	instanceRes := ic.InstanceARN
	setsRes := arn("sso:::permissionSet/" + instance + "/*")
	accountsRes := arn("sso:::account/*")

	var configured []string
	for _, ps := range cfg.PermissionSets {
		configured = append(configured, ps.ARN)
	}
	slices.Sort(configured)
	configured = slices.Compact(configured)

	managed := map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + identitycenter.TagManaged: "true"}}
	ownTags := map[string]map[string]any{
		"StringEquals":              {"aws:RequestTag/" + identitycenter.TagManaged: "true"},
		"ForAllValues:StringEquals": {"aws:TagKeys": []string{identitycenter.TagManaged, identitycenter.TagRequest}},
	}
	taggedAndOwnTags := map[string]map[string]any{
		"StringEquals": {
			"aws:RequestTag/" + identitycenter.TagManaged:  "true",
			"aws:ResourceTag/" + identitycenter.TagManaged: "true",
		},
		"ForAllValues:StringEquals": {"aws:TagKeys": []string{identitycenter.TagManaged, identitycenter.TagRequest}},
	}

	stmts := []Statement{
		{
			Sid: "ReadIdentityCenter", Effect: "Allow", Action: readActions,
			Resource: []string{instanceRes, setsRes, accountsRes},
		},
		{
			Sid: "ResolveRequesters", Effect: "Allow", Action: []string{"identitystore:GetUserId"},
			// The identity store's ARN carries the account that holds the
			// instance, which the config does not name; its id is unique.
			Resource: []string{
				arn("identitystore::*:identitystore/" + ic.IdentityStoreID),
				arn("identitystore:::user/*"),
			},
		},
		{
			Sid: "DiscoverForJitSync", Effect: "Allow",
			Action: []string{
				"organizations:DescribeOrganizationalUnit",
				"organizations:ListAccounts",
				"organizations:ListParents",
				"sso:ListInstances",
			},
			Resource: []string{"*"},
		},
		{
			// The instance and the accounts, which carry no jit:managed
			// tag, for the actions the statements below limit by set.
			Sid: "WriteThroughTheInstance", Effect: "Allow",
			Action:   sortedUnion(assignActions, changeActions, []string{"sso:CreatePermissionSet"}),
			Resource: []string{instanceRes, accountsRes},
		},
	}
	if len(configured) > 0 {
		stmts = append(stmts, Statement{
			Sid: "AssignTheConfiguredPermissionSets", Effect: "Allow", Action: assignActions,
			Resource: configured,
		})
	}
	stmts = append(stmts,
		Statement{
			Sid: "AssignAndChangeOnlyJitPermissionSets", Effect: "Allow",
			Action:    sortedUnion(assignActions, changeActions),
			Resource:  []string{setsRes},
			Condition: managed,
		},
		Statement{
			Sid: "CreateOnlyWithJitTags", Effect: "Allow", Action: []string{"sso:CreatePermissionSet"},
			Resource:  []string{setsRes},
			Condition: ownTags,
		},
		Statement{
			Sid: "TagOnlyJitPermissionSetsWithJitTags", Effect: "Allow", Action: []string{"sso:TagResource"},
			Resource:  []string{setsRes},
			Condition: taggedAndOwnTags,
		},
	)
	if key := ic.KMSKeyARN; key != "" {
		stmts = append(stmts, Statement{
			Sid: "DecryptWithTheInstanceKey", Effect: "Allow", Action: []string{"kms:Decrypt"},
			Resource: []string{key},
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": []string{
				"identitystore." + ic.Region + ".amazonaws.com" + dnsSuffix(partition),
				"sso." + ic.Region + ".amazonaws.com" + dnsSuffix(partition),
			}}},
		})
	}
	if m, ok := cfg.ManagementAccount(); ok && cfg.AllowManagementAccount {
		stmts = append(stmts, managementAccount(arn, m.ID)...)
	}
	return Document{Version: "2012-10-17", Statement: stmts}, nil
}

// managementAccount holds the permissions that assignments in the
// organization's management account need from the caller. Elsewhere
// Identity Center's service-linked role creates the role and the SAML
// provider of an assignment; its policy, AWSSSOServiceRolePolicy, excludes
// the management account (aws:PrincipalOrgMasterAccountId), where the
// caller's own permissions are used. These are that policy's IAM actions,
// on the same reserved path and names, in the management account only.
func managementAccount(arn func(string) string, account string) []Statement {
	return []Statement{
		{
			Sid: "IdentityCenterRolesInTheManagementAccount", Effect: "Allow",
			Action: []string{
				"iam:AttachRolePolicy",
				"iam:CreateRole",
				"iam:DeleteRole",
				"iam:DeleteRolePermissionsBoundary",
				"iam:DeleteRolePolicy",
				"iam:DetachRolePolicy",
				"iam:GetRole",
				"iam:ListAttachedRolePolicies",
				"iam:ListRolePolicies",
				"iam:PutRolePermissionsBoundary",
				"iam:PutRolePolicy",
				"iam:UpdateAssumeRolePolicy",
				"iam:UpdateRole",
				"iam:UpdateRoleDescription",
			},
			Resource: []string{arn("iam::" + account + ":role/aws-reserved/sso.amazonaws.com/*")},
		},
		{
			Sid: "IdentityCenterSAMLProviderInTheManagementAccount", Effect: "Allow",
			Action: []string{
				"iam:CreateSAMLProvider",
				"iam:DeleteSAMLProvider",
				"iam:GetSAMLProvider",
				"iam:UpdateSAMLProvider",
			},
			Resource: []string{arn("iam::" + account + ":saml-provider/AWSSSO_*")},
		},
	}
}

// dnsSuffix is what the partition adds to amazonaws.com in service
// endpoints (China's are amazonaws.com.cn).
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return ".cn"
	}
	return ""
}

func sortedUnion(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var (
	repoName  = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$`)
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
)

// Trust returns the trust policy of the reconcile role: GitHub's OIDC
// provider in account may assume it, for tokens with the STS audience that
// GitHub issued to a workflow job of repo (OWNER/NAME) running in the jit
// environment.
func Trust(repo, account, partition string) (Document, error) {
	if !repoName.MatchString(repo) {
		return Document{}, fmt.Errorf("repository %q is not OWNER/NAME, e.g. acme/access", repo)
	}
	if !accountID.MatchString(account) {
		return Document{}, fmt.Errorf("account %q is not a 12-digit AWS account id", account)
	}
	if !slices.Contains([]string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"}, partition) {
		return Document{}, fmt.Errorf("partition %q is not an AWS partition", partition)
	}
	const issuer = "token.actions.githubusercontent.com"
	return Document{Version: "2012-10-17", Statement: []Statement{{
		Sid:       "GitHubActionsInTheJitEnvironmentOfTheAccessRepository",
		Effect:    "Allow",
		Principal: map[string]string{"Federated": "arn:" + partition + ":iam::" + account + ":oidc-provider/" + issuer},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{"StringEquals": {
			issuer + ":aud": "sts.amazonaws.com",
			// GitHub compares the owner and name as written in the
			// token; they are lower-cased there only if written so.
			issuer + ":sub": "repo:" + repo + ":environment:" + Environment,
		}},
	}}}, nil
}
