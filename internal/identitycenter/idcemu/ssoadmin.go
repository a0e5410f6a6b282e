package idcemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// ssoAdminOperations are the sso-admin operations jit uses, by the name in
// X-Amz-Target after "SWBExternalService.".
var ssoAdminOperations = map[string]handlerFunc{
	"ListInstances":                           (*Emulator).listInstances,
	"CreateAccountAssignment":                 (*Emulator).createAccountAssignment,
	"DeleteAccountAssignment":                 (*Emulator).deleteAccountAssignment,
	"DescribeAccountAssignmentCreationStatus": (*Emulator).describeAccountAssignmentCreationStatus,
	"DescribeAccountAssignmentDeletionStatus": (*Emulator).describeAccountAssignmentDeletionStatus,
	"ListAccountAssignmentCreationStatus":     (*Emulator).listAccountAssignmentCreationStatus,
	"ListAccountAssignmentDeletionStatus":     (*Emulator).listAccountAssignmentDeletionStatus,
	"ListAccountAssignments":                  (*Emulator).listAccountAssignments,
	"ListAccountAssignmentsForPrincipal":      (*Emulator).listAccountAssignmentsForPrincipal,
	"CreatePermissionSet":                     (*Emulator).createPermissionSet,
	"DescribePermissionSet":                   (*Emulator).describePermissionSet,
	"UpdatePermissionSet":                     (*Emulator).updatePermissionSet,
	"DeletePermissionSet":                     (*Emulator).deletePermissionSet,
	"ListPermissionSets":                      (*Emulator).listPermissionSets,
	"ListPermissionSetsProvisionedToAccount":  (*Emulator).listPermissionSetsProvisionedToAccount,
	"ListAccountsForProvisionedPermissionSet": (*Emulator).listAccountsForProvisionedPermissionSet,
	"ProvisionPermissionSet":                  (*Emulator).provisionPermissionSet,
	"DescribePermissionSetProvisioningStatus": (*Emulator).describePermissionSetProvisioningStatus,
	"ListPermissionSetProvisioningStatus":     (*Emulator).listPermissionSetProvisioningStatus,
	"AttachManagedPolicyToPermissionSet":      (*Emulator).attachManagedPolicy,
	"DetachManagedPolicyFromPermissionSet":    (*Emulator).detachManagedPolicy,
	"ListManagedPoliciesInPermissionSet":      (*Emulator).listManagedPolicies,
	"PutInlinePolicyToPermissionSet":          (*Emulator).putInlinePolicy,
	"GetInlinePolicyForPermissionSet":         (*Emulator).getInlinePolicy,
	"DeleteInlinePolicyFromPermissionSet":     (*Emulator).deleteInlinePolicy,
	"TagResource":                             (*Emulator).tagResource,
	"UntagResource":                           (*Emulator).untagResource,
	"ListTagsForResource":                     (*Emulator).listTagsForResource,
}

func (e *Emulator) checkInstance(v *string) *apiError {
	arn, aerr := requirePattern("InstanceArn", v, instanceARNPattern)
	if aerr != nil {
		return aerr
	}
	if arn != e.instanceARN {
		return errNotFound("Instance %s does not exist.", arn)
	}
	return nil
}

// lookupPermissionSet validates InstanceArn and PermissionSetArn and returns
// the set.
func (e *Emulator) lookupPermissionSet(instance, psARN *string) (*permissionSet, *apiError) {
	if aerr := e.checkInstance(instance); aerr != nil {
		return nil, aerr
	}
	arn, aerr := requirePattern("PermissionSetArn", psARN, permissionSetARNPattern)
	if aerr != nil {
		return nil, aerr
	}
	ps := e.st.permissionSets[arn]
	if ps == nil {
		return nil, errNotFound("Could not find PermissionSet with PermissionSetArn %s.", arn)
	}
	return ps, nil
}

