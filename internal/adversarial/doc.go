// Package adversarial holds jit's adversarial test suite: each test plays an
// attacker (a requester approving their own request, a pusher sneaking a
// change past an approval, a forged or replayed webhook, a hostile request
// file, a flaky AWS during a revocation...) against the running system — the
// GitHub App behind the GitHub emulator, the schema and change rules, and the
// Identity Center client against its emulator — and asserts the safe outcome.
//
// The package has no code of its own; `go test ./adversarial` runs the suite.
package adversarial
