// Package idcemu is an in-memory emulator of AWS IAM Identity Center's
// sso-admin and identitystore APIs, and of the AWS Organizations operations
// that list the accounts (organizations.go).
//
// The Emulator is an http.Handler that speaks the AWS JSON 1.1 protocol as
// the real endpoints do (X-Amz-Target operation names, request and response
// members, __type errors with the documented HTTP status codes, NextToken
// paging), so the real aws-sdk-go-v2 clients can be pointed at it with
// BaseEndpoint. It serves both services on one handler and tells them apart
// by the X-Amz-Target prefix (SWBExternalService. and AWSIdentityStore.).
//
// It models the behaviour that makes Identity Center hard to automate:
// account assignments and permission set provisioning are asynchronous
// (IN_PROGRESS for Options.AsyncDelay on the injected clock, then SUCCEEDED
// or FAILED), a request rate limit shared by all operations, a limit on
// assignment operations in flight, ConflictException while another change on
// the same assignment or account is in flight, and injected 5xx faults. It
// also models the organisation's management account (management.go): what a
// delegated administrator (Options.CallerAccountID) may not do there, and the
// caller's own IAM permissions Identity Center needs there (DenyIAM).
//
// Choices where AWS's behaviour is undocumented, so that clients are written
// for the stricter case:
//   - CreateAccountAssignment for an assignment that already exists is
//     accepted and its status ends SUCCEEDED without a second assignment.
//   - DeleteAccountAssignment for an assignment that does not exist answers
//     ResourceNotFoundException at once; a client that treats "already gone"
//     as success must handle it.
//   - Only users are principals (the emulator has no groups), and assignments
//     to unknown users are rejected with ResourceNotFoundException.
//   - When the last assignment of a permission set in an account is deleted,
//     the set stops being provisioned to that account (AWS removes the role).
//   - DeletePermissionSet fails with ConflictException, in AWS's words
//     ("Could not delete because PermissionSet has ApplicationProfile
//     associated with it."), while the set has assignments, assignment
//     operations or provisioning in flight, while it is provisioned to an
//     account, and for Options.RoleRemovalDelay after the deletion of its
//     last assignment in an account, while AWS removes its role there. A
//     provisioning that completes after the last assignment is gone leaves
//     the set provisioned, and so undeletable, until it is assigned there
//     and unassigned again.
//   - SigV4 signatures are not verified: any well-formed
//     "AWS4-HMAC-SHA256 Credential=..., Signature=..." header is accepted.
//
// State changes happen lazily: every request and every accessor first settles
// the operations whose delay has passed on the clock, so the emulator has no
// goroutines and a moved clock.Offset takes effect at once.
package idcemu

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/jit-access/jit/internal/clock"
)

// Defaults follow Identity Center's documented limits.
const (
	// DefaultInstanceARN is the instance ARN used when Options.InstanceARN is empty.
	DefaultInstanceARN = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
	// DefaultIdentityStoreID is used when Options.IdentityStoreID is empty.
	DefaultIdentityStoreID = "d-0123456789"
	// DefaultAsyncDelay is how long assignment and provisioning operations stay IN_PROGRESS.
	DefaultAsyncDelay = time.Second
	// DefaultRequestsPerSecond is the request rate shared by all operations.
	DefaultRequestsPerSecond = 20
	// DefaultMaxInFlightAssignments is how many assignment operations may be IN_PROGRESS at once.
	DefaultMaxInFlightAssignments = 10
	// DefaultPageSize is the page size of list operations called without
	// MaxResults. It is small on purpose so that clients' paging is exercised.
	DefaultPageSize = 5
)

// Keys of Calls besides the operation names.
const (
	// CallsTotal counts every authenticated request.
	CallsTotal = "total"
	// CallsThrottled counts requests answered with ThrottlingException.
	CallsThrottled = "throttled"
	// CallsFaulted counts requests answered with an injected InternalServerException.
	CallsFaulted = "faulted"
	// CallsUnauthenticated counts requests rejected for a missing or malformed Authorization header.
	CallsUnauthenticated = "unauthenticated"
)