func (e *Emulator) listInstances(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		MaxResults *int32
		NextToken  *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	type instance struct {
		CreatedDate     *epoch `json:"CreatedDate"`
		IdentityStoreId string `json:"IdentityStoreId"`
		InstanceArn     string `json:"InstanceArn"`
		Name            string `json:"Name"`
		OwnerAccountId  string `json:"OwnerAccountId"`
		Status          string `json:"Status"`
	}
	all := []instance{{
		CreatedDate:     epochPtr(e.created),
		IdentityStoreId: e.identityStoreID,
		InstanceArn:     e.instanceARN,
		Name:            "jit-emulator",
		OwnerAccountId:  "000000000000",
		Status:          "ACTIVE",
	}}
	page, next, aerr := pageOf(all, func(i instance) string { return i.InstanceArn }, in.NextToken, in.MaxResults, listInstancesMaxResultsCap)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		Instances []instance `json:"Instances"`
		NextToken *string    `json:"NextToken,omitempty"`
	}{page, next}, nil
}

type assignmentInput struct {
	InstanceArn      *string
	PermissionSetArn *string
	PrincipalId      *string
	PrincipalType    *string
	TargetId         *string
	TargetType       *string
}

// validate checks an assignment request and returns its tuple.
func (e *Emulator) validateAssignment(in assignmentInput) (Assignment, *apiError) {
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return Assignment{}, aerr
	}
	principal, aerr := requirePattern("PrincipalId", in.PrincipalId, principalIDPattern)
	if aerr != nil {
		return Assignment{}, aerr
	}
	ptype, aerr := requireString("PrincipalType", in.PrincipalType)
	if aerr != nil {
		return Assignment{}, aerr
	}
	if ptype != principalUser && ptype != principalGroup {
		return Assignment{}, errValidation("1 validation error detected: Value '%s' at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]", ptype)
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

func (e *Emulator) createAccountAssignment(now time.Time, body []byte) (any, *apiError) {
	var in assignmentInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	a, aerr := e.validateAssignment(in)
	if aerr != nil {
		return nil, aerr
	}
	op, aerr := e.startAssignmentOp(now, a, false)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentCreationStatus *wireAssignmentStatus `json:"AccountAssignmentCreationStatus"`
	}{op.wire()}, nil
}

func (e *Emulator) deleteAccountAssignment(now time.Time, body []byte) (any, *apiError) {
	var in assignmentInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	a, aerr := e.validateAssignment(in)
	if aerr != nil {
		return nil, aerr
	}
	op, aerr := e.startAssignmentOp(now, a, true)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentDeletionStatus *wireAssignmentStatus `json:"AccountAssignmentDeletionStatus"`
	}{op.wire()}, nil
}

func (e *Emulator) describeAssignmentOp(instance, id *string, idMember string, del bool) (*assignmentOp, *apiError) {
	if aerr := e.checkInstance(instance); aerr != nil {
		return nil, aerr
	}
	reqID, aerr := requirePattern(idMember, id, requestIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	op := e.st.assignmentOps[reqID]
	if op == nil || op.delete != del {
		return nil, errNotFound("Could not find the request with id %s.", reqID)
	}
	return op, nil
}

func (e *Emulator) describeAccountAssignmentCreationStatus(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		AccountAssignmentCreationRequestId *string
		InstanceArn                        *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	op, aerr := e.describeAssignmentOp(in.InstanceArn, in.AccountAssignmentCreationRequestId, "AccountAssignmentCreationRequestId", false)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentCreationStatus *wireAssignmentStatus `json:"AccountAssignmentCreationStatus"`
	}{op.wire()}, nil
}

func (e *Emulator) describeAccountAssignmentDeletionStatus(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		AccountAssignmentDeletionRequestId *string
		InstanceArn                        *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	op, aerr := e.describeAssignmentOp(in.InstanceArn, in.AccountAssignmentDeletionRequestId, "AccountAssignmentDeletionRequestId", true)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentDeletionStatus *wireAssignmentStatus `json:"AccountAssignmentDeletionStatus"`
	}{op.wire()}, nil
}

type statusListInput struct {
	InstanceArn *string
	Filter      *wireOperationStatusFilter
	MaxResults  *int32
	NextToken   *string
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

// listAssignmentOps lists creation or deletion requests in the order they
// were made; the key is the position so that it sorts that way.
func (e *Emulator) listAssignmentOps(body []byte, ids []string) ([]wireStatusMetadata, *string, *apiError) {
	var in statusListInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, nil, aerr
	}
	want, aerr := in.filterStatus()
	if aerr != nil {
		return nil, nil, aerr
	}
	type item struct {
		key string
		w   wireStatusMetadata
	}
	var items []item
	for i, id := range ids {
		op := e.st.assignmentOps[id]
		if want != "" && op.status != want {
			continue
		}
		items = append(items, item{seqKey(i), wireStatusMetadata{CreatedDate: epochPtr(op.created), RequestId: op.id, Status: op.status}})
	}
	page, next, aerr := pageOf(items, func(it item) string { return it.key }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, nil, aerr
	}
	out := make([]wireStatusMetadata, len(page))
	for i, it := range page {
		out[i] = it.w
	}
	return out, next, nil
}

