package idcemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jsonContentType is the only content type the AWS JSON 1.1 endpoints of
// sso-admin and identitystore accept and send.
const jsonContentType = "application/x-amz-json-1.1"

// Error codes as they appear in __type. The SDK strips any namespace and looks
// the short name up in the service's type registry, so the short name alone is
// what both services' clients understand.
const (
	codeValidation     = "ValidationException"
	codeNotFound       = "ResourceNotFoundException"
	codeConflict       = "ConflictException"
	codeThrottling     = "ThrottlingException"
	codeAccessDenied   = "AccessDeniedException"
	codeInternal       = "InternalServerException"
	codeQuota          = "ServiceQuotaExceededException"
	codeSerialization  = "SerializationException"
	codeUnknownOp      = "UnknownOperationException"
	codeMissingAuth    = "MissingAuthenticationTokenException"
	codeIncompleteAuth = "IncompleteSignatureException"
)

// apiError is a modelled AWS error: HTTP status, __type, Message and any
// extra members the error shape has (Reason, ResourceType, ...).
type apiError struct {
	status  int
	code    string
	message string
	extra   map[string]any
}

func errValidation(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeValidation, message: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: fmt.Sprintf(format, args...)}
}

func errConflict(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: codeConflict, message: fmt.Sprintf(format, args...)}
}

func errQuota(format string, args ...any) *apiError {
	return &apiError{status: http.StatusPaymentRequired, code: codeQuota, message: fmt.Sprintf(format, args...)}
}

// errAccessDenied is IAM's refusal of an action the caller's policy does
// not allow, in the words AWS uses.
func errAccessDenied(op string) *apiError {
	prefix := "sso"
	if op == "GetUserId" || op == "DescribeUser" || op == "ListUsers" {
		prefix = "identitystore"
	}
	return &apiError{status: http.StatusBadRequest, code: codeAccessDenied,
		message: "User: arn:aws:sts::111122223333:assumed-role/jit-reconcile/GitHubActions is not authorized to perform: " + prefix + ":" + op + " because no identity-based policy allows the " + prefix + ":" + op + " action"}
}

func errThrottling(message string) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeThrottling, message: message}
}

func errInternal() *apiError {
	return &apiError{status: http.StatusInternalServerError, code: codeInternal,
		message: "An internal error occurred. Please try again."}
}

func errSerialization(err error) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeSerialization,
		message: "Failed to parse the request body: " + err.Error()}
}

// Validation messages use the wording of AWS's request validator, so that a
// client's logs read the same against the emulator as against AWS.

func errNull(member string) *apiError {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(member))
}

func errPattern(member, value, pattern string) *apiError {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, lowerFirst(member), pattern)
}

func errLength(member string, value string, minLen, maxLen int) *apiError {
	shown := value
	if len(shown) > 64 {
		shown = shown[:64] + "..."
	}
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between %d and %d, inclusive", shown, lowerFirst(member), minLen, maxLen)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// epoch is a timestamp in the AWS JSON protocols' default encoding: seconds
// since the Unix epoch as a JSON number, with a fractional part.
type epoch time.Time

// MarshalJSON writes the time as epoch seconds with millisecond precision.
func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func epochPtr(t time.Time) *epoch {
	e := epoch(t)
	return &e
}

func ptr[T any](v T) *T { return &v }

// writeJSON sends a successful response in the AWS JSON 1.1 protocol.
func writeJSON(w http.ResponseWriter, requestID string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		// Every response type is a plain struct of strings, numbers and
		// slices, so this is a programming error; answer as AWS would.
		writeError(w, requestID, false, errInternal())
		return
	}
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeError sends an error the way the AWS JSON protocols do: the status
// code, the X-Amzn-ErrorType header and a body with __type and Message.
// identitystore's error shapes also carry the request id in the body.
func writeError(w http.ResponseWriter, requestID string, withRequestID bool, e *apiError) {
	body := map[string]any{"__type": e.code, "Message": e.message}
	for k, v := range e.extra {
		body[k] = v
	}
	if withRequestID {
		body["RequestId"] = requestID
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amzn-Errortype", e.code)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// Response members shared by several sso-admin operations. Field names are
// the members of the service model, which the JSON protocols use verbatim.

type wireAssignmentStatus struct {
	CreatedDate      *epoch  `json:"CreatedDate,omitempty"`
	FailureReason    *string `json:"FailureReason,omitempty"`
	PermissionSetArn string  `json:"PermissionSetArn"`
	PrincipalId      string  `json:"PrincipalId"`
	PrincipalType    string  `json:"PrincipalType"`
	RequestId        string  `json:"RequestId"`
	Status           string  `json:"Status"`
	TargetId         string  `json:"TargetId"`
	TargetType       string  `json:"TargetType"`
}

type wireStatusMetadata struct {
	CreatedDate *epoch `json:"CreatedDate,omitempty"`
	RequestId   string `json:"RequestId"`
	Status      string `json:"Status"`
}

type wireProvisioningStatus struct {
	AccountId        *string `json:"AccountId,omitempty"`
	CreatedDate      *epoch  `json:"CreatedDate,omitempty"`
	FailureReason    *string `json:"FailureReason,omitempty"`
	PermissionSetArn string  `json:"PermissionSetArn"`
	RequestId        string  `json:"RequestId"`
	Status           string  `json:"Status"`
}

type wireAccountAssignment struct {
	AccountId        string `json:"AccountId"`
	PermissionSetArn string `json:"PermissionSetArn"`
	PrincipalId      string `json:"PrincipalId"`
	PrincipalType    string `json:"PrincipalType"`
}

type wirePermissionSet struct {
	CreatedDate      *epoch  `json:"CreatedDate,omitempty"`
	Description      *string `json:"Description,omitempty"`
	Name             string  `json:"Name"`
	PermissionSetArn string  `json:"PermissionSetArn"`
	RelayState       *string `json:"RelayState,omitempty"`
	SessionDuration  string  `json:"SessionDuration"`
}

type wireTag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type wireManagedPolicy struct {
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

type wireOperationStatusFilter struct {
	Status *string `json:"Status"`
}
