package catalog

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the catalog for a person: one block per account, one
// line per permission set with its longest duration and its approval, and
// under it the auto-approval rules and any condition on who may ask.
func WriteText(w io.Writer, c *Catalog) error {
	switch {
	case c.Requester == "":
		fmt.Fprintln(w, "What can be requested (pass --requester LOGIN to apply the requesters rules to someone)")
	case c.TeamsChecked:
		fmt.Fprintf(w, "What @%s may request (team memberships read from GitHub)\n", c.Requester)
	default:
		fmt.Fprintf(w, "What @%s may request (team memberships not checked: set GITHUB_TOKEN or log in with gh)\n", c.Requester)
	}
	if c.Requester != "" && c.UserName == "" {
		fmt.Fprintf(w, "warning: @%s has no Identity Center user under users: in .github/jit.yaml, so every request is refused; ask the SSO admins to add one\n", c.Requester)
	}
	if len(c.Accounts) == 0 {
		fmt.Fprintln(w, "\nNo account.")
	}
	for _, a := range c.Accounts {
		owners := "none (only SSO admins approve)"
		if len(a.Owners) > 0 {
			owners = strings.Join(a.Owners, ", ")
		}
		fmt.Fprintf(w, "\n%s (%s), owners: %s\n", a.Name, a.ID, owners)
		sets := append(append([]Set{}, a.PermissionSets...), a.Custom)
		width := 0
		for _, s := range sets {
			width = max(width, len(setName(s)))
		}
		for _, s := range sets {
			name := setName(s)
			longest := s.MaxDuration
			if longest == "" {
				longest = s.Durations[len(s.Durations)-1]
			}
			var tags []string
			if s.Isolate {
				tags = append(tags, "isolated: own JIT- copy that AWS ends on time")
			}
			if s.Custom {
				tags = append(tags, "defined in the request, never auto-approved")
			}
			line := fmt.Sprintf("  %-*s  max %-3s  approved by %s", width, name, longest, approvalText(s.Approval))
			if len(tags) > 0 {
				line += "; " + strings.Join(tags, "; ")
			}
			fmt.Fprintln(w, line)
			if s.Why != "" {
				fmt.Fprintf(w, "    %s\n", s.Why)
			}
			for _, r := range s.AutoApprove {
				fmt.Fprintf(w, "    auto-approved when: %s%s (%s)\n", r.Conditions, ruleAccess(r.Access), r.Name)
			}
		}
	}
	if em := c.Emergency; em != nil {
		fmt.Fprintf(w, "\nEmergency access (emergency: true on a standard set): max %s, approved at once, reviewed by an owner or SSO admin within %s\n", em.MaxDuration, em.ReviewWithin)
		switch em.Access {
		case Anyone:
			fmt.Fprintf(w, "  only %s\n", strings.Join(em.Requesters, ", "))
		case Unknown:
			fmt.Fprintf(w, "  only if in %s (team membership not checked)\n", strings.Join(em.Requesters, ", "))
		}
	}
	_, err := fmt.Fprintf(w, "\nDurations: %s\n", strings.Join(c.Durations, " "))
	return err
}

func approvalText(steps []Step) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, s.Who+" ("+strings.Join(s.Entries, ", ")+")")
	}
	return strings.Join(parts, ", ")
}

func ruleAccess(a Access) string {
	switch a {
	case Allowed:
		return " [applies to you]"
	case Denied:
		return " [not for you]"
	case Unknown:
		return " [team membership not checked]"
	}
	return ""
}

func setName(s Set) string {
	if s.Custom {
		return "custom set"
	}
	return s.Name
}
