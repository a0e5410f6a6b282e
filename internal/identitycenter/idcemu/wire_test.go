package idcemu

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"
)

const sigV4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/sso/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef"

type rawResponse struct {
	status  int
	header  http.Header
	body    map[string]any
	rawBody string
}

func (h *harness) raw(t *testing.T, target, contentType, auth, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+"/", strings.NewReader(body))
	ok(t, err)
	req.Header.Set("X-Amz-Target", target)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	ok(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ok(t, err)
	out := rawResponse{status: resp.StatusCode, header: resp.Header, rawBody: string(b)}
	if err := json.Unmarshal(b, &out.body); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", b, err)
	}
	return out
}

func TestWireErrors(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	tests := []struct {
		name, target, contentType, auth, body string
		status                                int
		code                                  string
		messageHas                            string
	}{
		{"no authorization", "SWBExternalService.ListInstances", jsonContentType, "", "{}", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"not sigv4", "AWSIdentityStore.ListUsers", jsonContentType, "Bearer abc", "{}", 403, "IncompleteSignatureException", "Credential"},
		{"unknown operation", "SWBExternalService.CreateInstance", jsonContentType, sigV4, "{}", 400, "UnknownOperationException", "CreateInstance"},
		{"no target", "", jsonContentType, sigV4, "{}", 400, "UnknownOperationException", ""},
		{"wrong content type", "SWBExternalService.ListInstances", "application/json", sigV4, "{}", 400, "SerializationException", "application/x-amz-json-1.1"},
		{"malformed JSON", "SWBExternalService.ListPermissionSets", jsonContentType, sigV4, `{"InstanceArn":`, 400, "SerializationException", ""},
		{"wrong member type", "SWBExternalService.ListPermissionSets", jsonContentType, sigV4, `{"InstanceArn":7}`, 400, "SerializationException", ""},
		{"required member missing", "SWBExternalService.CreatePermissionSet", jsonContentType, sigV4, `{"Name":"x"}`, 400, "ValidationException", "Value null at 'instanceArn'"},
		{"empty body is an empty object", "SWBExternalService.ListPermissionSets", jsonContentType, sigV4, ``, 400, "ValidationException", "Value null at 'instanceArn'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.raw(t, tt.target, tt.contentType, tt.auth, tt.body)
			if r.status != tt.status || r.body["__type"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", r.status, r.rawBody, tt.status, tt.code)
			}
			if got := r.header.Get("X-Amzn-ErrorType"); got != tt.code {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tt.code)
			}
			if msg, _ := r.body["Message"].(string); !strings.Contains(msg, tt.messageHas) {
				t.Errorf("Message %q does not mention %q", msg, tt.messageHas)
			}
			if r.header.Get("X-Amzn-RequestId") == "" || r.header.Get("Content-Type") != jsonContentType {
				t.Errorf("headers %v lack a request id or the JSON 1.1 content type", r.header)
			}
		})
	}
	calls := h.emu.Calls()
	if calls[CallsUnauthenticated] != 2 {
		t.Errorf("Calls[%q] = %d, want 2", CallsUnauthenticated, calls[CallsUnauthenticated])
	}
}