// seqKey turns a position into a key that sorts like the number.
func seqKey(i int) string { return fmt.Sprintf("%012d", i) }

func (e *Emulator) listAccountAssignmentCreationStatus(_ time.Time, body []byte) (any, *apiError) {
	items, next, aerr := e.listAssignmentOps(body, e.st.creationIDs)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentsCreationStatus []wireStatusMetadata `json:"AccountAssignmentsCreationStatus"`
		NextToken                        *string              `json:"NextToken,omitempty"`
	}{items, next}, nil
}

func (e *Emulator) listAccountAssignmentDeletionStatus(_ time.Time, body []byte) (any, *apiError) {
	items, next, aerr := e.listAssignmentOps(body, e.st.deletionIDs)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountAssignmentsDeletionStatus []wireStatusMetadata `json:"AccountAssignmentsDeletionStatus"`
		NextToken                        *string              `json:"NextToken,omitempty"`
	}{items, next}, nil
}

func assignmentKey(a Assignment) string {
	return a.AccountID + "|" + a.PermissionSetARN + "|" + a.PrincipalType + "|" + a.PrincipalID
}

func (a Assignment) wire() wireAccountAssignment {
	return wireAccountAssignment{AccountId: a.AccountID, PermissionSetArn: a.PermissionSetARN, PrincipalId: a.PrincipalID, PrincipalType: a.PrincipalType}
}