// Options configures an Emulator. The zero value is an emulator with AWS's
// default limits on the system clock.
type Options struct {
	// Clock decides when asynchronous operations complete and refills the
	// rate limiter; nil means clock.Real{}.
	Clock clock.Clock
	// InstanceARN is the one Identity Center instance; empty means DefaultInstanceARN.
	InstanceARN string
	// IdentityStoreID is the instance's identity store; empty means DefaultIdentityStoreID.
	IdentityStoreID string
	// AsyncDelay is how long an assignment or provisioning operation stays
	// IN_PROGRESS; 0 means DefaultAsyncDelay, negative means it completes at once.
	AsyncDelay time.Duration
	// RoleRemovalDelay is how long AWS takes, after the deletion of a
	// set's last assignment in an account succeeded, to remove the set's
	// role from it; DeletePermissionSet conflicts meanwhile. 0 means
	// AsyncDelay, negative means no delay.
	RoleRemovalDelay time.Duration
	// ManagementAccountID is the organisation's management account; empty
	// means DefaultManagementAccountID.
	ManagementAccountID string
	// CallerAccountID is the account of the role that signs the requests:
	// the management account (the default, when empty) or the member
	// account registered as Identity Center's delegated administrator.
	// See management.go for what a delegated administrator cannot do.
	CallerAccountID string
	// RequestsPerSecond is the token bucket rate shared by all operations;
	// 0 means DefaultRequestsPerSecond, negative means unlimited.
	RequestsPerSecond float64
	// MaxInFlightAssignments limits assignment operations IN_PROGRESS at
	// once; 0 means DefaultMaxInFlightAssignments, negative means unlimited.
	MaxInFlightAssignments int
	// FaultRate is the fraction of requests, in [0, 1], answered with a 500
	// InternalServerException before they have any effect.
	FaultRate float64
	// Seed makes fault injection and generated ids deterministic.
	Seed int64
	// Logger receives one debug record per request; nil discards them.
	Logger *slog.Logger
}

// Emulator is an in-memory IAM Identity Center. It is safe for concurrent use.
type Emulator struct {
	clock           clock.Clock
	instanceARN     string
	instanceID      string
	identityStoreID string
	asyncDelay      time.Duration
	roleRemoval     time.Duration
	management      string // the management account's id
	caller          string // the caller's account id
	maxInFlight     int
	log             *slog.Logger
	created         time.Time

	mu        sync.Mutex
	limiter   *rate.Limiter
	faultRate float64
	// denied holds the operations the caller's IAM policy does not allow
	// (Deny): they answer AccessDeniedException before any effect.
	denied map[string]bool
	// deniedIAM holds the IAM actions the caller's policy does not allow
	// in the management account (see management.go).
	deniedIAM map[string]bool
	faultRNG  *rand.Rand
	idRNG     *rand.Rand
	calls     map[string]int
	st        state
}