func TestWireSuccessShape(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	r := h.raw(t, "SWBExternalService.CreatePermissionSet", jsonContentType, sigV4,
		`{"InstanceArn":"`+DefaultInstanceARN+`","Name":"Wire","SessionDuration":"PT2H","Unknown":"ignored"}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.rawBody)
	}
	ps, _ := r.body["PermissionSet"].(map[string]any)
	if _, isNumber := ps["CreatedDate"].(float64); !isNumber {
		t.Errorf("CreatedDate is %T in %s, want epoch seconds as a JSON number", ps["CreatedDate"], r.rawBody)
	}
	if ps["Name"] != "Wire" || ps["SessionDuration"] != "PT2H" {
		t.Errorf("PermissionSet = %v", ps)
	}

	// identitystore errors carry the request id in the body as well.
	r = h.raw(t, "AWSIdentityStore.DescribeUser", jsonContentType, sigV4,
		`{"IdentityStoreId":"`+DefaultIdentityStoreID+`","UserId":"0123456789-01234567-89ab-4cde-8f01-23456789abcd"}`)
	if r.status != 404 || r.body["RequestId"] != r.header.Get("X-Amzn-RequestId") || r.body["ResourceType"] != "USER" {
		t.Errorf("identitystore not-found = %d %s", r.status, r.rawBody)
	}
}

func TestSDKWithoutCredentialsIsRejected(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	client := ssoadmin.New(ssoadmin.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(h.url), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1,
	})
	_, err := client.ListInstances(t.Context(), &ssoadmin.ListInstancesInput{})
	wantAPIError(t, err, "MissingAuthenticationTokenException", http.StatusForbidden)

	ids := identitystore.New(identitystore.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(h.url), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1,
	})
	_, err = ids.GetUserId(t.Context(), &identitystore.GetUserIdInput{IdentityStoreId: aws.String(DefaultIdentityStoreID), AlternateIdentifier: byUserName("x")})
	wantAPIError(t, err, "MissingAuthenticationTokenException", http.StatusForbidden)
	if got := h.emu.Calls()[CallsTotal]; got != 0 {
		t.Errorf("unauthenticated requests counted in %q: %d", CallsTotal, got)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Options{RequestsPerSecond: 5}, 1)
	list := func() error {
		_, err := h.sso.ListPermissionSets(t.Context(), &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(DefaultInstanceARN)})
		return err
	}
	// The clock stands still: a bucket of one second's worth, then throttles.
	for range 5 {
		ok(t, list())
	}
	err := list()
	wantAPIError(t, err, "ThrottlingException", http.StatusTooManyRequests)
	var thr *types.ThrottlingException
	if !errors.As(err, &thr) || thr.ErrorMessage() != "Rate exceeded" {
		t.Errorf("throttle = %v, want ThrottlingException: Rate exceeded", err)
	}
	// The bucket is shared with identitystore.
	_, err = h.ids.ListUsers(t.Context(), &identitystore.ListUsersInput{IdentityStoreId: aws.String(DefaultIdentityStoreID)})
	wantAPIError(t, err, "ThrottlingException", http.StatusTooManyRequests)

	h.clock.Advance(200 * time.Millisecond) // one token at 5/s
	ok(t, list())
	wantAPIError(t, list(), "ThrottlingException", http.StatusTooManyRequests)

	want := map[string]int{"ListPermissionSets": 8, "ListUsers": 1, CallsTotal: 9, CallsThrottled: 3}
	if diff := cmp.Diff(want, h.emu.Calls()); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}

	h.emu.SetRequestsPerSecond(-1)
	for range 50 {
		ok(t, list())
	}
	h.emu.SetRequestsPerSecond(0) // back to AWS's default of 20/s
	h.clock.Advance(time.Second)
	n := 0
	for list() == nil {
		n++
	}
	if n != DefaultRequestsPerSecond {
		t.Errorf("default limit let %d requests through in a standing second, want %d", n, DefaultRequestsPerSecond)
	}
}

func TestFaultInjection(t *testing.T) {
	run := func(t *testing.T, seed int64) []bool {
		h := newHarness(t, Options{FaultRate: 0.3, Seed: seed}, 1)
		var faulted []bool
		for range 200 {
			_, err := h.sso.ListPermissionSets(t.Context(), &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(DefaultInstanceARN)})
			if err != nil {
				wantAPIError(t, err, "InternalServerException", http.StatusInternalServerError)
				var ise *types.InternalServerException
				if !errors.As(err, &ise) {
					t.Fatalf("fault %T is not the modelled InternalServerException", err)
				}
			}
			faulted = append(faulted, err != nil)
		}
		n := 0
		for _, f := range faulted {
			if f {
				n++
			}
		}
		if n < 40 || n > 80 {
			t.Errorf("%d of 200 requests faulted at rate 0.3, want about 60", n)
		}
		if got := h.emu.Calls()[CallsFaulted]; got != n {
			t.Errorf("Calls[%q] = %d, want %d", CallsFaulted, got, n)
		}
		return faulted
	}
	first, second := run(t, 7), run(t, 7)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("the same seed gave different faults (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(first, run(t, 8)); diff == "" {
		t.Errorf("different seeds gave the same 200 faults")
	}
}

func TestFaultsHaveNoEffectAndAreRetried(t *testing.T) {
	h := newHarness(t, Options{FaultRate: 1}, 1)
	_, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: aws.String(DefaultInstanceARN), Name: aws.String("X")})
	wantAPIError(t, err, "InternalServerException", http.StatusInternalServerError)
	if got := h.emu.PermissionSets(); len(got) != 0 {
		t.Fatalf("a faulted request changed state: %v", got)
	}

	// The SDK's standard retryer retries 500s; at 30% nearly every call gets through.
	h = newHarness(t, Options{FaultRate: 0.3, Seed: 1}, 10)
	for i := range 50 {
		_, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{
			InstanceArn: aws.String(DefaultInstanceARN), Name: aws.String("Set" + string(rune('A'+i%26)) + string(rune('a'+i/26))),
		})
		ok(t, err)
	}
	if got := len(h.emu.PermissionSets()); got != 50 {
		t.Errorf("%d permission sets, want 50", got)
	}
	if h.emu.Calls()[CallsFaulted] == 0 {
		t.Errorf("no faults were injected at rate 0.3")
	}
	h.emu.SetFaultRate(0)
	before := h.emu.Calls()[CallsFaulted]
	for range 20 {
		_, err := h.sso.ListInstances(t.Context(), &ssoadmin.ListInstancesInput{})
		ok(t, err)
	}
	if h.emu.Calls()[CallsFaulted] != before {
		t.Errorf("faults injected after SetFaultRate(0)")
	}
}

func TestSnapshot(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice Liddell")
	bob := h.emu.AddUser("bob@acme.example", "Bob")
	ro := h.emu.AddPermissionSet("ReadOnlyAccess", 4*time.Hour, []string{"ReadOnlyAccess"}, `{"Statement":[]}`)
	h.emu.AddAssignment(account, ro, alice)
	_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ro, bob))
	ok(t, err)
	_, err = h.sso.TagResource(t.Context(), &ssoadmin.TagResourceInput{InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String(ro),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sso")}}})
	ok(t, err)

	snap := h.emu.Snapshot()
	for _, want := range []string{
		"users (2):", "alice@acme.example", `"Alice Liddell"`,
		"ReadOnlyAccess  " + ro + "  session PT4H  v1",
		"managed: arn:aws:iam::aws:policy/ReadOnlyAccess", "inline policy: 16 bytes", "tags: team=sso", "provisioned to: " + account,
		"assignments (1):", account + "  ReadOnlyAccess  alice@acme.example",
		"in progress (1):", "create assignment " + account + "  ReadOnlyAccess  bob@acme.example",
	} {
		if !strings.Contains(snap, want) {
			t.Errorf("snapshot lacks %q:\n%s", want, snap)
		}
	}
	h.clock.Advance(time.Second)
	if snap := h.emu.Snapshot(); !strings.Contains(snap, "assignments (2):") || strings.Contains(snap, "in progress") {
		t.Errorf("snapshot after completion:\n%s", snap)
	}
}
