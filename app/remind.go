package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/schema"
)

// remind asks the next reviewers again about an undecided request once
// its next reminder is due (approval.NextReminder: 1h, 4h, then daily
// after the escalation, until request_ttl): a comment on the pull request
// that mentions them, and the chat channels. The comments count the
// reminders sent, so a sweep that runs again sends none twice.
func (h *handler) remind(ctx context.Context, pr *ghrepo.PR, a *assessment, cfg *schema.Config) (bool, error) {
	if a.request == nil || len(a.decision.NextReviewers) == 0 {
		return false, nil
	}
	comments, err := h.gh.Comments(ctx, pr.Number)
	if err != nil {
		return false, err
	}
	var mine []string
	for _, c := range comments {
		if h.bot != "" && strings.EqualFold(c.Author, h.bot) {
			mine = append(mine, c.Body)
		}
	}
	sent := approval.RemindersSent(mine)
	ttl := cfg.RequestTTLDuration()
	due, ok := approval.NextReminder(pr.CreatedAt, cfg.EscalateAfterDuration(), ttl, sent)
	now := h.clock.Now()
	if !ok || now.Before(due) {
		return false, nil
	}
	// After the escalation the SSO admins are asked as well as the owners.
	asked := append([]string{}, a.decision.NextReviewers...)
	if a.decision.State == approval.StatePendingOwner {
		for _, admin := range cfg.Admins {
			if !slices.ContainsFunc(asked, func(s string) bool { return strings.EqualFold(s, admin) }) {
				asked = append(asked, admin)
			}
		}
	}
	who := strings.Join(asked, " ")
	open := now.Sub(pr.CreatedAt).Truncate(time.Minute)
	closes := pr.CreatedAt.Add(ttl).UTC().Format("2006-01-02 15:04 UTC")
	msg := fmt.Sprintf("%s\nReminder %d: this request has waited %s for a decision. %s, please review it. Without an approval it is closed as expired at %s.",
		approval.ReminderMarker, sent+1, formatAge(open), who, closes)
	if err := h.gh.CreateComment(ctx, pr.Number, msg); err != nil {
		return false, err
	}
	if h.notifier != nil {
		e := requestEvent(a)
		e.Kind, e.Who = notify.KindWaiting, asked
		e.Reason = fmt.Sprintf("reminder %d: waiting for %s; closed as expired at %s", sent+1, formatAge(open), closes)
		h.send(ctx, e)
	}
	return true, nil
}

// formatAge writes a wait as hours, or days and hours.
func formatAge(d time.Duration) string {
	h := int(d / time.Hour)
	if h < 24 {
		return fmt.Sprintf("%dh%02dm", h, int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", h/24, h%24)
}