// New returns an emulator with no users, permission sets or assignments.
func New(opts Options) *Emulator {
	e := &Emulator{
		clock:           opts.Clock,
		instanceARN:     cmp.Or(opts.InstanceARN, DefaultInstanceARN),
		identityStoreID: cmp.Or(opts.IdentityStoreID, DefaultIdentityStoreID),
		asyncDelay:      opts.AsyncDelay,
		maxInFlight:     opts.MaxInFlightAssignments,
		log:             opts.Logger,
		faultRate:       clampRate(opts.FaultRate),
		faultRNG:        rand.New(rand.NewPCG(uint64(opts.Seed), 0x6661756c74)),
		idRNG:           rand.New(rand.NewPCG(uint64(opts.Seed), 0x6964)),
		calls:           map[string]int{},
	}
	if e.clock == nil {
		e.clock = clock.Real{}
	}
	e.instanceID = e.instanceARN[strings.LastIndex(e.instanceARN, "/")+1:]
	switch {
	case e.asyncDelay == 0:
		e.asyncDelay = DefaultAsyncDelay
	case e.asyncDelay < 0:
		e.asyncDelay = 0
	}
	switch {
	case opts.RoleRemovalDelay == 0:
		e.roleRemoval = e.asyncDelay
	case opts.RoleRemovalDelay > 0:
		e.roleRemoval = opts.RoleRemovalDelay
	}
	e.management = cmp.Or(opts.ManagementAccountID, DefaultManagementAccountID)
	e.caller = cmp.Or(opts.CallerAccountID, e.management)
	if e.maxInFlight == 0 {
		e.maxInFlight = DefaultMaxInFlightAssignments
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.created = e.clock.Now()
	e.setRate(opts.RequestsPerSecond)
	e.st = newState()
	// Every organisation has its management account.
	_ = e.addAccountLocked(DefaultRootID, e.management, "Management", "aws-management@example.com")
	return e
}

// InstanceARN returns the ARN of the emulated Identity Center instance.
func (e *Emulator) InstanceARN() string { return e.instanceARN }

// IdentityStoreID returns the id of the instance's identity store.
func (e *Emulator) IdentityStoreID() string { return e.identityStoreID }

func clampRate(f float64) float64 {
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return min(f, 1)
}

// SetFaultRate changes the fraction of requests answered with a 500
// InternalServerException; values are clamped to [0, 1].
func (e *Emulator) SetFaultRate(f float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faultRate = clampRate(f)
}

// SetAsyncDelay changes how long assignment and provisioning operations
// started from now on stay IN_PROGRESS; 0 restores DefaultAsyncDelay, a
// negative value completes them at once.
func (e *Emulator) SetAsyncDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case d == 0:
		d = DefaultAsyncDelay
	case d < 0:
		d = 0
	}
	e.asyncDelay = d
}

// Deny makes op (an operation name such as "DeleteAccountAssignment")
// answer AccessDeniedException, as AWS does when the caller's IAM policy
// lacks the action; Deny(op, false) allows it again.
func (e *Emulator) Deny(op string, deny bool) { e.setDenied(&e.denied, op, deny) }

// setDenied records under the lock whether the caller's policy lacks key
// in one of the denial sets (operations, IAM actions).
func (e *Emulator) setDenied(set *map[string]bool, key string, deny bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if *set == nil {
		*set = map[string]bool{}
	}
	(*set)[key] = deny
}

// SetRequestsPerSecond changes the shared request rate: 0 restores the
// default of 20 per second, a negative value removes the limit.
func (e *Emulator) SetRequestsPerSecond(rps float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setRate(rps)
}

// setRate replaces the token bucket with a full one at the new rate.
func (e *Emulator) setRate(rps float64) {
	switch {
	case rps == 0:
		rps = DefaultRequestsPerSecond
	case rps < 0:
		e.limiter = rate.NewLimiter(rate.Inf, 1)
		return
	}
	// A bucket as deep as one second of requests: a client that keeps to the
	// rate never sees a throttle, a burst above it does.
	e.limiter = rate.NewLimiter(rate.Limit(rps), max(1, int(math.Ceil(rps))))
}

// CallsBetween is what the operations received between two Calls
// snapshots: the operations called, with how many calls each, and the
// throttled, faulted and unauthenticated counts; the total is left out.
func CallsBetween(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != CallsTotal {
			out[k] = d
		}
	}
	return out
}

// Calls returns how many requests each operation received (including the
// throttled and faulted ones), plus the totals under CallsTotal,
// CallsThrottled, CallsFaulted and CallsUnauthenticated.
func (e *Emulator) Calls() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.calls)
}

// Target prefixes of the two services, from the services' Smithy models.
const (
	ssoAdminPrefix      = "SWBExternalService."
	identityStorePrefix = "AWSIdentityStore."
)

type handlerFunc func(e *Emulator, now time.Time, body []byte) (any, *apiError)

// maxBodyBytes is far above any valid request (an inline policy is at most
// 32 KiB) and keeps a broken client from exhausting memory.
const maxBodyBytes = 1 << 20

