package idcemu

import (
	"fmt"
	"strings"
	"time"
)

// Account assignments: the asynchronous create and delete, their status
// requests, and the listings by permission set and by principal.

type assignmentInput struct {
	permissionSetInput
	PrincipalId   *string
	PrincipalType *string
	TargetId      *string
	TargetType    *string
}

// principalTypeOf validates a PrincipalType member.
func principalTypeOf(v *string) (string, *apiError) {
	ptype, aerr := requireString("PrincipalType", v)
	if aerr != nil {
		return "", aerr
	}
	if ptype != principalUser && ptype != principalGroup {
		return "", errValidation("1 validation error detected: Value '%s' at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]", ptype)
	}
	return ptype, nil
}

// validate checks an assignment request and returns its tuple.
func (e *Emulator) validateAssignment(in assignmentInput) (Assignment, *apiError) {
	ps, aerr := e.permissionSetOf(in.PermissionSetArn)
	if aerr != nil {
		return Assignment{}, aerr
	}
	principal, aerr := requirePattern("PrincipalId", in.PrincipalId, principalIDPattern)
	if aerr != nil {
		return Assignment{}, aerr
	}
	ptype, aerr := principalTypeOf(in.PrincipalType)
	if aerr != nil {
		return Assignment{}, aerr
	}
	account, aerr := requirePattern("TargetId", in.TargetId, accountIDPattern)
	if aerr != nil {
		return Assignment{}, aerr
	}
	ttype, aerr := requireString("TargetType", in.TargetType)
	if aerr != nil {
		return Assignment{}, aerr
	}
	if ttype != targetAccount {
		return Assignment{}, errValidation("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACCOUNT]", ttype)
	}
	return Assignment{AccountID: account, PermissionSetARN: ps.arn, PrincipalType: ptype, PrincipalID: principal}, nil
}

// startAssignmentOp applies the checks AWS applies to every assignment
// change (in-flight limit, one change per tuple at a time) and starts it.
func (e *Emulator) startAssignmentOp(now time.Time, a Assignment, del bool) (*assignmentOp, *apiError) {
	if e.maxInFlight > 0 && e.st.inFlightAssignments() >= e.maxInFlight {
		return nil, errThrottling("Too many account assignment operations in progress. Wait for some to complete, then retry.")
	}
	if other := e.st.inFlightOn(a); other != nil {
		return nil, errConflict("Request %s for the same principal, permission set and account is still in progress. Retry after it completes.", other.id)
	}
	if del {
		if !e.st.assignments[a] {
			return nil, errNotFound("Could not find an account assignment for principal %s with permission set %s in account %s.", a.PrincipalID, a.PermissionSetARN, a.AccountID)
		}
	} else {
		if a.PrincipalType == principalGroup || e.st.users[a.PrincipalID] == nil {
			return nil, errNotFound("Could not find %s %s in identity store %s.", strings.ToLower(a.PrincipalType), a.PrincipalID, e.identityStoreID)
		}
		ps := e.st.permissionSets[a.PermissionSetARN]
		if _, ok := ps.provisioned[a.AccountID]; !ok && e.provisionedCount(a.AccountID) >= maxProvisionedPerAccount {
			return nil, errQuota("Account %s already has %d permission sets provisioned, the most allowed.", a.AccountID, maxProvisionedPerAccount)
		}
	}
	e.st.seq++
	op := &assignmentOp{
		id:      e.uuidLocked(),
		delete:  del,
		a:       a,
		created: now,
		done:    now.Add(e.asyncDelay),
		seq:     e.st.seq,
		status:  statusInProgress,
	}
	if !del {
		if reason, ok := e.st.failNext[a]; ok {
			op.failure = reason
			delete(e.st.failNext, a)
		}
	}
	if op.failure == "" {
		op.failure = e.managementIAMFailure(a, del)
	}
	e.st.assignmentOps[op.id] = op
	if del {
		e.st.deletionIDs = append(e.st.deletionIDs, op.id)
	} else {
		e.st.creationIDs = append(e.st.creationIDs, op.id)
	}
	e.st.pending = append(e.st.pending, op)
	// A zero delay still answers IN_PROGRESS, as AWS always does; the next
	// request settles it.
	return op, nil
}

func (e *Emulator) provisionedCount(account string) int {
	n := 0
	for _, ps := range e.st.permissionSets {
		if _, ok := ps.provisioned[account]; ok {
			n++
		}
	}
	return n
}

func (op *assignmentOp) wire() *wireAssignmentStatus {
	w := &wireAssignmentStatus{
		CreatedDate:      epochPtr(op.created),
		PermissionSetArn: op.a.PermissionSetARN,
		PrincipalId:      op.a.PrincipalID,
		PrincipalType:    op.a.PrincipalType,
		RequestId:        op.id,
		Status:           op.status,
		TargetId:         op.a.AccountID,
		TargetType:       targetAccount,
	}
	if op.status == statusFailed {
		w.FailureReason = ptr(op.failure)
	}
	return w
}

// assignmentStatusMember is the output member that carries the status of a
// creation or a deletion.
func assignmentStatusMember(del bool) string {
	if del {
		return "AccountAssignmentDeletionStatus"
	}
	return "AccountAssignmentCreationStatus"
}

func (e *Emulator) changeAccountAssignment(now time.Time, in assignmentInput, del bool) (any, *apiError) {
	a, aerr := e.validateAssignment(in)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.delegatedRefusal(a, del); aerr != nil {
		return nil, aerr
	}
	op, aerr := e.startAssignmentOp(now, a, del)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{assignmentStatusMember(del): op.wire()}, nil
}

func (e *Emulator) createAccountAssignment(now time.Time, in assignmentInput) (any, *apiError) {
	return e.changeAccountAssignment(now, in, false)
}

