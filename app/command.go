package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// commandOf reads a /jit command from a comment's first line: its name
// ("" when the comment is no /jit command) and the rest of the line.
func commandOf(body string) (name, rest string) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "/jit" {
		return "", ""
	}
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "/jit")), fields[1]))
	return fields[1], rest
}

// readCommand reads one comment back from GitHub: who wrote it and what it
// says are GitHub's word, never the payload's. ignored is set, saying why,
// when the comment is not a command jit should run: deleted, on another
// pull request, written by jit, or not what the delivery said.
func (h *handler) readCommand(ctx context.Context, number int, id int64) (c ghrepo.Comment, ignored string, err error) {
	c, err = h.gh.Comment(ctx, id)
	switch {
	case errors.Is(err, ghrepo.ErrNotFound):
		return c, "ignored: the comment does not exist (deleted, or a forged delivery)", nil
	case err != nil:
		return c, "", err
	case c.Issue != number:
		return c, fmt.Sprintf("ignored: comment %d is on #%d, not on #%d (a forged delivery)", id, c.Issue, number), nil
	case strings.EqualFold(c.Author, h.bot):
		return c, "ignored: written by jit itself", nil
	}
	return c, "", nil
}

// commentCommand runs the command of one comment, as GitHub has it.
func (h *handler) commentCommand(ctx context.Context, number int, id int64) (string, error) {
	c, ignored, err := h.readCommand(ctx, number, id)
	if err != nil || ignored != "" {
		return ignored, err
	}
	return h.command(ctx, number, c.Author, c.AuthorID, c.Body)
}

// command handles "/jit ..." comments on pull requests, but /jit recheck,
// which recheck handles before reading the comment. userID is GitHub's id
// of the commenter's account.
func (h *handler) command(ctx context.Context, number int, user string, userID int64, body string) (string, error) {
	name, rest := commandOf(body)
	switch name {
	case "":
		return "ignored: not a /jit command", nil
	case "recheck":
		// The comment said recheck, the delivery did not: not the comment
		// the delivery was sent for.
		return "ignored: the comment is not the one the delivery named", nil
	case "revoke":
		return h.revoke(ctx, number, user, userID, rest)
	default:
		msg := fmt.Sprintf("@%s `/jit %s` is not a command. jit understands `/jit revoke [reason]` (on a merged request) and `/jit recheck`.", user, name)
		return "unknown command", h.gh.CreateComment(ctx, number, msg)
	}
}

// recheck runs /jit recheck of comment id on pull request number, said by
// user according to the delivery; main is the default branch the payload
// names. A recheck that finds one already queued for the pull request costs
// no API call; any other reads its comment back from GitHub and the pull
// request, at once, checks that its author may recheck (the requester, an
// owner of the request's account or an SSO admin), and evaluates, or
// queues one evaluation behind the one under way. retry is told of an
// evaluation that failed, to try it again.
func (h *handler) recheck(ctx context.Context, number int, id int64, user, main string, retry func(key string, evaluate func(context.Context) (string, error))) (string, error) {
	key := h.repo.String() + "#" + strconv.Itoa(number)
	// The first evaluation uses the pull request just read; a queued one
	// reads everything again.
	var first *ghrepo.PR
	evaluate := func(ctx context.Context) (string, error) {
		s := seed{pr: first, main: main}
		first = nil
		return h.evaluate(ctx, number, true, s)
	}
	return h.rechecks.recheck(ctx, key, user, recheckJob{
		authorise: func(ctx context.Context) (bool, string, error) {
			var (
				c       ghrepo.Comment
				ignored string
				pr      *ghrepo.PR
			)
			err := parallel(
				func() (err error) { c, ignored, err = h.readCommand(ctx, number, id); return err },
				func() (err error) { pr, err = h.gh.PullRequest(ctx, number); return err })
			if err != nil || ignored != "" {
				return false, ignored, err
			}
			if name, _ := commandOf(c.Body); name != "recheck" || !strings.EqualFold(c.Author, user) {
				return false, "ignored: the comment is not the one the delivery named", nil
			}
			ok, why, err := h.mayRecheck(ctx, pr, c.Author, c.AuthorID, main)
			if err != nil {
				return false, "", err
			}
			if ok {
				first = pr
				return true, "", nil
			}
			// Remembered, so that a flood of them costs no more calls;
			// the refusal is answered once.
			h.rechecks.refuse(h.repo, number, c.Author)
			h.log.Warn("recheck refused", "pr", number, "user", c.Author, "reason", why)
			return false, "refused: " + why, h.gh.CreateComment(ctx, number, fmt.Sprintf("@%s you may not run `/jit recheck` here: %s. The requester, an owner of the account or an SSO admin can.", c.Author, why))
		},
		evaluate: evaluate,
		failed: func(err error) {
			h.log.Error("recheck failed; tried again in the background", "pr", number, "err", err)
			retry(key+" recheck", func(ctx context.Context) (string, error) { return h.evaluate(ctx, number, true, seed{main: main}) })
		},
	})
}

