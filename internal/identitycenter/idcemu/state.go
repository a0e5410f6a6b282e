package idcemu

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Status values of asynchronous operations, as on the wire.
const (
	statusInProgress = "IN_PROGRESS"
	statusSucceeded  = "SUCCEEDED"
	statusFailed     = "FAILED"
)

const (
	principalUser  = "USER"
	principalGroup = "GROUP"
	targetAccount  = "AWS_ACCOUNT"
)

// Assignment is one account assignment: the tuple is all there is to it.
type Assignment struct {
	AccountID        string
	PermissionSetARN string
	PrincipalType    string
	PrincipalID      string
}

func compareAssignments(a, b Assignment) int {
	return cmp.Or(
		cmp.Compare(a.AccountID, b.AccountID),
		cmp.Compare(a.PermissionSetARN, b.PermissionSetARN),
		cmp.Compare(a.PrincipalType, b.PrincipalType),
		cmp.Compare(a.PrincipalID, b.PrincipalID),
	)
}

// PermissionSetState is a permission set as the emulator holds it.
type PermissionSetState struct {
	ARN             string
	Name            string
	Description     string
	SessionDuration time.Duration
	// ManagedPolicies are the attached AWS managed policy ARNs, sorted.
	ManagedPolicies []string
	// CustomerManagedPolicies are the referenced customer managed
	// policies, by path and name.
	CustomerManagedPolicies []PolicyReference
	// PermissionsBoundary is nil when the set has none.
	PermissionsBoundary *Boundary
	InlinePolicy        string
	Tags                map[string]string
	// Version counts changes to what an account receives (policies and
	// session duration); it starts at 1.
	Version int
	// ProvisionedAccounts maps each account the set is provisioned to to
	// whether that account has the latest version.
	ProvisionedAccounts map[string]bool
	CreatedAt           time.Time
}

type user struct {
	id          string
	userName    string
	displayName string
	created     time.Time
}

// changed records a change to the set, which makes the copies provisioned
// to accounts outdated, and answers the operation's empty body.
func (ps *permissionSet) changed() (any, *apiError) {
	ps.version++
	return struct{}{}, nil
}

type permissionSet struct {
	arn             string
	name            string
	description     *string
	relayState      *string
	sessionDuration string
	created         time.Time
	managed         []string
	customer        []PolicyReference
	boundary        *Boundary
	inline          string
	tags            map[string]string
	version         int
	provisioned     map[string]int // account id -> provisioned version
	// deprovisioning maps each account whose last assignment of the set
	// was deleted to when AWS has finished removing the set's role from
	// it; DeletePermissionSet conflicts until then.
	deprovisioning map[string]time.Time
}

type assignmentOp struct {
	id      string
	delete  bool
	a       Assignment
	created time.Time
	done    time.Time
	seq     int
	failure string // the FAILED reason, decided when the operation starts
	status  string
}

type provisionOp struct {
	id       string
	psARN    string
	account  string // empty for ALL_PROVISIONED_ACCOUNTS
	accounts []string
	version  int
	created  time.Time
	done     time.Time
	seq      int
	status   string
}

type state struct {
	users          map[string]*user // by user id
	permissionSets map[string]*permissionSet
	assignments    map[Assignment]bool
	assignmentOps  map[string]*assignmentOp
	creationIDs    []string // in creation order, for ListAccountAssignmentCreationStatus
	deletionIDs    []string
	provisionOps   map[string]*provisionOp
	provisionIDs   []string
	pending        []any // unsettled *assignmentOp and *provisionOp
	failNext       map[Assignment]string
	seq            int
	org            organization
}

func newState() state {
	return state{
		users:          map[string]*user{},
		permissionSets: map[string]*permissionSet{},
		assignments:    map[Assignment]bool{},
		assignmentOps:  map[string]*assignmentOp{},
		provisionOps:   map[string]*provisionOp{},
		failNext:       map[Assignment]string{},
		org:            newOrganization(),
	}
}

