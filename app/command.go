package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// commentCommand runs the command of one comment, as GitHub has it: who
// wrote it and what it says are read from the API, never from the payload.
func (h *handler) commentCommand(ctx context.Context, number int, id int64) (string, error) {
	comments, err := h.gh.Comments(ctx, number)
	if err != nil {
		return "", err
	}
	for _, c := range comments {
		if c.ID == id {
			if strings.EqualFold(c.Author, h.bot) {
				return "ignored: written by jit itself", nil
			}
			// The evaluation a recheck runs finds its status comment in
			// this list rather than listing the comments again.
			h.comments = comments
			return h.command(ctx, number, c.Author, c.Body)
		}
	}
	return "ignored: the comment does not exist (deleted, or a forged delivery)", nil
}

// command handles "/jit ..." comments on pull requests.
func (h *handler) command(ctx context.Context, number int, user, body string) (string, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "/jit" {
		return "ignored: not a /jit command", nil
	}
	switch fields[1] {
	case "recheck":
		ok, why, err := h.mayRecheck(ctx, number, user)
		if err != nil {
			return "", err
		}
		if !ok {
			// Remembered, so that a flood of them costs no more calls;
			// the refusal is answered once.
			h.rechecks.refuse(h.repo, number, user)
			h.log.Warn("recheck refused", "pr", number, "user", user, "reason", why)
			return "refused: " + why, h.gh.CreateComment(ctx, number, fmt.Sprintf("@%s you may not run `/jit recheck` here: %s. The requester, an owner of the account or an SSO admin can.", user, why))
		}
		key := h.repo.String() + "#" + strconv.Itoa(number)
		res, queued, err := h.rechecks.do(key, func() (string, error) { return h.evaluate(ctx, number, true, "") })
		if queued {
			return "recheck folded into the one under way", nil
		}
		return res, err
	case "revoke":
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "/jit")), "revoke"))
		return h.revoke(ctx, number, user, reason)
	default:
		msg := fmt.Sprintf("@%s `/jit %s` is not a command. jit understands `/jit revoke [reason]` (on a merged request) and `/jit recheck`.", user, fields[1])
		return "unknown command", h.gh.CreateComment(ctx, number, msg)
	}
}

