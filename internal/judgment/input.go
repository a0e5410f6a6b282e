package judgment

import (
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/schema"
)

// RequestInput is what the approval engine is told about the request file at
// path, judged by rules at now (see DecisionTime). req is nil when the file
// could not be parsed: the kind is then standard and nothing of the request
// is known. bot is the App's login, whose reviews never count.
func RequestInput(rules Rules, path string, req *schema.Request, bot string, now time.Time) approval.Input {
	in := approval.Input{
		Kind:      approval.KindStandard,
		Bot:       bot,
		Now:       now,
		Owners:    rules.OwnersOf(path),
		OwnersErr: rules.OwnersErr,
	}
	if rules.Config != nil {
		in.Admins = rules.Config.Admins
		in.Policy = approval.PolicyFor(rules.Config, req)
		in.Identity = rules.Config.CheckIdentity
	}
	if req == nil {
		return in
	}
	in.Account = req.Account
	if req.CustomPermissionSet != nil {
		in.Kind = approval.KindCustom
	}
	if d, err := req.AccessDuration(); err == nil {
		in.RequestedDuration = d
	}
	return in
}

// AdminChangeInput is what the approval engine is told about a change that
// is not a plain request: only SSO admins approve it.
func AdminChangeInput(rules Rules, bot string, now time.Time) approval.Input {
	in := approval.Input{Kind: approval.KindAdminChange, Bot: bot, Now: now, OwnersErr: rules.OwnersErr}
	if rules.Config != nil {
		in.Admins = rules.Config.Admins
		in.Policy = approval.PolicyFor(rules.Config, nil)
		in.Identity = rules.Config.CheckIdentity
	}
	return in
}