// settle completes, in order, every operation whose delay has passed.
func (e *Emulator) settle(now time.Time) {
	st := &e.st
	if len(st.pending) == 0 {
		return
	}
	due := st.pending[:0:0]
	keep := st.pending[:0]
	for _, p := range st.pending {
		if opDone(p).After(now) {
			keep = append(keep, p)
		} else {
			due = append(due, p)
		}
	}
	st.pending = keep
	slices.SortFunc(due, func(a, b any) int {
		return cmp.Or(opDone(a).Compare(opDone(b)), cmp.Compare(opSeq(a), opSeq(b)))
	})
	for _, p := range due {
		switch op := p.(type) {
		case *assignmentOp:
			e.completeAssignment(op)
		case *provisionOp:
			e.completeProvisioning(op)
		}
	}
}

func opDone(p any) time.Time {
	switch op := p.(type) {
	case *assignmentOp:
		return op.done
	case *provisionOp:
		return op.done
	}
	return time.Time{}
}

func opSeq(p any) int {
	switch op := p.(type) {
	case *assignmentOp:
		return op.seq
	case *provisionOp:
		return op.seq
	}
	return 0
}

func (e *Emulator) completeAssignment(op *assignmentOp) {
	st := &e.st
	if op.failure != "" {
		op.status = statusFailed
		return
	}
	op.status = statusSucceeded
	ps := st.permissionSets[op.a.PermissionSetARN]
	if op.delete {
		delete(st.assignments, op.a)
		if ps != nil && !st.hasAssignmentIn(op.a.PermissionSetARN, op.a.AccountID) {
			// AWS removes the set's role from an account with its last
			// assignment. The removal takes a while after the deletion
			// succeeded, and the set cannot be deleted until it is over.
			delete(ps.provisioned, op.a.AccountID)
			ps.deprovisioning[op.a.AccountID] = op.done.Add(e.roleRemoval)
		}
		return
	}
	st.assignments[op.a] = true
	if ps != nil {
		// Creating an assignment provisions the set to the account if it is
		// not there yet; an existing older version stays until
		// ProvisionPermissionSet.
		if _, ok := ps.provisioned[op.a.AccountID]; !ok {
			ps.provisioned[op.a.AccountID] = ps.version
		}
	}
}

func (e *Emulator) completeProvisioning(op *provisionOp) {
	op.status = statusSucceeded
	ps := e.st.permissionSets[op.psARN]
	if ps == nil {
		return
	}
	for _, acct := range op.accounts {
		if cur, ok := ps.provisioned[acct]; !ok || cur < op.version {
			ps.provisioned[acct] = op.version
		}
	}
}

func (st *state) hasAssignmentIn(psARN, account string) bool {
	for a := range st.assignments {
		if a.PermissionSetARN == psARN && a.AccountID == account {
			return true
		}
	}
	return false
}

func (st *state) inFlightAssignments() int {
	n := 0
	for _, p := range st.pending {
		if _, ok := p.(*assignmentOp); ok {
			n++
		}
	}
	return n
}

func (st *state) inFlightOn(a Assignment) *assignmentOp {
	for _, p := range st.pending {
		if op, ok := p.(*assignmentOp); ok && op.a == a {
			return op
		}
	}
	return nil
}

func (st *state) sortedAssignments() []Assignment {
	out := slices.Collect(maps.Keys(st.assignments))
	slices.SortFunc(out, compareAssignments)
	return out
}

func (st *state) userByName(name string) *user {
	for _, u := range st.users {
		if u.userName == name {
			return u
		}
	}
	return nil
}

func (st *state) permissionSetByName(name string) *permissionSet {
	for _, ps := range st.permissionSets {
		if ps.name == name {
			return ps
		}
	}
	return nil
}

// AddUser adds a user to the identity store, as the organisation's identity
// provider would, and returns its UserId. Adding an existing user name
// returns the existing user's id.
func (e *Emulator) AddUser(userName, displayName string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.st.userByName(userName); u != nil {
		return u.id
	}
	// Identity store user ids are a 10-hex-digit prefix and a UUID.
	id := e.hexLocked(10) + "-" + e.uuidLocked()
	e.st.users[id] = &user{id: id, userName: userName, displayName: displayName, created: e.clock.Now()}
	return id
}

