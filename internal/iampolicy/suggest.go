package iampolicy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/jit-access/jit/internal/editdistance"
)

// maxTypos is how far a name may be from a candidate to be suggested:
// enough for a slip or two, not so much that unrelated names come up.
func maxTypos(s string) int { return max(2, len(s)/4) }

// closest returns the candidate nearest to s within maxTypos, or "".
// Ties go to the first candidate in sorted order so output is stable.
func closest(s string, candidates []string, foldCase bool) string {
	key := s
	if foldCase {
		key = strings.ToLower(s)
	}
	best, bestD := "", maxTypos(s)+1
	for _, c := range candidates {
		ck := c
		if foldCase {
			ck = strings.ToLower(c)
		}
		// Bytes, not runes: IAM names are ASCII.
		d := editdistance.Levenshtein([]byte(key), []byte(ck), bestD)
		if d < bestD || d == bestD && best != "" && c < best {
			if d <= maxTypos(s) {
				best, bestD = c, d
			}
		}
	}
	return best
}

func didYouMean(s string) string { return fmt.Sprintf("did you mean %q?", s) }

// suggestAction proposes a catalog action for an unknown "service:Action":
// first a near spelling within the same service, then, for an unknown
// service, a near service that has the action.
func (c *catalog) suggestAction(name string) string {
	prefix, action, _ := strings.Cut(name, ":")
	if s := c.services[strings.ToLower(prefix)]; s != nil {
		if best := closest(action, s.actions, true); best != "" {
			return didYouMean(s.prefix + ":" + best)
		}
		if sugg := c.findAnyService(action); sugg != "" {
			return sugg
		}
		return fmt.Sprintf("%s has no action like %q; see the service's actions in the IAM Service Authorization Reference", s.prefix, action)
	}
	if best := closest(strings.ToLower(prefix), c.prefixes, false); best != "" {
		s := c.services[best]
		if a, ok := s.byLower[strings.ToLower(action)]; ok {
			return didYouMean(s.prefix + ":" + a)
		}
		if a := closest(action, s.actions, true); a != "" {
			return didYouMean(s.prefix + ":" + a)
		}
		return fmt.Sprintf("unknown service prefix %q; did you mean %q?", prefix, s.prefix)
	}
	return fmt.Sprintf("unknown service prefix %q; see the IAM Service Authorization Reference for service prefixes", prefix)
}

// suggestPattern explains a wildcard pattern that matches nothing.
func (c *catalog) suggestPattern(pattern string) string {
	prefix, _, _ := strings.Cut(pattern, ":")
	if strings.ContainsAny(prefix, "*?") || c.services[strings.ToLower(prefix)] != nil {
		return "check the spelling of the action part"
	}
	if best := closest(strings.ToLower(prefix), c.prefixes, false); best != "" {
		return fmt.Sprintf("unknown service prefix %q; did you mean %q?", prefix, best)
	}
	return fmt.Sprintf("unknown service prefix %q", prefix)
}

// commonServices rank first when an action name without its service
// exists in several services: GetObject most likely means s3:GetObject.
var commonServices = []string{"s3", "ec2", "iam", "lambda", "dynamodb", "logs", "cloudwatch", "sqs", "sns",
	"kms", "secretsmanager", "ssm", "sts", "rds", "ecr", "ecs", "eks", "cloudformation", "route53", "elasticloadbalancing"}

// findAnyService proposes "service:Action" for an action name written
// without its service, or "" when no service has it.
func (c *catalog) findAnyService(action string) string {
	l := strings.ToLower(action)
	if l == "" || strings.ContainsAny(l, "*?:") {
		return ""
	}
	var found []string
	for _, p := range commonServices {
		if s := c.services[p]; s != nil {
			if a, ok := s.byLower[l]; ok {
				found = append(found, s.prefix+":"+a)
			}
		}
	}
	for _, p := range c.prefixes {
		s := c.services[p]
		if a, ok := s.byLower[l]; ok && !slices.Contains(commonServices, p) {
			found = append(found, s.prefix+":"+a)
		}
	}
	switch len(found) {
	case 0:
		return ""
	case 1:
		return didYouMean(found[0])
	default:
		return fmt.Sprintf("did you mean %q? (%d services have %s: %s)", found[0], len(found), action, nameList(found, 4))
	}
}

