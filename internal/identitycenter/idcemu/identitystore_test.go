package idcemu

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/google/go-cmp/cmp"
)

func byUserName(name string) *istypes.AlternateIdentifierMemberUniqueAttribute {
	return &istypes.AlternateIdentifierMemberUniqueAttribute{Value: istypes.UniqueAttribute{
		AttributePath:  aws.String("userName"),
		AttributeValue: document.NewLazyDocument(name),
	}}
}

func TestGetUserID(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice Liddell")
	h.emu.AddUser("bob@acme.example", "Bob")
	if again := h.emu.AddUser("alice@acme.example", "Alice"); again != alice {
		t.Errorf("adding alice twice gave a second id %s, want %s", again, alice)
	}

	out, err := h.ids.GetUserId(t.Context(), &identitystore.GetUserIdInput{
		IdentityStoreId:     aws.String(DefaultIdentityStoreID),
		AlternateIdentifier: byUserName("alice@acme.example"),
	})
	ok(t, err)
	if got := aws.ToString(out.UserId); got != alice {
		t.Errorf("GetUserId(alice) = %q, want %q", got, alice)
	}
	if got := aws.ToString(out.IdentityStoreId); got != DefaultIdentityStoreID {
		t.Errorf("IdentityStoreId = %q, want %q", got, DefaultIdentityStoreID)
	}

	_, err = h.ids.GetUserId(t.Context(), &identitystore.GetUserIdInput{
		IdentityStoreId:     aws.String(DefaultIdentityStoreID),
		AlternateIdentifier: byUserName("mallory@acme.example"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	var nf *istypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("error %T is not the modelled ResourceNotFoundException", err)
	}
	if nf.ResourceType != istypes.ResourceTypeUser || aws.ToString(nf.ResourceId) != "mallory@acme.example" || nf.RequestId == nil {
		t.Errorf("ResourceNotFoundException = {%s %q request %v}, want USER, the user name and a request id", nf.ResourceType, aws.ToString(nf.ResourceId), nf.RequestId)
	}

	_, err = h.ids.GetUserId(t.Context(), &identitystore.GetUserIdInput{
		IdentityStoreId:     aws.String("d-9999999999"),
		AlternateIdentifier: byUserName("alice@acme.example"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)

	_, err = h.ids.GetUserId(t.Context(), &identitystore.GetUserIdInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID),
		AlternateIdentifier: &istypes.AlternateIdentifierMemberUniqueAttribute{Value: istypes.UniqueAttribute{
			AttributePath: aws.String("nickName"), AttributeValue: document.NewLazyDocument("x"),
		}},
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestDescribeUser(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	id := h.emu.AddUser("alice@acme.example", "Alice Liddell")
	out, err := h.ids.DescribeUser(t.Context(), &identitystore.DescribeUserInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), UserId: aws.String(id),
	})
	ok(t, err)
	got := []string{aws.ToString(out.UserId), aws.ToString(out.UserName), aws.ToString(out.DisplayName),
		aws.ToString(out.Name.GivenName), aws.ToString(out.Name.FamilyName), aws.ToString(out.Emails[0].Value), string(out.UserStatus)}
	want := []string{id, "alice@acme.example", "Alice Liddell", "Alice", "Liddell", "alice@acme.example", "ENABLED"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeUser (-want +got):\n%s", diff)
	}
	if out.CreatedAt == nil || !out.CreatedAt.Equal(h.clock.Now()) {
		t.Errorf("CreatedAt = %v, want %v (epoch seconds decoded by the SDK)", out.CreatedAt, h.clock.Now())
	}

	_, err = h.ids.DescribeUser(t.Context(), &identitystore.DescribeUserInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), UserId: aws.String("0123456789-01234567-89ab-4cde-8f01-23456789abcd"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = h.ids.DescribeUser(t.Context(), &identitystore.DescribeUserInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), UserId: aws.String("not-a-user-id"),
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestListUsersPagingAndFilter(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	want := map[string]bool{}
	for i := range 12 {
		want[h.emu.AddUser(fmt.Sprintf("user%02d@acme.example", i), "")] = true
	}

	got := map[string]bool{}
	pages := 0
	p := identitystore.NewListUsersPaginator(h.ids, &identitystore.ListUsersInput{IdentityStoreId: aws.String(DefaultIdentityStoreID)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		ok(t, err)
		pages++
		if len(out.Users) > DefaultPageSize {
			t.Errorf("page %d has %d users, more than the default page size %d", pages, len(out.Users), DefaultPageSize)
		}
		for _, u := range out.Users {
			if got[aws.ToString(u.UserId)] {
				t.Errorf("user %s listed twice", aws.ToString(u.UserId))
			}
			got[aws.ToString(u.UserId)] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed users (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("12 users took %d pages, want 3 of at most %d", pages, DefaultPageSize)
	}

	out, err := h.ids.ListUsers(t.Context(), &identitystore.ListUsersInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), MaxResults: aws.Int32(100),
	})
	ok(t, err)
	if len(out.Users) != 12 || out.NextToken != nil {
		t.Errorf("MaxResults 100 gave %d users and NextToken %v, want all 12 and none", len(out.Users), out.NextToken)
	}

	out, err = h.ids.ListUsers(t.Context(), &identitystore.ListUsersInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID),
		Filters:         []istypes.Filter{{AttributePath: aws.String("UserName"), AttributeValue: aws.String("user07@acme.example")}},
	})
	ok(t, err)
	if len(out.Users) != 1 || aws.ToString(out.Users[0].UserName) != "user07@acme.example" {
		t.Errorf("filter on UserName gave %d users, want exactly user07", len(out.Users))
	}

	_, err = h.ids.ListUsers(t.Context(), &identitystore.ListUsersInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), NextToken: aws.String("garbage!"),
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
	_, err = h.ids.ListUsers(t.Context(), &identitystore.ListUsersInput{
		IdentityStoreId: aws.String(DefaultIdentityStoreID), MaxResults: aws.Int32(101),
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}
