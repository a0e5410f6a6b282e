package identitycenter

import (
	"errors"

	"github.com/aws/smithy-go"
)

// ErrorClass says what the caller of Grant or Revoke should do with an
// error.
type ErrorClass int

const (
	// Transient errors (throttling, 5xx, conflicts, timeouts) are tried
	// again by the next run.
	Transient ErrorClass = iota
	// Permanent errors end the grant as failed: AWS refuses the request as
	// it is (ValidationException, ServiceQuotaExceededException,
	// ResourceNotFoundException, an assignment that ends FAILED, an
	// assignment in the management account refused to a delegated
	// administrator), and repeating it fails the same way.
	Permanent
	// Setup errors (AccessDeniedException) mean the role jit assumes lacks a
	// permission: nothing about the grant is wrong, the setup is. They are
	// reported on every run and never recorded on a grant.
	Setup
)

// Classify sorts an error from Grant or Revoke into its class.
func Classify(err error) ErrorClass {
	if err == nil {
		return Transient
	}
	var failed *FailedError
	var management *ManagementAccountError
	if errors.As(err, &failed) || errors.As(err, &management) {
		return Permanent
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDeniedException", "AccessDenied":
			return Setup
		case "ValidationException", "ServiceQuotaExceededException", "ResourceNotFoundException":
			return Permanent
		}
	}
	return Transient
}

// Reason is AWS's own words for a permanent or setup error, for the
// grant's record and the requester: the error code and its message.
func Reason(err error) string {
	var failed *FailedError
	if errors.As(err, &failed) {
		return failed.Reason
	}
	var management *ManagementAccountError
	if errors.As(err, &management) {
		return management.Reason()
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}
