package app

import (
	"context"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/notify"
)

// notifyTimeout bounds one notification with its retries.
const notifyTimeout = 30 * time.Second

// notifyTransition tells the chat channels that a request now waits for
// someone or was approved. It runs in the background so that a slow chat
// service never delays the answer to GitHub, and only on a state change so
// that nobody is told twice.
func (h *handler) notifyTransition(ctx context.Context, a *assessment) {
	if h.notifier == nil || !a.change.Request || a.request == nil {
		return
	}
	e := requestEvent(a)
	switch a.decision.State {
	case approval.StatePendingOwner, approval.StatePendingAdmin:
		e.Kind, e.Who = notify.KindWaiting, a.decision.NextReviewers
	case approval.StateApproved:
		e.Kind = notify.KindApproved
		if a.decision.Emergency {
			e.Reason = "emergency access: owners and SSO admins must review it after the fact"
			e.Who = a.decision.NextReviewers
		}
	default:
		return
	}
	h.send(ctx, e)
}

// requestEvent is the event about a request pull request, without its kind.
func requestEvent(a *assessment) notify.Event {
	e := notify.Event{
		Request:   a.change.RequestPath,
		Account:   a.request.Request.Account,
		Requester: a.pr.Author,
		PRURL:     a.pr.HTMLURL,
		PRNumber:  a.pr.Number,
	}
	e.PermissionSet = a.request.Request.PermissionSet
	if cps := a.request.Request.CustomPermissionSet; cps != nil {
		e.PermissionSet = layout.PermissionSetName(cps.Name)
	}
	return e
}

// send delivers e in the background, within notifyTimeout.
func (h *handler) send(ctx context.Context, e notify.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		defer cancel()
		if err := h.notifier.Notify(ctx, e); err != nil {
			h.log.Warn("notification not delivered", "pr", e.PRNumber, "kind", e.Kind, "err", err)
		}
	}()
}
