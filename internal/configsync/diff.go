// Package configsync compares an access repository's config with what AWS
// has (jit sync) and edits the config's YAML to match: accounts are matched
// by id, permission sets by ARN. New accounts are written out one by one
// with their OU path in a comment and no permission sets, so an SSO admin
// decides what each offers; accounts and permission sets AWS no longer has
// (or whose account is suspended or closing) are removed. The config names
// no OUs: sync writes the accounts out rather than the config expanding OUs.
package configsync

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jit-access/jit/internal/discover"
	"github.com/jit-access/jit/internal/initrepo"
	"github.com/jit-access/jit/schema"
)

// NewAccount is an account AWS has and the config lacks.
type NewAccount struct {
	// Name is the folder name it gets in the config (unique there).
	Name string
	discover.Account
}

// Gone is an account or permission set the config lists and AWS no longer
// offers.
type Gone struct {
	Name string // its name in the config
	ID   string // the account id or the permission set's ARN
	// Reason says why: "not in the organisation", "SUSPENDED", "not in the instance".
	Reason string
}

// Diff is what differs between the config and AWS.
type Diff struct {
	NewAccounts  []NewAccount
	GoneAccounts []Gone
	NewSets      []discover.PermissionSet
	GoneSets     []Gone
}

// Empty reports whether the config matches AWS.
func (d Diff) Empty() bool {
	return len(d.NewAccounts)+len(d.GoneAccounts)+len(d.NewSets)+len(d.GoneSets) == 0
}

// Compare finds what AWS has that cfg lacks and what cfg lists that AWS no
// longer has.
func Compare(cfg *schema.Config, aws discover.Result) Diff {
	var d Diff
	active := map[string]bool{}
	for _, a := range aws.Accounts {
		active[a.ID] = true
	}
	inactive := map[string]string{}
	for _, a := range aws.InactiveAccounts {
		inactive[a.ID] = a.Status
	}
	listed := map[string]bool{}
	taken := map[string]bool{}
	for _, a := range cfg.Accounts {
		listed[a.ID] = true
		switch {
		case active[a.ID]:
			taken[a.Name] = true
		case inactive[a.ID] != "":
			d.GoneAccounts = append(d.GoneAccounts, Gone{Name: a.Name, ID: a.ID, Reason: inactive[a.ID]})
		default:
			d.GoneAccounts = append(d.GoneAccounts, Gone{Name: a.Name, ID: a.ID, Reason: "not in the organisation"})
		}
	}
	var fresh []discover.Account
	for _, a := range aws.Accounts {
		if !listed[a.ID] {
			fresh = append(fresh, a)
		}
	}
	ids := make([]string, len(fresh))
	names := make([]string, len(fresh))
	for i, a := range fresh {
		ids[i], names[i] = a.ID, a.Name
	}
	for i, folder := range initrepo.FolderNames(ids, names) {
		if taken[folder] {
			folder += "-" + fresh[i].ID
		}
		taken[folder] = true
		d.NewAccounts = append(d.NewAccounts, NewAccount{Name: folder, Account: fresh[i]})
	}

	inAWS := map[string]bool{}
	for _, ps := range aws.PermissionSets {
		inAWS[ps.ARN] = true
	}
	listedSets := map[string]bool{}
	setNames := map[string]bool{}
	for _, ps := range cfg.PermissionSets {
		listedSets[ps.ARN] = true
		if inAWS[ps.ARN] {
			setNames[ps.Name] = true
		} else {
			d.GoneSets = append(d.GoneSets, Gone{Name: ps.Name, ID: ps.ARN, Reason: "not in the instance"})
		}
	}
	for _, ps := range aws.PermissionSets {
		if listedSets[ps.ARN] {
			continue
		}
		if setNames[ps.Name] {
			// The config gave this name to another set: keep both apart.
			ps.Name += "-" + ps.ARN[strings.LastIndex(ps.ARN, "/")+1:]
		}
		setNames[ps.Name] = true
		d.NewSets = append(d.NewSets, ps)
	}
	slices.SortFunc(d.NewAccounts, func(a, b NewAccount) int { return strings.Compare(a.Name, b.Name) })
	return d
}

// Summary is the pull request's body: what changed and what the admins
// should do about it.
func (d Diff) Summary() string {
	var b strings.Builder
	b.WriteString("`jit sync` found differences between `.github/jit.yaml` and AWS IAM Identity Center.\n")
	b.WriteString("This pull request changes only `.github/jit.yaml`; review it like any config change.\n")
	if len(d.NewAccounts) > 0 {
		b.WriteString("\n### New accounts\nThey offer no permission sets until you list some under `permission_sets:`; consider adding their owners to CODEOWNERS (`/requests/<name>/`).\n\n")
		for _, a := range d.NewAccounts {
			fmt.Fprintf(&b, "- `%s`: %s (%s), %s\n", a.Name, a.ID, a.Account.Name, a.Path)
		}
	}
	if len(d.GoneAccounts) > 0 {
		b.WriteString("\n### Accounts removed\nAWS no longer offers them; their CODEOWNERS lines and request folders are left for you to tidy.\n\n")
		for _, a := range d.GoneAccounts {
			fmt.Fprintf(&b, "- `%s`: %s, %s\n", a.Name, a.ID, a.Reason)
		}
	}
	if len(d.NewSets) > 0 {
		b.WriteString("\n### New permission sets\nNo account offers them until you add them to an account's `permission_sets:`.\n\n")
		for _, ps := range d.NewSets {
			fmt.Fprintf(&b, "- `%s`: %s\n", ps.Name, ps.ARN)
		}
	}
	if len(d.GoneSets) > 0 {
		b.WriteString("\n### Permission sets removed\nAlso removed from every account and auto-approval rule that named them.\n\n")
		for _, ps := range d.GoneSets {
			fmt.Fprintf(&b, "- `%s`: %s, %s\n", ps.Name, ps.ID, ps.Reason)
		}
	}
	b.WriteString("\nOpened by `jit sync`; the next run updates this pull request instead of opening another.\n")
	return b.String()
}