// matchesAny reports whether an action pattern matches any catalog action.
func (c *catalog) matchesAny(pattern string) bool {
	found := false
	c.expand(pattern, func(string) bool {
		found = true
		return false
	})
	return found
}

// escCategory groups the actions approvers must notice by why they matter.
// The privilege-escalation classes are the ones public catalogs of AWS
// privilege-escalation paths group their paths into (Rhino Security Labs'
// "AWS IAM Privilege Escalation – Methods and Mitigation", Datadog's
// pathfinding.cloud): every known path uses an action of one of these
// classes, so a class, not a list of famous examples, is what is checked.
// No package registry serves such a catalog as data; this table is the
// one place the classes are written down.
type escCategory int

const (
	escPassRole escCategory = iota
	escCredentials
	escMembership
	escBoundary
	escCompute
	escTrust
	escAssume
	escIdentityCenter
	escOrganizations
)

var escalationReasons = map[escCategory]string{
	escPassRole:       "it can hand a more powerful role to an AWS service and act through that service",
	escCredentials:    "it can create, reactivate or replace credentials of other IAM users (access keys, passwords, SSH keys, service credentials), which keep working after this grant ends",
	escMembership:     "it can attach or write any permissions for users, groups or roles, or add users to groups, including the principals the holder uses",
	escBoundary:       "it can remove or replace the permissions boundary that limits a user or role",
	escCompute:        "it can run code on compute that holds an IAM role (a function, an instance, a build, a notebook) and act with that role",
	escTrust:          "it can let any principal, including the holder, assume a role",
	escAssume:         "it can assume other roles and act with their permissions",
	escIdentityCenter: "IAM Identity Center controls this very access: its actions read or change users, groups, permission sets and account assignments",
	escOrganizations:  "its actions read or change the AWS organization: accounts, service control policies and delegated administrators",
}

// escalationKinds name each category in messages.
var escalationKinds = map[escCategory]string{
	escPassRole: "privilege-escalation", escCredentials: "privilege-escalation", escMembership: "privilege-escalation",
	escBoundary: "privilege-escalation", escCompute: "privilege-escalation", escTrust: "privilege-escalation",
	escAssume: "privilege-escalation", escIdentityCenter: "IAM Identity Center", escOrganizations: "AWS Organizations",
}