// revoke records a revocation on main for the reconcile Action to carry out.
// The App writes only the intent (state revoking); AWS is changed by the
// Action, which records "revoked" only after AWS confirms.
func (h *handler) revoke(ctx context.Context, number int, user, reason string) (string, error) {
	reply := func(msg string) error { return h.gh.CreateComment(ctx, number, "@"+user+" "+msg) }
	pr, err := h.gh.PullRequest(ctx, number)
	if err != nil {
		return "", err
	}
	if !pr.Merged {
		return "refused: not merged", reply("`/jit revoke` works on a merged request; this pull request is not merged. Close it instead to withdraw the request.")
	}
	// Grants live on the default branch; a request merged elsewhere was
	// never provisioned.
	main, err := h.gh.DefaultBranch(ctx)
	if err != nil {
		return "", err
	}
	if pr.BaseRef != main {
		return "refused: not merged into " + main, reply(fmt.Sprintf("this pull request was merged into %s, not %s: it holds no grant.", pr.BaseRef, main))
	}
	files, err := h.gh.PullRequestFiles(ctx, number)
	if err != nil {
		return "", err
	}
	// The grant is identified by its own record on main: a request file
	// this pull request added whose status names this pull request. Another
	// pull request that added the same path (a byte-identical request) holds
	// no grant, and a pull request that mixed a request with other changes
	// still holds the one it brought.
	path, record, err := h.grantOf(ctx, files, number, main)
	if err != nil {
		return "", err
	}
	if path == "" {
		return "refused: not a request", reply("this pull request holds no grant of its own on " + main + ", so there is nothing to revoke.")
	}
	rs, err := judgment.LoadRules(ctx, apiFiles{gh: h.gh, ref: main})
	if err != nil {
		return "", err
	}
	// Authority comes from the record: its requester, an owner of the
	// account or an SSO admin. Before jit has recorded the grant (merged
	// moments ago, or scheduled) the requester is the pull request's
	// author.
	authorize := func(record *schema.Status) (string, bool, error) {
		requester := pr.Author
		if record != nil {
			requester = record.Requester
		}
		allowed, why, err := h.mayRevoke(ctx, rs, requester, path, user)
		if err != nil || allowed {
			return "", allowed, err
		}
		h.log.Warn("revoke refused", "pr", number, "user", user, "reason", why)
		return "refused: " + why, false, reply(fmt.Sprintf("you may not revoke this grant: %s. The requester, an owner of the account or an SSO admin can.", why))
	}
	if outcome, ok, err := authorize(record); !ok {
		return outcome, err
	}
	// The contents API refuses a stale blob SHA; re-read and retry when a
	// concurrent commit (the reconcile) changed the file in between.
	for attempt := 0; attempt < 3; attempt++ {
		data, sha, _, err := h.gh.File(ctx, path, main)
		if errors.Is(err, ghrepo.ErrNotFound) {
			return "refused: file gone", reply(fmt.Sprintf("`%s` is no longer on %s.", path, main))
		}
		if err != nil {
			return "", err
		}
		f, findings := schema.ParseRequest(path, data)
		if f == nil || schema.HasErrors(findings) {
			return "", fmt.Errorf("reading %s on %s: the file does not parse", path, main)
		}
		st := f.Request.Status
		if st != nil && st.PullRequest != number {
			return "refused: another pull request's grant", reply(fmt.Sprintf("`%s` on %s is the grant of pull request #%d, not of this one.", path, main, st.PullRequest))
		}
		if (st == nil) != (record == nil) || (st != nil && !strings.EqualFold(st.Requester, record.Requester)) {
			// The record changed since the authority was checked (jit
			// recorded the grant meanwhile): check it again.
			record = st
			if outcome, ok, err := authorize(record); !ok {
				return outcome, err
			}
		}
		if st != nil {
			switch st.State {
			case schema.StateRevoking:
				return "already revoking", reply("a revocation of this grant is already under way.")
			case schema.StateRevoked, schema.StateExpired, schema.StateFailed:
				return "already ended", reply(fmt.Sprintf("this grant has already ended (%s).", st.State))
			}
		}
		next := schema.Status{PullRequest: number, Requester: pr.Author}
		if st != nil {
			next = *st
		}
		now := h.clock.Now().UTC()
		next.State = schema.StateRevoking
		next.RevokedBy = user
		next.RevokeRequestedAt = &now
		if reason == "" {
			reason = "revoked by " + user
		}
		next.Reason = reason
		out, err := schema.SetStatus(data, &next)
		if err != nil {
			return "", fmt.Errorf("writing the revocation into %s: %w", path, err)
		}
		msg := fmt.Sprintf("jit: request revocation of %s for %s (#%d)\n\n%s\n\nJit-Request: %s\nJit-Event: revoking\nJit-Pull-Request: %d\n",
			grantName(&f.Request), pr.Author, number, reason, path, number)
		err = h.gh.PutFile(ctx, path, main, msg, out, sha)
		if errors.Is(err, ghrepo.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		h.log.Info("revocation recorded", "pr", number, "user", user, "path", path)
		return "revoking", reply("the revocation is recorded on " + main + "; the reconcile Action removes the access from AWS on its next run and records when AWS confirmed it.")
	}
	return "", fmt.Errorf("recording the revocation of %s: the file kept changing under us", path)
}

// grantOf finds the grant a merged pull request holds: among the request
// files it added, the one whose status on main names it, or else the one
// that has no status yet (record nil) when there is exactly one such file.
func (h *handler) grantOf(ctx context.Context, files []change.File, number int, main string) (string, *schema.Status, error) {
	var unrecorded []string
	for _, f := range files {
		if f.Status != change.Added || !strings.HasPrefix(f.Path, "requests/") || !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		data, _, _, err := h.gh.File(ctx, f.Path, main)
		if errors.Is(err, ghrepo.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		req, err := schema.DecodeRequest(f.Path, data)
		if err != nil {
			continue
		}
		if st := req.Status; st != nil {
			if st.PullRequest == number {
				return f.Path, st, nil
			}
			continue
		}
		unrecorded = append(unrecorded, f.Path)
	}
	if len(unrecorded) == 1 {
		return unrecorded[0], nil, nil
	}
	return "", nil, nil
}

// mayRevoke: the grant's requester, an owner of the account or an SSO
// admin.
func (h *handler) mayRevoke(ctx context.Context, rs judgment.Rules, requester, path, user string) (bool, string, error) {
	if requester != "" && strings.EqualFold(user, requester) {
		return true, "", nil
	}
	teams := ghrepo.NewTeams(ctx, h.gh)
	var who []string
	if rs.Config != nil {
		who = append(who, rs.Config.Admins...)
	}
	who = append(who, rs.OwnersOf(path)...)
	for _, w := range who {
		w = strings.TrimPrefix(w, "@")
		if strings.Contains(w, "/") {
			ok, err := teams.IsMember(w, user)
			if err != nil {
				return false, "", err
			}
			if ok {
				return true, "", nil
			}
		} else if strings.EqualFold(w, user) {
			return true, "", nil
		}
	}
	return false, fmt.Sprintf("%s is neither the requester (%s), an owner of %s nor an SSO admin", user, requester, path), nil
}

// mayRecheck: the requester, an owner of the request's account or an SSO
// admin, as for /jit revoke, with the rules on the default branch.
func (h *handler) mayRecheck(ctx context.Context, number int, user string) (bool, string, error) {
	pr, err := h.gh.PullRequest(ctx, number)
	if err != nil {
		return false, "", err
	}
	if strings.EqualFold(user, pr.Author) {
		return true, "", nil
	}
	main, err := h.gh.DefaultBranch(ctx)
	if err != nil {
		return false, "", err
	}
	rs, err := judgment.LoadRules(ctx, apiFiles{gh: h.gh, ref: main})
	if err != nil {
		return false, "", err
	}
	files, err := h.gh.PullRequestFiles(ctx, number)
	if err != nil {
		return false, "", err
	}
	// Not a plain request: only SSO admins decide it, so only they (and
	// its author) recheck it; the owners of nothing are asked.
	path := change.Classify(files).RequestPath
	return h.mayRevoke(ctx, rs, pr.Author, path, user)
}

// grantName is "account/permission set" for messages.
func grantName(r *schema.Request) string {
	ps := r.PermissionSet
	if r.CustomPermissionSet != nil {
		ps = layout.PermissionSetName(r.CustomPermissionSet.Name)
	}
	return r.Account + "/" + ps
}
