package idcemu

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// identityStoreOperations are the identitystore operations jit uses, by the
// name in X-Amz-Target after "AWSIdentityStore.".
var identityStoreOperations = map[string]handlerFunc{
	"GetUserId":    op((*Emulator).getUserID),
	"DescribeUser": op((*Emulator).describeUser),
	"ListUsers":    op((*Emulator).listUsers),
}

var identityStoreIDPattern = regexp.MustCompile(`^d-[0-9a-f]{10}$|^[0-9a-f]{8}\b-[0-9a-f]{4}\b-[0-9a-f]{4}\b-[0-9a-f]{4}\b-[0-9a-f]{12}$`)

func (e *Emulator) checkIdentityStore(v *string) *apiError {
	id, aerr := requireString("IdentityStoreId", v)
	if aerr != nil {
		return aerr
	}
	if len(id) < 1 || len(id) > 36 {
		return errLength("IdentityStoreId", id, 1, 36)
	}
	if !identityStoreIDPattern.MatchString(id) {
		return errPattern("IdentityStoreId", id, identityStoreIDPattern.String())
	}
	if id != e.identityStoreID {
		return identityNotFound("IDENTITY_STORE", id, "Identity store "+id+" does not exist.")
	}
	return nil
}

func identityNotFound(resourceType, id, message string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: message,
		extra: map[string]any{"ResourceType": resourceType, "ResourceId": id}}
}

func (e *Emulator) getUserID(_ time.Time, in struct {
	storeInput
	AlternateIdentifier *struct {
		UniqueAttribute *struct {
			AttributePath  *string
			AttributeValue json.RawMessage
		}
		ExternalId *struct {
			Id     *string
			Issuer *string
		}
	}
}) (any, *apiError) {
	if in.AlternateIdentifier == nil {
		return nil, errNull("AlternateIdentifier")
	}
	switch {
	case in.AlternateIdentifier.ExternalId != nil:
		// Users here come from AddUser, not from an external IdP, so no
		// external id can match.
		ext := in.AlternateIdentifier.ExternalId
		id := ""
		if ext.Id != nil {
			id = *ext.Id
		}
		return nil, identityNotFound("USER", id, "USER not found.")
	case in.AlternateIdentifier.UniqueAttribute == nil:
		return nil, errValidation("AlternateIdentifier must have exactly one of UniqueAttribute and ExternalId.")
	}
	ua := in.AlternateIdentifier.UniqueAttribute
	path, aerr := requireString("AlternateIdentifier.UniqueAttribute.AttributePath", ua.AttributePath)
	if aerr != nil {
		return nil, aerr
	}
	if !strings.EqualFold(path, "userName") {
		return nil, errValidation("Invalid attribute path %s: this identity store resolves users by userName.", path)
	}
	var value string
	if err := json.Unmarshal(ua.AttributeValue, &value); err != nil {
		return nil, errValidation("AttributeValue for userName must be a string.")
	}
	u := e.st.userByName(value)
	if u == nil {
		return nil, identityNotFound("USER", value, "USER not found.")
	}
	return struct {
		IdentityStoreId string `json:"IdentityStoreId"`
		UserId          string `json:"UserId"`
	}{e.identityStoreID, u.id}, nil
}

type wireName struct {
	FamilyName *string `json:"FamilyName,omitempty"`
	Formatted  *string `json:"Formatted,omitempty"`
	GivenName  *string `json:"GivenName,omitempty"`
}

type wireEmail struct {
	Primary bool   `json:"Primary"`
	Type    string `json:"Type"`
	Value   string `json:"Value"`
}

type wireUser struct {
	IdentityStoreId string      `json:"IdentityStoreId"`
	UserId          string      `json:"UserId"`
	UserName        string      `json:"UserName"`
	DisplayName     string      `json:"DisplayName,omitempty"`
	Name            *wireName   `json:"Name,omitempty"`
	Emails          []wireEmail `json:"Emails,omitempty"`
	UserStatus      string      `json:"UserStatus"`
	CreatedAt       *epoch      `json:"CreatedAt,omitempty"`
	UpdatedAt       *epoch      `json:"UpdatedAt,omitempty"`
}

func (e *Emulator) wireUser(u *user) wireUser {
	w := wireUser{
		IdentityStoreId: e.identityStoreID,
		UserId:          u.id,
		UserName:        u.userName,
		DisplayName:     u.displayName,
		UserStatus:      "ENABLED",
		CreatedAt:       epochPtr(u.created),
		UpdatedAt:       epochPtr(u.created),
	}
	if u.displayName != "" {
		n := &wireName{Formatted: ptr(u.displayName)}
		if given, family, ok := strings.Cut(u.displayName, " "); ok {
			n.GivenName, n.FamilyName = ptr(given), ptr(family)
		}
		w.Name = n
	}
	if strings.Contains(u.userName, "@") {
		w.Emails = []wireEmail{{Primary: true, Type: "work", Value: u.userName}}
	}
	return w
}

func (e *Emulator) describeUser(_ time.Time, in struct {
	storeInput
	UserId *string
}) (any, *apiError) {
	u, aerr := find(e.st.users, "UserId", in.UserId, principalIDPattern, func(id string) *apiError {
		return identityNotFound("USER", id, "USER not found.")
	})
	if aerr != nil {
		return nil, aerr
	}
	return e.wireUser(u), nil
}

func (e *Emulator) listUsers(_ time.Time, in struct {
	storeInput
	Filters []struct {
		AttributePath  *string
		AttributeValue *string
	}
	pageInput
}) (any, *apiError) {
	if len(in.Filters) > 1 {
		return nil, errValidation("1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	var nameFilter *string
	for _, f := range in.Filters {
		path, aerr := requireString("Filters.member.AttributePath", f.AttributePath)
		if aerr != nil {
			return nil, aerr
		}
		if !strings.EqualFold(path, "UserName") {
			return nil, errValidation("Invalid filter attribute path %s: ListUsers filters on UserName.", path)
		}
		if f.AttributeValue == nil {
			return nil, errNull("Filters.member.AttributeValue")
		}
		nameFilter = f.AttributeValue
	}
	users := sortedBy(e.st.users, func(u *user) string { return u.id })
	var matching []*user
	for _, u := range users {
		if nameFilter == nil || u.userName == *nameFilter {
			matching = append(matching, u)
		}
	}
	return listed("Users", matching, func(u *user) string { return u.id }, in.pageInput, maxResultsLimit, e.wireUser)
}