func (e *Emulator) deleteAccountAssignment(now time.Time, in assignmentInput) (any, *apiError) {
	return e.changeAccountAssignment(now, in, true)
}

func (e *Emulator) describeAssignmentOp(id *string, del bool) (any, *apiError) {
	member := strings.TrimSuffix(assignmentStatusMember(del), "Status") + "RequestId"
	reqID, aerr := requirePattern(member, id, requestIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	op := e.st.assignmentOps[reqID]
	if op == nil || op.delete != del {
		return nil, errNotFound("Could not find the request with id %s.", reqID)
	}
	return map[string]any{assignmentStatusMember(del): op.wire()}, nil
}

func (e *Emulator) describeAccountAssignmentCreationStatus(_ time.Time, in struct {
	AccountAssignmentCreationRequestId *string
	instanceInput
}) (any, *apiError) {
	return e.describeAssignmentOp(in.AccountAssignmentCreationRequestId, false)
}

func (e *Emulator) describeAccountAssignmentDeletionStatus(_ time.Time, in struct {
	AccountAssignmentDeletionRequestId *string
	instanceInput
}) (any, *apiError) {
	return e.describeAssignmentOp(in.AccountAssignmentDeletionRequestId, true)
}

type statusListInput struct {
	instanceInput
	Filter *wireOperationStatusFilter
	pageInput
}

func (in statusListInput) filterStatus() (string, *apiError) {
	if in.Filter == nil || in.Filter.Status == nil {
		return "", nil
	}
	switch s := *in.Filter.Status; s {
	case statusInProgress, statusFailed, statusSucceeded:
		return s, nil
	default:
		return "", errValidation("1 validation error detected: Value '%s' at 'filter.status' failed to satisfy constraint: Member must satisfy enum value set: [IN_PROGRESS, FAILED, SUCCEEDED]", s)
	}
}

// listStatuses lists asynchronous requests (ids, as made) in the order they
// were made; the key is the position so that it sorts that way.
func (e *Emulator) listStatuses(in statusListInput, member string, ids []string, meta func(id string) wireStatusMetadata) (any, *apiError) {
	want, aerr := in.filterStatus()
	if aerr != nil {
		return nil, aerr
	}
	type item struct {
		key string
		w   wireStatusMetadata
	}
	var items []item
	for i, id := range ids {
		m := meta(id)
		if want != "" && m.Status != want {
			continue
		}
		items = append(items, item{seqKey(i), m})
	}
	return listed(member, items, func(it item) string { return it.key }, in.pageInput, maxResultsLimit, func(it item) wireStatusMetadata { return it.w })
}

// seqKey turns a position into a key that sorts like the number.
func seqKey(i int) string { return fmt.Sprintf("%012d", i) }

func (e *Emulator) assignmentOpMeta(id string) wireStatusMetadata {
	op := e.st.assignmentOps[id]
	return wireStatusMetadata{CreatedDate: epochPtr(op.created), RequestId: op.id, Status: op.status}
}

func (e *Emulator) listAccountAssignmentCreationStatus(_ time.Time, in statusListInput) (any, *apiError) {
	return e.listStatuses(in, "AccountAssignmentsCreationStatus", e.st.creationIDs, e.assignmentOpMeta)
}

func (e *Emulator) listAccountAssignmentDeletionStatus(_ time.Time, in statusListInput) (any, *apiError) {
	return e.listStatuses(in, "AccountAssignmentsDeletionStatus", e.st.deletionIDs, e.assignmentOpMeta)
}

func assignmentKey(a Assignment) string {
	return a.AccountID + "|" + a.PermissionSetARN + "|" + a.PrincipalType + "|" + a.PrincipalID
}

func (a Assignment) wire() wireAccountAssignment {
	return wireAccountAssignment{AccountId: a.AccountID, PermissionSetArn: a.PermissionSetARN, PrincipalId: a.PrincipalID, PrincipalType: a.PrincipalType}
}

// listAssignments answers the assignment listings with the assignments
// match keeps.
func (e *Emulator) listAssignments(p pageInput, match func(Assignment) bool) (any, *apiError) {
	var matching []Assignment
	for _, a := range e.st.sortedAssignments() {
		if match(a) {
			matching = append(matching, a)
		}
	}
	return listed("AccountAssignments", matching, assignmentKey, p, maxResultsLimit, Assignment.wire)
}

func (e *Emulator) listAccountAssignments(_ time.Time, ps *permissionSet, in struct {
	AccountId *string
	permissionSetInput
	pageInput
}) (any, *apiError) {
	account, aerr := requirePattern("AccountId", in.AccountId, accountIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	return e.listAssignments(in.pageInput, func(a Assignment) bool {
		return a.AccountID == account && a.PermissionSetARN == ps.arn
	})
}

func (e *Emulator) listAccountAssignmentsForPrincipal(_ time.Time, in struct {
	instanceInput
	PrincipalId   *string
	PrincipalType *string
	Filter        *struct{ AccountId *string }
	pageInput
}) (any, *apiError) {
	principal, aerr := requirePattern("PrincipalId", in.PrincipalId, principalIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	ptype, aerr := principalTypeOf(in.PrincipalType)
	if aerr != nil {
		return nil, aerr
	}
	account := ""
	if in.Filter != nil && in.Filter.AccountId != nil {
		if account, aerr = requirePattern("Filter.AccountId", in.Filter.AccountId, accountIDPattern); aerr != nil {
			return nil, aerr
		}
	}
	return e.listAssignments(in.pageInput, func(a Assignment) bool {
		return a.PrincipalID == principal && a.PrincipalType == ptype && (account == "" || a.AccountID == account)
	})
}
