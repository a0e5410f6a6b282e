package idcemu

import (
	"maps"
	"slices"
	"time"
)

// Provisioning: pushing a permission set's current version to accounts, and
// the status of those requests.

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

func (e *Emulator) provisionPermissionSet(now time.Time, ps *permissionSet, in struct {
	permissionSetInput
	TargetType *string
	TargetId   *string
}) (any, *apiError) {
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
	return map[string]any{"PermissionSetProvisioningStatus": op.wire()}, nil
}

func (e *Emulator) describePermissionSetProvisioningStatus(_ time.Time, in struct {
	instanceInput
	ProvisionPermissionSetRequestId *string
}) (any, *apiError) {
	op, aerr := find(e.st.provisionOps, "ProvisionPermissionSetRequestId", in.ProvisionPermissionSetRequestId, requestIDPattern, func(id string) *apiError {
		return errNotFound("Could not find the provisioning request with id %s.", id)
	})
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"PermissionSetProvisioningStatus": op.wire()}, nil
}

func (e *Emulator) listPermissionSetProvisioningStatus(_ time.Time, in statusListInput) (any, *apiError) {
	return e.listStatuses(in, "PermissionSetsProvisioningStatus", e.st.provisionIDs, func(id string) wireStatusMetadata {
		op := e.st.provisionOps[id]
		return wireStatusMetadata{CreatedDate: epochPtr(op.created), RequestId: op.id, Status: op.status}
	})
}