// revoke records a revocation on main for the reconcile Action to carry out.
// The App writes only the intent (state revoking); AWS is changed by the
// Action, which records "revoked" only after AWS confirms.
func (h *handler) revoke(ctx context.Context, number int, user string, userID int64, reason string) (string, error) {
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
	if record == nil {
		// jit has not recorded the grant yet (a scheduled grant before its
		// start, or one merged moments ago): it is this pull request's
		// only if this pull request brought the file to main, by main's own
		// history, as the reconcile decides. A byte-identical copy merged
		// later, or a pull request GitHub calls merged because its head
		// became reachable, brought nothing.
		ok, why, err := h.brought(ctx, pr, path, main)
		if err != nil {
			return "", err
		}
		if !ok {
			h.log.Warn("revoke refused", "pr", number, "user", user, "reason", why)
			return "refused: did not bring the request", reply(fmt.Sprintf("this pull request holds no grant of its own on %s: %s.", main, why))
		}
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
		allowed, why, err := h.mayRevoke(rs, ghrepo.NewTeams(ctx, h.gh), requester, path, user, userID)
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

// maxLineWalk bounds how far back main's first-parent line is read to find
// the merge of a pull request whose grant jit has not recorded yet.
const maxLineWalk = 2000

// brought reports whether pull request pr brought path to main, by the
// rule the reconcile applies with main's history: the pull request that
// brought a request is the merged one whose merge commit is on main's
// first-parent line, at or closest after the commit on that line that
// added the file. Here: pr's merge commit is on the line; main did not have
// the file before pr's commits reached it; and no other merged pull
// request containing the commit that added it was merged by a commit
// closer to it, or by the same one (then jit cannot tell them apart). why
// says what failed.
func (h *handler) brought(ctx context.Context, pr *ghrepo.PR, path, main string) (bool, string, error) {
	m := pr.MergeCommitSHA
	if m == "" {
		return false, "GitHub does not say which commit merged it", nil
	}
	// A pull request merged by a push (GitHub's merge commit is its head)
	// put its own commits on the line; main before it is the first commit
	// that is not one of them.
	own := map[string]bool{m: true}
	if m == pr.HeadSHA {
		commits, err := h.gh.PullRequestCommits(ctx, pr.Number)
		if err != nil {
			return false, "", err
		}
		for _, c := range commits {
			own[c.SHA] = true
		}
	}
	// segment is pr's part of the line, newest (m) first.
	var segment []string
	found, before, steps := false, "", 0
	err := h.gh.FirstParents(ctx, main, func(sha, parent string) bool {
		if steps++; steps > maxLineWalk {
			return false
		}
		if !found {
			found = sha == m
			if !found {
				return true
			}
		}
		if !own[sha] {
			before = sha
			return false
		}
		segment = append(segment, sha)
		return parent != ""
	})
	if err != nil {
		return false, "", err
	}
	if !found {
		if steps > maxLineWalk {
			return false, fmt.Sprintf("its merge commit %s is not among the last %d commits of %s's first-parent line; an owner or an SSO admin can revoke the grant of the pull request that brought the request", short(m), maxLineWalk, main), nil
		}
		return false, fmt.Sprintf("its merge commit %s is not on %s's first-parent line: GitHub marked it merged because its head became reachable by another route, and another pull request brought %s", short(m), main, path), nil
	}
	has := func(ref string) (bool, error) {
		_, _, _, err := h.gh.File(ctx, path, ref)
		if errors.Is(err, ghrepo.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	if before != "" {
		ok, err := has(before)
		if err != nil {
			return false, "", err
		}
		if ok {
			return false, fmt.Sprintf("%s was already on %s before it was merged: the grant is that of the pull request that brought it first", path, main), nil
		}
	}
	// The commit that added the file: the oldest of pr's part of the line
	// that has it (a merge or squash commit is that part alone).
	added := -1
	for i := len(segment) - 1; i >= 0; i-- {
		ok, err := has(segment[i])
		if err != nil {
			return false, "", err
		}
		if ok {
			added = i
			break
		}
	}
	if added < 0 {
		return false, fmt.Sprintf("%s is not in the commits it merged", path), nil
	}
	others, err := h.gh.PullRequestsWithCommit(ctx, segment[added])
	if err != nil {
		return false, "", err
	}
	for _, o := range others {
		if o.Number == pr.Number || !o.Merged || o.BaseRef != main {
			continue
		}
		pos := slices.Index(segment, o.MergeCommitSHA)
		switch {
		case pos == 0:
			return false, fmt.Sprintf("pull request #%d was merged by the same commit %s, so jit cannot tell which brought %s; an owner or an SSO admin can revoke it", o.Number, short(m), path), nil
		case pos > 0 && pos <= added:
			return false, fmt.Sprintf("pull request #%d, merged by commit %s, brought %s to %s first", o.Number, short(o.MergeCommitSHA), path, main), nil
		}
	}
	return true, "", nil
}

// mayRevoke: the grant's requester, an owner of the account or an SSO
// admin; teams answers who is in a team. Never an account other than the
// one the config pins to the login (userID is GitHub's id of the
// commenter's account).
func (h *handler) mayRevoke(rs judgment.Rules, teams *ghrepo.Teams, requester, path, user string, userID int64) (bool, string, error) {
	if err := rs.Config.CheckIdentity(user, userID); err != nil {
		return false, err.Error(), nil
	}
	if requester != "" && strings.EqualFold(user, requester) {
		return true, "", nil
	}
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
// admin, as for /jit revoke, with the rules on the default branch (main,
// "": read it).
func (h *handler) mayRecheck(ctx context.Context, pr *ghrepo.PR, user string, userID int64, main string) (bool, string, error) {
	if strings.EqualFold(user, pr.Author) {
		return true, "", nil
	}
	if main == "" {
		var err error
		if main, err = h.gh.DefaultBranch(ctx); err != nil {
			return false, "", err
		}
	}
	rs, err := judgment.LoadRules(ctx, apiFiles{gh: h.gh, ref: main})
	if err != nil {
		return false, "", err
	}
	files, err := h.gh.PullRequestFiles(ctx, pr.Number)
	if err != nil {
		return false, "", err
	}
	// Not a plain request: only SSO admins decide it, so only they (and
	// its author) recheck it; the owners of nothing are asked.
	path := change.Classify(files).RequestPath
	return h.mayRevoke(rs, ghrepo.NewTeams(ctx, h.gh), pr.Author, path, user, userID)
}

// grantName is "account/permission set" for messages.
func grantName(r *schema.Request) string {
	ps := r.PermissionSet
	if r.CustomPermissionSet != nil {
		ps = layout.PermissionSetName(r.CustomPermissionSet.Name)
	}
	return r.Account + "/" + ps
}

// short is a commit's abbreviated name for messages.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