// ServeHTTP answers one AWS JSON 1.1 request for sso-admin or identitystore.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := e.newUUID()
	target := r.Header.Get("X-Amz-Target")
	identityStore := strings.HasPrefix(target, identityStorePrefix)

	if aerr := checkAuthorization(r.Header.Get("Authorization")); aerr != nil {
		e.count(CallsUnauthenticated)
		e.respondError(w, requestID, identityStore, target, aerr)
		return
	}

	op, handler, aerr := lookupOperation(r.Method, target)
	if aerr != nil {
		e.count(CallsTotal)
		e.respondError(w, requestID, identityStore, target, aerr)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, jsonContentType) {
		e.count(CallsTotal)
		e.respondError(w, requestID, identityStore, op, &apiError{status: http.StatusBadRequest,
			code: codeSerialization, message: fmt.Sprintf("Content-Type %q is not supported; use %s", ct, jsonContentType)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		e.count(CallsTotal)
		e.respondError(w, requestID, identityStore, op, errSerialization(err))
		return
	}
	if len(body) > maxBodyBytes {
		e.count(CallsTotal)
		e.respondError(w, requestID, identityStore, op, errSerialization(fmt.Errorf("body larger than %d bytes", maxBodyBytes)))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}

	out, aerr := e.serve(op, handler, body)
	if aerr != nil && aerr.code == codeThrottling && strings.HasPrefix(target, organizationsPrefix) {
		// Organizations' model names its throttling error differently.
		aerr = &apiError{status: http.StatusBadRequest, code: "TooManyRequestsException", message: aerr.message,
			extra: map[string]any{"Type": "RequestThrottled"}}
	}
	if aerr != nil {
		e.respondError(w, requestID, identityStore, op, aerr)
		return
	}
	e.log.Debug("idcemu request", "operation", op, "request_id", requestID, "status", http.StatusOK)
	writeJSON(w, requestID, out)
}

// serve runs one operation under the lock, after the rate limit and fault
// injection, which AWS applies before the request has any effect.
func (e *Emulator) serve(op string, handler handlerFunc, body []byte) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[CallsTotal]++
	e.calls[op]++
	now := e.clock.Now()
	if !e.limiter.AllowN(now, 1) {
		e.calls[CallsThrottled]++
		return nil, errThrottling("Rate exceeded")
	}
	if e.faultRate > 0 && e.faultRNG.Float64() < e.faultRate {
		e.calls[CallsFaulted]++
		return nil, errInternal()
	}
	if e.denied[op] {
		return nil, errAccessDenied(op)
	}
	if aerr := validateInput(op, body); aerr != nil {
		return nil, aerr
	}
	e.settle(now)
	out, aerr := handler(e, now, body)
	if aerr != nil && aerr.code == codeThrottling {
		e.calls[CallsThrottled]++
	}
	return out, aerr
}

func (e *Emulator) count(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[key]++
}

func (e *Emulator) respondError(w http.ResponseWriter, requestID string, identityStore bool, op string, aerr *apiError) {
	e.log.Debug("idcemu request", "operation", op, "request_id", requestID, "status", aerr.status, "error", aerr.code, "message", aerr.message)
	writeError(w, requestID, identityStore, aerr)
}

// checkAuthorization accepts any well-formed SigV4 Authorization header. The
// signature is not verified: tests use dummy credentials, and the point is to
// catch a client that sends no credentials at all.
func checkAuthorization(h string) *apiError {
	if h == "" {
		return &apiError{status: http.StatusForbidden, code: codeMissingAuth, message: "Missing Authentication Token"}
	}
	const scheme = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, scheme) || !strings.Contains(h, "Credential=") ||
		!strings.Contains(h, "SignedHeaders=") || !strings.Contains(h, "Signature=") {
		return &apiError{status: http.StatusForbidden, code: codeIncompleteAuth,
			message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with the AWS4-HMAC-SHA256 algorithm."}
	}
	return nil
}

