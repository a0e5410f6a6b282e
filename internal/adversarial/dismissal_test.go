package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/testworld"
)

// Attack: an owner or SSO admin asks for changes; the requester (or anyone
// else with write access) dismisses that review and gets an approval from
// someone more lenient. The objection stands until its author or an SSO
// admin lifts it; who dismissed comes from GitHub (the review_dismissed
// event's actor), never from the delivery the App was sent.
func TestObjectionStandsUntilItsAuthorOrAnAdminLiftsIt(t *testing.T) {
	w := newWorld(t)
	for i, tc := range []struct {
		dismisser string
		lifted    bool
	}{
		{"octocat", false}, // the requester
		{"carol", false},   // neither the reviewer nor an SSO admin
		{"bob", true},      // the reviewer himself
		{"dave", true},     // another SSO admin
	} {
		t.Run(tc.dismisser, func(t *testing.T) {
			n := w.Open(t, "octocat", "octocat/objection-"+itoa(i), map[string]string{"requests/payments-prod/objection-" + itoa(i) + ".yaml": testworld.StandardRequest})
			id := w.Review(t, n, "bob", "CHANGES_REQUESTED", "not without an incident ticket")
			if err := w.GitHub.DismissReview(org, repo, n, id, tc.dismisser, "addressed"); err != nil {
				t.Fatal(err)
			}
			w.AssertDelivered(t)
			w.Review(t, n, "alice", "APPROVED", "fine by me")
			s := w.State(t, n)
			if !tc.lifted {
				notApproved(t, s)
				if !strings.Contains(s.Sticky, "bob") {
					t.Errorf("the status comment does not say whose objection stands:\n%s", s.Sticky)
				}
				return
			}
			approved(t, s)
		})
	}
}
