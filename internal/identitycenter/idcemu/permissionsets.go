package idcemu

import (
	"maps"
	"slices"
	"time"
)

// Permission sets: create, describe, update, delete and the listings.

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

// firstError is the first of the checks that failed, or nil.
func firstError(checks ...*apiError) *apiError {
	for _, check := range checks {
		if check != nil {
			return check
		}
	}
	return nil
}

func (e *Emulator) createPermissionSet(now time.Time, in struct {
	instanceInput
	Name            *string
	Description     *string
	RelayState      *string
	SessionDuration *string
	Tags            []wireTag
}) (any, *apiError) {
	name, aerr := requireLength("Name", in.Name, 1, permissionSetNameMaxLength)
	if aerr != nil {
		return nil, aerr
	}
	if !permissionSetNameRE.MatchString(name) {
		return nil, errPattern("Name", name, `[\w+=,.@-]+`)
	}
	if aerr := firstError(validateDescription(in.Description), validateRelayState(in.RelayState), validateSessionDuration(in.SessionDuration)); aerr != nil {
		return nil, aerr
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
	return map[string]any{"PermissionSet": ps.wire()}, nil
}

func (e *Emulator) describePermissionSet(_ time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	return map[string]any{"PermissionSet": ps.wire()}, nil
}

func (e *Emulator) updatePermissionSet(_ time.Time, ps *permissionSet, in struct {
	permissionSetInput
	Description     *string
	RelayState      *string
	SessionDuration *string
}) (any, *apiError) {
	if aerr := firstError(validateDescription(in.Description), validateRelayState(in.RelayState), validateSessionDuration(in.SessionDuration)); aerr != nil {
		return nil, aerr
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

// errStillProvisioned is AWS's refusal to delete a set whose role (its
// "ApplicationProfile") still exists in an account: while it is assigned or
// provisioned there, and until the role's removal after the last assignment
// is over. The first sentence is AWS's message, as clients report it.
func errStillProvisioned(account, why string) *apiError {
	return errConflict("Could not delete because PermissionSet has ApplicationProfile associated with it. (Account %s: %s.)", account, why)
}

func (e *Emulator) deletePermissionSet(now time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	for _, a := range e.st.sortedAssignments() {
		if a.PermissionSetARN == ps.arn {
			return nil, errStillProvisioned(a.AccountID, "still assigned")
		}
	}
	if len(ps.provisioned) > 0 {
		return nil, errStillProvisioned(slices.Sorted(maps.Keys(ps.provisioned))[0], "still provisioned")
	}
	for _, account := range slices.Sorted(maps.Keys(ps.deprovisioning)) {
		if now.Before(ps.deprovisioning[account]) {
			return nil, errStillProvisioned(account, "the permission set's role is still being removed after its last assignment")
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

func (e *Emulator) listPermissionSets(_ time.Time, in struct {
	instanceInput
	pageInput
}) (any, *apiError) {
	arns := slices.Sorted(maps.Keys(e.st.permissionSets))
	return listed("PermissionSets", arns, same, in.pageInput, maxResultsLimit, same)
}

// matchesProvisioning applies a ProvisioningStatus filter; validateInput
// has refused values outside the model's enum.
func matchesProvisioning(filter *string, upToDate bool) bool {
	if filter == nil {
		return true
	}
	switch *filter {
	case "LATEST_PERMISSION_SET_PROVISIONED":
		return upToDate
	case "LATEST_PERMISSION_SET_NOT_PROVISIONED":
		return !upToDate
	}
	return true
}

func (e *Emulator) listPermissionSetsProvisionedToAccount(_ time.Time, in struct {
	AccountId *string
	instanceInput
	ProvisioningStatus *string
	pageInput
}) (any, *apiError) {
	account, aerr := requirePattern("AccountId", in.AccountId, accountIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	var arns []string
	for _, arn := range slices.Sorted(maps.Keys(e.st.permissionSets)) {
		ps := e.st.permissionSets[arn]
		if v, ok := ps.provisioned[account]; ok && matchesProvisioning(in.ProvisioningStatus, v == ps.version) {
			arns = append(arns, arn)
		}
	}
	return listed("PermissionSets", arns, same, in.pageInput, maxResultsLimit, same)
}

func (e *Emulator) listAccountsForProvisionedPermissionSet(_ time.Time, ps *permissionSet, in struct {
	permissionSetInput
	ProvisioningStatus *string
	pageInput
}) (any, *apiError) {
	var accounts []string
	for _, acct := range slices.Sorted(maps.Keys(ps.provisioned)) {
		if matchesProvisioning(in.ProvisioningStatus, ps.provisioned[acct] == ps.version) {
			accounts = append(accounts, acct)
		}
	}
	return listed("AccountIds", accounts, same, in.pageInput, maxResultsLimit, same)
}