func (e *Emulator) listAccountAssignments(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		AccountId        *string
		InstanceArn      *string
		PermissionSetArn *string
		MaxResults       *int32
		NextToken        *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	account, aerr := requirePattern("AccountId", in.AccountId, accountIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	var matching []Assignment
	for _, a := range e.st.sortedAssignments() {
		if a.AccountID == account && a.PermissionSetARN == ps.arn {
			matching = append(matching, a)
		}
	}
	page, next, aerr := pageOf(matching, assignmentKey, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]wireAccountAssignment, len(page))
	for i, a := range page {
		out[i] = a.wire()
	}
	return struct {
		AccountAssignments []wireAccountAssignment `json:"AccountAssignments"`
		NextToken          *string                 `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func (e *Emulator) listAccountAssignmentsForPrincipal(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn   *string
		PrincipalId   *string
		PrincipalType *string
		Filter        *struct{ AccountId *string }
		MaxResults    *int32
		NextToken     *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	principal, aerr := requirePattern("PrincipalId", in.PrincipalId, principalIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	ptype, aerr := requireString("PrincipalType", in.PrincipalType)
	if aerr != nil {
		return nil, aerr
	}
	if ptype != principalUser && ptype != principalGroup {
		return nil, errValidation("1 validation error detected: Value '%s' at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]", ptype)
	}
	account := ""
	if in.Filter != nil && in.Filter.AccountId != nil {
		if account, aerr = requirePattern("Filter.AccountId", in.Filter.AccountId, accountIDPattern); aerr != nil {
			return nil, aerr
		}
	}
	var matching []Assignment
	for _, a := range e.st.sortedAssignments() {
		if a.PrincipalID == principal && a.PrincipalType == ptype && (account == "" || a.AccountID == account) {
			matching = append(matching, a)
		}
	}
	page, next, aerr := pageOf(matching, assignmentKey, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]wireAccountAssignment, len(page))
	for i, a := range page {
		out[i] = a.wire()
	}
	return struct {
		AccountAssignments []wireAccountAssignment `json:"AccountAssignments"`
		NextToken          *string                 `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func (ps *permissionSet) wire() *wirePermissionSet {
	return &wirePermissionSet{
		CreatedDate:      epochPtr(ps.created),
		Description:      ps.description,
		Name:             ps.name,
		PermissionSetArn: ps.arn,
		RelayState:       ps.relayState,
		SessionDuration:  ps.sessionDuration,
	}
}

func (e *Emulator) createPermissionSet(now time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn     *string
		Name            *string
		Description     *string
		RelayState      *string
		SessionDuration *string
		Tags            []wireTag
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	name, aerr := requireString("Name", in.Name)
	if aerr != nil {
		return nil, aerr
	}
	if len(name) < 1 || len(name) > permissionSetNameMaxLength {
		return nil, errLength("Name", name, 1, permissionSetNameMaxLength)
	}
	if !permissionSetNameRE.MatchString(name) {
		return nil, errPattern("Name", name, `[\w+=,.@-]+`)
	}
	for _, check := range []*apiError{validateDescription(in.Description), validateRelayState(in.RelayState), validateSessionDuration(in.SessionDuration)} {
		if check != nil {
			return nil, check
		}
	}
	tags, aerr := validateTags(in.Tags)
	if aerr != nil {
		return nil, aerr
	}
	if e.st.permissionSetByName(name) != nil {
		return nil, errConflict("PermissionSet with name %s already exists.", name)
	}
	if len(e.st.permissionSets) >= maxPermissionSets {
		return nil, errQuota("The instance already has %d permission sets, the most allowed.", maxPermissionSets)
	}
	duration := defaultSessionDurationISO
	if in.SessionDuration != nil {
		duration = *in.SessionDuration
	}
	ps := e.newPermissionSetLocked(name, duration, now)
	ps.description = in.Description
	ps.relayState = in.RelayState
	ps.tags = tags
	return struct {
		PermissionSet *wirePermissionSet `json:"PermissionSet"`
	}{ps.wire()}, nil
}

type permissionSetInput struct {
	InstanceArn      *string
	PermissionSetArn *string
}

func (e *Emulator) describePermissionSet(_ time.Time, body []byte) (any, *apiError) {
	var in permissionSetInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		PermissionSet *wirePermissionSet `json:"PermissionSet"`
	}{ps.wire()}, nil
}

func (e *Emulator) updatePermissionSet(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn      *string
		PermissionSetArn *string
		Description      *string
		RelayState       *string
		SessionDuration  *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	for _, check := range []*apiError{validateDescription(in.Description), validateRelayState(in.RelayState), validateSessionDuration(in.SessionDuration)} {
		if check != nil {
			return nil, check
		}
	}
	if in.Description != nil {
		ps.description = in.Description
	}
	if in.RelayState != nil {
		ps.relayState = in.RelayState
	}
	if in.SessionDuration != nil && *in.SessionDuration != ps.sessionDuration {
		ps.sessionDuration = *in.SessionDuration
		ps.version++
	}
	return struct{}{}, nil
}

func (e *Emulator) deletePermissionSet(_ time.Time, body []byte) (any, *apiError) {
	var in permissionSetInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	for a := range e.st.assignments {
		if a.PermissionSetARN == ps.arn {
			return nil, errConflict("Could not delete because PermissionSet has ApplicationProfile associated with it: it is still assigned in account %s.", a.AccountID)
		}
	}
	for _, p := range e.st.pending {
		switch op := p.(type) {
		case *assignmentOp:
			if op.a.PermissionSetARN == ps.arn {
				return nil, errConflict("Could not delete PermissionSet while account assignment request %s is in progress.", op.id)
			}
		case *provisionOp:
			if op.psARN == ps.arn {
				return nil, errConflict("Could not delete PermissionSet while provisioning request %s is in progress.", op.id)
			}
		}
	}
	delete(e.st.permissionSets, ps.arn)
	return struct{}{}, nil
}

func (e *Emulator) listPermissionSets(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn *string
		MaxResults  *int32
		NextToken   *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	arns := slices.Sorted(maps.Keys(e.st.permissionSets))
	page, next, aerr := pageOf(arns, func(s string) string { return s }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		NextToken      *string  `json:"NextToken,omitempty"`
		PermissionSets []string `json:"PermissionSets"`
	}{next, page}, nil
}

func provisioningFilter(v *string) (string, *apiError) {
	if v == nil {
		return "", nil
	}
	switch *v {
	case "LATEST_PERMISSION_SET_PROVISIONED", "LATEST_PERMISSION_SET_NOT_PROVISIONED":
		return *v, nil
	}
	return "", errValidation("1 validation error detected: Value '%s' at 'provisioningStatus' failed to satisfy constraint: Member must satisfy enum value set: [LATEST_PERMISSION_SET_PROVISIONED, LATEST_PERMISSION_SET_NOT_PROVISIONED]", *v)
}

func matchesProvisioning(filter string, upToDate bool) bool {
	switch filter {
	case "LATEST_PERMISSION_SET_PROVISIONED":
		return upToDate
	case "LATEST_PERMISSION_SET_NOT_PROVISIONED":
		return !upToDate
	}
	return true
}

func (e *Emulator) listPermissionSetsProvisionedToAccount(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		AccountId          *string
		InstanceArn        *string
		MaxResults         *int32
		NextToken          *string
		ProvisioningStatus *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	account, aerr := requirePattern("AccountId", in.AccountId, accountIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	filter, aerr := provisioningFilter(in.ProvisioningStatus)
	if aerr != nil {
		return nil, aerr
	}
	var arns []string
	for _, arn := range slices.Sorted(maps.Keys(e.st.permissionSets)) {
		ps := e.st.permissionSets[arn]
		if v, ok := ps.provisioned[account]; ok && matchesProvisioning(filter, v == ps.version) {
			arns = append(arns, arn)
		}
	}
	page, next, aerr := pageOf(arns, func(s string) string { return s }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		NextToken      *string  `json:"NextToken,omitempty"`
		PermissionSets []string `json:"PermissionSets"`
	}{next, page}, nil
}

func (e *Emulator) listAccountsForProvisionedPermissionSet(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn        *string
		PermissionSetArn   *string
		MaxResults         *int32
		NextToken          *string
		ProvisioningStatus *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	filter, aerr := provisioningFilter(in.ProvisioningStatus)
	if aerr != nil {
		return nil, aerr
	}
	var accounts []string
	for _, acct := range slices.Sorted(maps.Keys(ps.provisioned)) {
		if matchesProvisioning(filter, ps.provisioned[acct] == ps.version) {
			accounts = append(accounts, acct)
		}
	}
	page, next, aerr := pageOf(accounts, func(s string) string { return s }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccountIds []string `json:"AccountIds"`
		NextToken  *string  `json:"NextToken,omitempty"`
	}{page, next}, nil
}

func (op *provisionOp) wire() *wireProvisioningStatus {
	w := &wireProvisioningStatus{
		CreatedDate:      epochPtr(op.created),
		PermissionSetArn: op.psARN,
		RequestId:        op.id,
		Status:           op.status,
	}
	if op.account != "" {
		w.AccountId = ptr(op.account)
	}
	return w
}

func (e *Emulator) provisionPermissionSet(now time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn      *string
		PermissionSetArn *string
		TargetType       *string
		TargetId         *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	ttype, aerr := requireString("TargetType", in.TargetType)
	if aerr != nil {
		return nil, aerr
	}
	var account string
	var accounts []string
	switch ttype {
	case "AWS_ACCOUNT":
		if in.TargetId == nil {
			return nil, errValidation("TargetId is required when TargetType is AWS_ACCOUNT.")
		}
		if account, aerr = requirePattern("TargetId", in.TargetId, accountIDPattern); aerr != nil {
			return nil, aerr
		}
		accounts = []string{account}
	case "ALL_PROVISIONED_ACCOUNTS":
		if in.TargetId != nil {
			return nil, errValidation("TargetId must not be set when TargetType is ALL_PROVISIONED_ACCOUNTS.")
		}
		accounts = slices.Sorted(maps.Keys(ps.provisioned))
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACCOUNT, ALL_PROVISIONED_ACCOUNTS]", ttype)
	}
	for _, p := range e.st.pending {
		op, ok := p.(*provisionOp)
		if !ok {
			continue
		}
		for _, acct := range accounts {
			if slices.Contains(op.accounts, acct) {
				return nil, errConflict("A provisioning operation (request %s) is already in progress for account %s. Retry after it completes.", op.id, acct)
			}
		}
	}
	if account != "" {
		if _, ok := ps.provisioned[account]; !ok && e.provisionedCount(account) >= maxProvisionedPerAccount {
			return nil, errQuota("Account %s already has %d permission sets provisioned, the most allowed.", account, maxProvisionedPerAccount)
		}
	}
	e.st.seq++
	op := &provisionOp{
		id:       e.uuidLocked(),
		psARN:    ps.arn,
		account:  account,
		accounts: accounts,
		version:  ps.version,
		created:  now,
		done:     now.Add(e.asyncDelay),
		seq:      e.st.seq,
		status:   statusInProgress,
	}
	e.st.provisionOps[op.id] = op
	e.st.provisionIDs = append(e.st.provisionIDs, op.id)
	e.st.pending = append(e.st.pending, op)
	return struct {
		PermissionSetProvisioningStatus *wireProvisioningStatus `json:"PermissionSetProvisioningStatus"`
	}{op.wire()}, nil
}

func (e *Emulator) describePermissionSetProvisioningStatus(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn                     *string
		ProvisionPermissionSetRequestId *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	id, aerr := requirePattern("ProvisionPermissionSetRequestId", in.ProvisionPermissionSetRequestId, requestIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	op := e.st.provisionOps[id]
	if op == nil {
		return nil, errNotFound("Could not find the provisioning request with id %s.", id)
	}
	return struct {
		PermissionSetProvisioningStatus *wireProvisioningStatus `json:"PermissionSetProvisioningStatus"`
	}{op.wire()}, nil
}

func (e *Emulator) listPermissionSetProvisioningStatus(_ time.Time, body []byte) (any, *apiError) {
	var in statusListInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkInstance(in.InstanceArn); aerr != nil {
		return nil, aerr
	}
	want, aerr := in.filterStatus()
	if aerr != nil {
		return nil, aerr
	}
	type item struct {
		key string
		w   wireStatusMetadata
	}
	var items []item
	for i, id := range e.st.provisionIDs {
		op := e.st.provisionOps[id]
		if want != "" && op.status != want {
			continue
		}
		items = append(items, item{seqKey(i), wireStatusMetadata{CreatedDate: epochPtr(op.created), RequestId: op.id, Status: op.status}})
	}
	page, next, aerr := pageOf(items, func(it item) string { return it.key }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]wireStatusMetadata, len(page))
	for i, it := range page {
		out[i] = it.w
	}
	return struct {
		NextToken                        *string              `json:"NextToken,omitempty"`
		PermissionSetsProvisioningStatus []wireStatusMetadata `json:"PermissionSetsProvisioningStatus"`
	}{next, out}, nil
}

type managedPolicyInput struct {
	InstanceArn      *string
	ManagedPolicyArn *string
	PermissionSetArn *string
}

func (e *Emulator) attachManagedPolicy(_ time.Time, body []byte) (any, *apiError) {
	var in managedPolicyInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	arn, aerr := requireString("ManagedPolicyArn", in.ManagedPolicyArn)
	if aerr != nil {
		return nil, aerr
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return nil, errLength("ManagedPolicyArn", arn, 20, 2048)
	}
	if !managedPolicyARNPattern.MatchString(arn) {
		return nil, errValidation("The managed policy ARN %s is not valid: attach AWS managed policies by ARN, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess.", arn)
	}
	if slices.Contains(ps.managed, arn) {
		return nil, errConflict("Permission set %s already has the managed policy %s attached.", ps.arn, arn)
	}
	if len(ps.managed) >= maxManagedPolicies {
		return nil, errQuota("Permission set %s already has %d managed policies attached, the most allowed.", ps.arn, maxManagedPolicies)
	}
	ps.managed = append(ps.managed, arn)
	ps.version++
	return struct{}{}, nil
}

func (e *Emulator) detachManagedPolicy(_ time.Time, body []byte) (any, *apiError) {
	var in managedPolicyInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	arn, aerr := requireString("ManagedPolicyArn", in.ManagedPolicyArn)
	if aerr != nil {
		return nil, aerr
	}
	i := slices.Index(ps.managed, arn)
	if i < 0 {
		return nil, errNotFound("Could not find managed policy %s attached to permission set %s.", arn, ps.arn)
	}
	ps.managed = slices.Delete(ps.managed, i, i+1)
	ps.version++
	return struct{}{}, nil
}

func (e *Emulator) listManagedPolicies(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InstanceArn      *string
		PermissionSetArn *string
		MaxResults       *int32
		NextToken        *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	arns := slices.Sorted(slices.Values(ps.managed))
	page, next, aerr := pageOf(arns, func(s string) string { return s }, in.NextToken, in.MaxResults, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]wireManagedPolicy, len(page))
	for i, arn := range page {
		out[i] = wireManagedPolicy{Arn: arn, Name: arn[strings.LastIndex(arn, "/")+1:]}
	}
	return struct {
		AttachedManagedPolicies []wireManagedPolicy `json:"AttachedManagedPolicies"`
		NextToken               *string             `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func (e *Emulator) putInlinePolicy(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		InlinePolicy     *string
		InstanceArn      *string
		PermissionSetArn *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	policy, aerr := requireString("InlinePolicy", in.InlinePolicy)
	if aerr != nil {
		return nil, aerr
	}
	if len(policy) < 1 || len(policy) > maxInlinePolicyBytes {
		return nil, errLength("InlinePolicy", policy, 1, maxInlinePolicyBytes)
	}
	var doc struct {
		Version   *string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil || doc.Statement == nil {
		return nil, errValidation("The policy document is malformed: it must be a JSON object with a Statement.")
	}
	if policy != ps.inline {
		ps.inline = policy
		ps.version++
	}
	return struct{}{}, nil
}

func (e *Emulator) getInlinePolicy(_ time.Time, body []byte) (any, *apiError) {
	var in permissionSetInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	var policy *string
	if ps.inline != "" {
		policy = ptr(ps.inline)
	}
	return struct {
		InlinePolicy *string `json:"InlinePolicy,omitempty"`
	}{policy}, nil
}

func (e *Emulator) deleteInlinePolicy(_ time.Time, body []byte) (any, *apiError) {
	var in permissionSetInput
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.lookupPermissionSet(in.InstanceArn, in.PermissionSetArn)
	if aerr != nil {
		return nil, aerr
	}
	// Deleting a policy that is not there succeeds, as in AWS.
	if ps.inline != "" {
		ps.inline = ""
		ps.version++
	}
	return struct{}{}, nil
}

func (e *Emulator) taggedResource(instance, resource *string) (*permissionSet, *apiError) {
	if aerr := e.checkInstance(instance); aerr != nil {
		return nil, aerr
	}
	arn, aerr := requireString("ResourceArn", resource)
	if aerr != nil {
		return nil, aerr
	}
	ps := e.st.permissionSets[arn]
	if ps == nil {
		if !permissionSetARNPattern.MatchString(arn) {
			return nil, errValidation("The resource ARN %s is not a permission set of this instance; only permission sets can be tagged.", arn)
		}
		return nil, errNotFound("Could not find resource %s.", arn)
	}
	return ps, nil
}

func (e *Emulator) tagResource(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		ResourceArn *string
		Tags        []wireTag
		InstanceArn *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	if in.Tags == nil {
		return nil, errNull("Tags")
	}
	tags, aerr := validateTags(in.Tags)
	if aerr != nil {
		return nil, aerr
	}
	merged := maps.Clone(ps.tags)
	maps.Copy(merged, tags)
	if len(merged) > maxTagsPerResource {
		return nil, errQuota("Resource %s would have %d tags; at most %d are allowed.", ps.arn, len(merged), maxTagsPerResource)
	}
	ps.tags = merged
	return struct{}{}, nil
}

func (e *Emulator) untagResource(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		ResourceArn *string
		TagKeys     []string
		InstanceArn *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	if in.TagKeys == nil {
		return nil, errNull("TagKeys")
	}
	for _, k := range in.TagKeys {
		delete(ps.tags, k)
	}
	return struct{}{}, nil
}

func (e *Emulator) listTagsForResource(_ time.Time, body []byte) (any, *apiError) {
	var in struct {
		ResourceArn *string
		InstanceArn *string
		NextToken   *string
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	keys := slices.Sorted(maps.Keys(ps.tags))
	page, next, aerr := pageOf(keys, func(s string) string { return s }, in.NextToken, nil, maxResultsLimit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]wireTag, len(page))
	for i, k := range page {
		out[i] = wireTag{Key: ptr(k), Value: ptr(ps.tags[k])}
	}
	return struct {
		NextToken *string   `json:"NextToken,omitempty"`
		Tags      []wireTag `json:"Tags"`
	}{next, out}, nil
}
