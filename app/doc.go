// Package app is jit's GitHub App: the webhook endpoint that judges request
// pull requests and the scheduled sweep (`jit serve`, `jit sweep`).
//
// Every event is handled the same way: the event's identity (repository,
// pull request, sender) is read from the payload, and the payload's pull
// request is used only once the commits GitHub lists show its head is
// still the head; everything else is fetched again through internal/ghrepo,
// in two rounds of parallel requests revalidated with ETags (gather.go);
// the base branch's rules are loaded
// and the pull request judged through internal/judgment, the same path the
// reconcile and `jit validate --base` take; then the decision's effects are
// written: the state labels, review requests, one sticky comment and one
// check run, jit/approval, which carries the validation's findings as line
// annotations and the approval state; it is what branch protection
// requires, and it is written last.
//
// Only the composition roots (cmd/jit, internal/sandbox, internal/bench)
// build a Server.
package app