// escalationPatterns are the actions of each class, as lower-case IAM
// patterns expanded against the action catalog.
var escalationPatterns = []struct {
	pattern string
	cat     escCategory
}{
	// Passing roles to services.
	{"iam:passrole", escPassRole},
	// Credentials for other principals.
	{"iam:createaccesskey", escCredentials},
	{"iam:updateaccesskey", escCredentials},
	{"iam:createloginprofile", escCredentials},
	{"iam:updateloginprofile", escCredentials},
	{"iam:createservicespecificcredential", escCredentials},
	{"iam:resetservicespecificcredential", escCredentials},
	{"iam:updateservicespecificcredential", escCredentials},
	{"iam:uploadsshpublickey", escCredentials},
	{"iam:updatesshpublickey", escCredentials},
	{"iam:uploadsigningcertificate", escCredentials},
	{"iam:updatesigningcertificate", escCredentials},
	{"iam:createvirtualmfadevice", escCredentials},
	{"iam:enablemfadevice", escCredentials},
	{"iam:deactivatemfadevice", escCredentials},
	{"iam:resyncmfadevice", escCredentials},
	// Group and policy membership.
	{"iam:addusertogroup", escMembership},
	{"iam:attach*policy", escMembership},
	{"iam:put*policy", escMembership},
	{"iam:createpolicyversion", escMembership},
	{"iam:setdefaultpolicyversion", escMembership},
	// Removing or replacing boundaries.
	{"iam:delete*permissionsboundary", escBoundary},
	{"iam:put*permissionsboundary", escBoundary},
	// Running code on compute that holds a role.
	{"lambda:updatefunctioncode", escCompute},
	{"lambda:updatefunctionconfiguration", escCompute},
	{"lambda:createfunction", escCompute},
	{"lambda:createeventsourcemapping", escCompute},
	{"lambda:addpermission", escCompute},
	{"ssm:sendcommand", escCompute},
	{"ssm:startsession", escCompute},
	{"ssm:createassociation", escCompute},
	{"ec2-instance-connect:sendsshpublickey", escCompute},
	{"ec2-instance-connect:sendserialconsolesshpublickey", escCompute},
	{"ec2:modifyinstanceattribute", escCompute},
	{"ec2:runinstances", escCompute},
	{"ecs:executecommand", escCompute},
	{"ecs:runtask", escCompute},
	{"ecs:registertaskdefinition", escCompute},
	{"codebuild:startbuild", escCompute},
	{"codebuild:updateproject", escCompute},
	{"glue:updatedevendpoint", escCompute},
	{"glue:createdevendpoint", escCompute},
	{"sagemaker:createpresignednotebookinstanceurl", escCompute},
	{"cloudformation:updatestack", escCompute},
	{"cloudformation:createstack", escCompute},
	{"datapipeline:putpipelinedefinition", escCompute},
	// Changing trust.
	{"iam:updateassumerolepolicy", escTrust},
	{"iam:createrole", escTrust},
	// Assuming roles.
	{"sts:assumerole*", escAssume},
	{"sso:*", escIdentityCenter},
	{"sso-directory:*", escIdentityCenter},
	{"identitystore:*", escIdentityCenter},
	{"organizations:*", escOrganizations},
}

// escalationServices are the services escalationPatterns name; a
// wildcard within any other service cannot reach an escalation action.
var escalationServices = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range escalationPatterns {
		prefix, _, _ := strings.Cut(p.pattern, ":")
		m[prefix] = true
	}
	return m
}()

// sensitiveServices are services where "prefix:*" deserves its own
// warning, with why.
var sensitiveServices = map[string]string{
	"iam":            "it can create and change users, roles and policies, including its own",
	"sts":            "it can assume roles and issue credentials",
	"sso":            "it can change IAM Identity Center permission sets and assignments, the access this process controls",
	"sso-directory":  "it can change IAM Identity Center users and groups",
	"identitystore":  "it can change IAM Identity Center users and groups",
	"organizations":  "it can change the AWS organization: accounts, service control policies and delegated administrators",
	"account":        "it can change the account's contacts, regions and settings",
	"kms":            "it can decrypt data and change or schedule deletion of encryption keys",
	"secretsmanager": "it can read and change every secret",
	"cloudtrail":     "it can stop or delete the audit trail",
}

// escalation maps every lower-case "service:action" in the catalog that
// approvers must notice to its category; built once, looked up per action.
var escalation = sync.OnceValues(func() (map[string]escCategory, []string) {
	c := loadCatalog()
	set := map[string]escCategory{}
	var names []string
	for _, p := range escalationPatterns {
		c.expand(p.pattern, func(a string) bool {
			if _, ok := set[strings.ToLower(a)]; !ok {
				set[strings.ToLower(a)] = p.cat
				names = append(names, a)
			}
			return true
		})
	}
	sort.Strings(names)
	return set, names
})

func escalationSet() map[string]escCategory {
	set, _ := escalation()
	return set
}

func escalationActions() []string {
	_, names := escalation()
	return names
}
