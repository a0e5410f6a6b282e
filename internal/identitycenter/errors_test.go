package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestClassify(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("granting x: CreateAccountAssignment: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	for _, c := range []struct {
		err  error
		want ErrorClass
	}{
		{api("ValidationException"), Permanent},
		{api("ServiceQuotaExceededException"), Permanent},
		{api("ResourceNotFoundException"), Permanent},
		{&FailedError{Operation: "CreateAccountAssignment", Reason: "quota"}, Permanent},
		{api("AccessDeniedException"), Setup},
		{fmt.Errorf("granting x: %w", &ManagementAccountError{Account: "999988887777", Err: api("AccessDeniedException")}), Permanent},
		{api("ThrottlingException"), Transient},
		{api("ConflictException"), Transient},
		{api("InternalServerException"), Transient},
		{context.DeadlineExceeded, Transient},
		{errors.New("connection reset"), Transient},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if got := Reason(api("ValidationException")); got != "ValidationException: m" {
		t.Errorf("Reason = %q", got)
	}
}