// AddPermissionSet creates a permission set as an administrator would have
// made it outside jit, and returns its ARN. Managed policies may be given as
// names (AWS managed policies) or ARNs. Adding an existing name returns the
// existing set's ARN unchanged.
func (e *Emulator) AddPermissionSet(name string, sessionDuration time.Duration, managed []string, inline string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps := e.st.permissionSetByName(name); ps != nil {
		return ps.arn
	}
	ps := e.newPermissionSetLocked(name, formatISODuration(sessionDuration), e.clock.Now())
	for _, m := range managed {
		if !strings.HasPrefix(m, "arn:") {
			m = "arn:aws:iam::aws:policy/" + m
		}
		if !slices.Contains(ps.managed, m) {
			ps.managed = append(ps.managed, m)
		}
	}
	ps.inline = inline
	return ps.arn
}

func (e *Emulator) newPermissionSetLocked(name, sessionDuration string, now time.Time) *permissionSet {
	var arn string
	for {
		arn = "arn:aws:sso:::permissionSet/" + e.instanceID + "/ps-" + e.hexLocked(16)
		if e.st.permissionSets[arn] == nil {
			break
		}
	}
	ps := &permissionSet{
		arn:             arn,
		name:            name,
		sessionDuration: sessionDuration,
		created:         now,
		tags:            map[string]string{},
		version:         1,
		provisioned:     map[string]int{},
		deprovisioning:  map[string]time.Time{},
	}
	e.st.permissionSets[arn] = ps
	return ps
}

// AddAssignment records an assignment that already exists in AWS, for example
// a permanent one an administrator made. It is complete at once and
// provisions the permission set to the account.
func (e *Emulator) AddAssignment(accountID, permissionSetARN, principalID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := Assignment{AccountID: accountID, PermissionSetARN: permissionSetARN, PrincipalType: principalUser, PrincipalID: principalID}
	e.st.assignments[a] = true
	if ps := e.st.permissionSets[permissionSetARN]; ps != nil {
		if _, ok := ps.provisioned[accountID]; !ok {
			ps.provisioned[accountID] = ps.version
		}
	}
}