func lookupOperation(method, target string) (string, handlerFunc, *apiError) {
	if method != http.MethodPost {
		return "", nil, &apiError{status: http.StatusBadRequest, code: codeUnknownOp,
			message: fmt.Sprintf("HTTP method %s is not supported; the AWS JSON protocol uses POST", method)}
	}
	var table map[string]handlerFunc
	var op string
	switch {
	case strings.HasPrefix(target, ssoAdminPrefix):
		table, op = ssoAdminOperations, strings.TrimPrefix(target, ssoAdminPrefix)
	case strings.HasPrefix(target, identityStorePrefix):
		table, op = identityStoreOperations, strings.TrimPrefix(target, identityStorePrefix)
	case strings.HasPrefix(target, organizationsPrefix):
		table, op = organizationsOperations, strings.TrimPrefix(target, organizationsPrefix)
	}
	h, ok := table[op]
	if !ok {
		return "", nil, &apiError{status: http.StatusBadRequest, code: codeUnknownOp,
			message: fmt.Sprintf("Operation %q is not supported by this endpoint", target)}
	}
	return op, h, nil
}

// op adapts an operation to a handlerFunc by decoding its input the way the
// services do: unknown members are ignored, a member of the wrong JSON type
// is a SerializationException. Every operation's input is read here.
func op[In any](f func(e *Emulator, now time.Time, in In) (any, *apiError)) handlerFunc {
	return func(e *Emulator, now time.Time, body []byte) (any, *apiError) {
		var in In
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, errSerialization(err)
		}
		if s, ok := any(in).(scoped); ok {
			if aerr := s.checkScope(e); aerr != nil {
				return nil, aerr
			}
		}
		return f(e, now, in)
	}
}

// scoped is an input that names the instance or identity store it acts on;
// op checks that first, as the services do.
type scoped interface{ checkScope(e *Emulator) *apiError }

type instanceInput struct{ InstanceArn *string }

func (in instanceInput) checkScope(e *Emulator) *apiError { return e.checkInstance(in.InstanceArn) }

type storeInput struct{ IdentityStoreId *string }

func (in storeInput) checkScope(e *Emulator) *apiError {
	return e.checkIdentityStore(in.IdentityStoreId)
}

// permissionSetInput is the input of an operation on one permission set.
type permissionSetInput struct {
	instanceInput
	PermissionSetArn *string
}

func (in permissionSetInput) permissionSetARN() *string { return in.PermissionSetArn }

// setPageInput is the input of a list operation on one permission set.
type setPageInput struct {
	permissionSetInput
	pageInput
}

// setOp is op for an operation on one permission set, which it looks up.
func setOp[In interface{ permissionSetARN() *string }](f func(e *Emulator, now time.Time, ps *permissionSet, in In) (any, *apiError)) handlerFunc {
	return op(func(e *Emulator, now time.Time, in In) (any, *apiError) {
		ps, aerr := e.permissionSetOf(in.permissionSetARN())
		if aerr != nil {
			return nil, aerr
		}
		return f(e, now, ps, in)
	})
}

// pageInput holds the paging members of a list operation's input.
type pageInput struct {
	MaxResults *int32
	NextToken  *string
}

// listed answers a list operation: one page of items (sorted by key) under
// the output member named member, each item as wire makes it, and the
// NextToken when more pages follow.
func listed[T, W any](member string, items []T, key func(T) string, p pageInput, limit int, wire func(T) W) (any, *apiError) {
	page, next, aerr := pageOf(items, key, p, limit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]W, len(page))
	for i, it := range page {
		out[i] = wire(it)
	}
	resp := map[string]any{member: out}
	if next != nil {
		resp["NextToken"] = next
	}
	return resp, nil
}

// same is the wire form of items that are sent as they are (ARNs, ids).
func same(s string) string { return s }

// newUUID returns a random version 4 UUID from the seeded generator, the
// format AWS uses for request ids.
func (e *Emulator) newUUID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.uuidLocked()
}

func (e *Emulator) uuidLocked() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := e.idRNG.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (e *Emulator) hexLocked(n int) string {
	const digits = "0123456789abcdef"
	out := make([]byte, n)
	for i := range out {
		out[i] = digits[e.idRNG.IntN(16)]
	}
	return string(out)
}
