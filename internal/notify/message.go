package notify

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxReason caps the reason quoted in a message; both services refuse
// oversized blocks (Slack: 2,000 characters per field).
const maxReason = 500

// fact is one labelled value of a message.
type fact struct{ label, value string }

// titles are the headline of each kind, with an emoji that reads at a
// glance in a busy channel.
var titles = map[Kind]string{
	KindWaiting:   "⏳ Waiting for a review",
	KindApproved:  "✅ Approved",
	KindActivated: "🔓 Access granted",
	KindExpiring:  "⌛ Access expiring soon",
	KindExpired:   "🔒 Access expired",
	KindRevoked:   "⛔ Access revoked",
	KindFailed:    "❌ Access could not be granted",
}

func title(k Kind) string {
	if t, ok := titles[k]; ok {
		return t
	}
	return "ℹ️ Request " + string(k)
}

func prName(ev Event) string {
	if ev.PRNumber > 0 {
		return "pull request #" + strconv.Itoa(ev.PRNumber)
	}
	return "pull request"
}

// facts lists what the message says about the request, leaving out what
// the event does not know.
func facts(ev Event) []fact {
	var fs []fact
	add := func(label, value string) {
		if value != "" {
			fs = append(fs, fact{label, value})
		}
	}
	add("Account", ev.Account)
	add("Permission set", ev.PermissionSet)
	if ev.Requester != "" {
		add("Requester", "@"+strings.TrimPrefix(ev.Requester, "@"))
	}
	if ev.Kind == KindWaiting {
		add("Waiting for", strings.Join(ev.Who, ", "))
	}
	if !ev.ExpiresAt.IsZero() {
		label := "Expires"
		if ev.Kind == KindExpired {
			label = "Expired"
		}
		add(label, ev.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	add("Reason", truncate(oneLine(ev.Reason), maxReason))
	return fs
}

// summary is the one-line plain text of the event, for notifications and
// clients that show no blocks or cards.
func summary(ev Event) string {
	var b strings.Builder
	b.WriteString(title(ev.Kind))
	b.WriteString(": ")
	target := ev.Account
	if ev.PermissionSet != "" {
		target += "/" + ev.PermissionSet
	}
	if target != "" {
		b.WriteString(target)
	} else {
		b.WriteString(ev.Request)
	}
	if ev.Requester != "" {
		b.WriteString(" for @" + strings.TrimPrefix(ev.Requester, "@"))
	}
	b.WriteString(" (" + prName(ev) + ")")
	return b.String()
}

// slackMessage renders an incoming-webhook message: a plain "text" (shown
// in notifications) and Block Kit blocks with the pull request link and the
// facts as fields. Text from requests and reasons is escaped, so that it
// cannot ping a channel (<!channel>) or forge a link.
func slackMessage(ev Event) ([]byte, error) {
	head := slackEscape(title(ev.Kind))
	if ev.PRURL != "" {
		head = "*" + head + "*: <" + slackEscape(ev.PRURL) + "|" + prName(ev) + ">"
	} else {
		head = "*" + head + "*: " + prName(ev)
	}
	section := map[string]any{
		"type": "section",
		"text": map[string]any{"type": "mrkdwn", "text": head},
	}
	var fields []any
	for _, f := range facts(ev) {
		fields = append(fields, map[string]any{"type": "mrkdwn", "text": "*" + f.label + "*\n" + slackEscape(f.value)})
	}
	if len(fields) > 0 {
		section["fields"] = fields
	}
	blocks := []any{section}
	if ev.Request != "" {
		blocks = append(blocks, map[string]any{
			"type":     "context",
			"elements": []any{map[string]any{"type": "mrkdwn", "text": slackEscape(ev.Request)}},
		})
	}
	return json.Marshal(map[string]any{"text": slackEscape(summary(ev)), "blocks": blocks})
}

// slackEscape escapes the three characters Slack treats as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// teamsMessage renders an Adaptive Card in the message envelope that both
// Teams Workflows webhooks ("When a Teams webhook request is received") and
// the older Microsoft 365 connector webhooks accept; Workflows no longer
// take the legacy MessageCard format.
func teamsMessage(ev Event) ([]byte, error) {
	body := []any{
		map[string]any{"type": "TextBlock", "text": title(ev.Kind) + ": " + prName(ev), "weight": "Bolder", "size": "Medium", "wrap": true},
	}
	var fs []any
	for _, f := range facts(ev) {
		fs = append(fs, map[string]any{"title": f.label, "value": f.value})
	}
	if len(fs) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": fs})
	}
	if ev.Request != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": ev.Request, "isSubtle": true, "size": "Small", "wrap": true})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
		// Shown where the card cannot be rendered.
		"fallbackText": summary(ev),
	}
	if ev.PRURL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open " + prName(ev), "url": ev.PRURL}}
	}
	return json.Marshal(map[string]any{
		"type":    "message",
		"summary": summary(ev),
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	})
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