// FailNextAssignment makes the next CreateAccountAssignment of the tuple end
// FAILED with reason instead of SUCCEEDED, as AWS does when, for example, the
// account's IAM role quota is reached. An empty reason uses a message AWS
// gives when the permission set's policy cannot be applied in the account.
func (e *Emulator) FailNextAssignment(accountID, permissionSetARN, principalID, reason string) {
	if reason == "" {
		reason = "Received a 404 status error: Not supported policy " + permissionSetARN + "."
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.failNext[Assignment{AccountID: accountID, PermissionSetARN: permissionSetARN, PrincipalType: principalUser, PrincipalID: principalID}] = reason
}

// Assignments returns the completed assignments, sorted by account,
// permission set and principal.
func (e *Emulator) Assignments() []Assignment {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle(e.clock.Now())
	return e.st.sortedAssignments()
}

// HasAssignment reports whether principalID holds permissionSetARN in
// accountID, completed.
func (e *Emulator) HasAssignment(accountID, permissionSetARN, principalID string) bool {
	for _, a := range e.Assignments() {
		if a.AccountID == accountID && a.PermissionSetARN == permissionSetARN && a.PrincipalID == principalID {
			return true
		}
	}
	return false
}

// AssignmentsOf counts the completed assignments of permissionSetARN, in
// every account and to every principal.
func (e *Emulator) AssignmentsOf(permissionSetARN string) int {
	n := 0
	for _, a := range e.Assignments() {
		if a.PermissionSetARN == permissionSetARN {
			n++
		}
	}
	return n
}

// PermissionSet returns the state of the permission set with the given ARN.
func (e *Emulator) PermissionSet(arn string) (PermissionSetState, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle(e.clock.Now())
	ps := e.st.permissionSets[arn]
	if ps == nil {
		return PermissionSetState{}, false
	}
	return ps.export(), true
}

// PermissionSets returns every permission set, sorted by name.
func (e *Emulator) PermissionSets() []PermissionSetState {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle(e.clock.Now())
	out := make([]PermissionSetState, 0, len(e.st.permissionSets))
	for _, ps := range e.st.permissionSets {
		out = append(out, ps.export())
	}
	slices.SortFunc(out, func(a, b PermissionSetState) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func (ps *permissionSet) export() PermissionSetState {
	d, _ := parseISODuration(ps.sessionDuration)
	out := PermissionSetState{
		ARN:             ps.arn,
		Name:            ps.name,
		SessionDuration: d,
		ManagedPolicies: slices.Sorted(slices.Values(ps.managed)),
		InlinePolicy:    ps.inline,
		CustomerManagedPolicies: slices.SortedFunc(slices.Values(ps.customer), func(a, b PolicyReference) int {
			return strings.Compare(a.key(), b.key())
		}),
		PermissionsBoundary: ps.boundary,
		Tags:                maps.Clone(ps.tags),
		Version:             ps.version,
		ProvisionedAccounts: map[string]bool{},
		CreatedAt:           ps.created,
	}
	if ps.description != nil {
		out.Description = *ps.description
	}
	for acct, v := range ps.provisioned {
		out.ProvisionedAccounts[acct] = v == ps.version
	}
	return out
}

// Snapshot returns a human-readable summary of users, permission sets,
// assignments and operations in flight, for the sandbox to print.
func (e *Emulator) Snapshot() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle(e.clock.Now())
	st := &e.st
	var b strings.Builder
	fmt.Fprintf(&b, "IAM Identity Center %s (identity store %s)\n", e.instanceARN, e.identityStoreID)

	users := sortedBy(st.users, func(u *user) string { return u.userName })
	fmt.Fprintf(&b, "users (%d):\n", len(users))
	for _, u := range users {
		fmt.Fprintf(&b, "  %s  %q  %s\n", u.userName, u.displayName, u.id)
	}

	sets := sortedBy(st.permissionSets, func(ps *permissionSet) string { return ps.name })
	fmt.Fprintf(&b, "permission sets (%d):\n", len(sets))
	for _, ps := range sets {
		fmt.Fprintf(&b, "  %s  %s  session %s  v%d\n", ps.name, ps.arn, ps.sessionDuration, ps.version)
		if len(ps.managed) > 0 {
			fmt.Fprintf(&b, "    managed: %s\n", strings.Join(slices.Sorted(slices.Values(ps.managed)), ", "))
		}
		if ps.inline != "" {
			fmt.Fprintf(&b, "    inline policy: %d bytes\n", len(ps.inline))
		}
		if len(ps.tags) > 0 {
			var tags []string
			for _, k := range slices.Sorted(maps.Keys(ps.tags)) {
				tags = append(tags, k+"="+ps.tags[k])
			}
			fmt.Fprintf(&b, "    tags: %s\n", strings.Join(tags, ", "))
		}
		if len(ps.provisioned) > 0 {
			var accts []string
			for _, acct := range slices.Sorted(maps.Keys(ps.provisioned)) {
				s := acct
				if ps.provisioned[acct] != ps.version {
					s += fmt.Sprintf(" (v%d, outdated)", ps.provisioned[acct])
				}
				accts = append(accts, s)
			}
			fmt.Fprintf(&b, "    provisioned to: %s\n", strings.Join(accts, ", "))
		}
	}

	assignments := st.sortedAssignments()
	fmt.Fprintf(&b, "assignments (%d):\n", len(assignments))
	for _, a := range assignments {
		fmt.Fprintf(&b, "  %s  %s  %s\n", a.AccountID, st.setName(a.PermissionSetARN), st.userName(a.PrincipalID))
	}

	if len(st.pending) > 0 {
		fmt.Fprintf(&b, "in progress (%d):\n", len(st.pending))
		for _, p := range st.pending {
			switch op := p.(type) {
			case *assignmentOp:
				verb := "create"
				if op.delete {
					verb = "delete"
				}
				fmt.Fprintf(&b, "  %s assignment %s  %s  %s\n", verb, op.a.AccountID, st.setName(op.a.PermissionSetARN), st.userName(op.a.PrincipalID))
			case *provisionOp:
				fmt.Fprintf(&b, "  provision %s to %s\n", st.setName(op.psARN), strings.Join(op.accounts, ", "))
			}
		}
	}
	return b.String()
}

// userName and setName name a principal and a permission set for the
// snapshot, or give the id back when it names none.
func (st *state) userName(id string) string {
	if u := st.users[id]; u != nil {
		return u.userName
	}
	return id
}

func (st *state) setName(arn string) string {
	if ps := st.permissionSets[arn]; ps != nil {
		return ps.name
	}
	return arn
}

// sortedBy returns the map's values ordered by key.
func sortedBy[V any, K cmp.Ordered](m map[string]V, key func(V) K) []V {
	return slices.SortedFunc(maps.Values(m), func(a, b V) int { return cmp.Compare(key(a), key(b)) })
}
