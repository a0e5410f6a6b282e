package idcemu

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func orgClient(h *harness) *organizations.Client {
	return organizations.New(organizations.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(h.url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		RetryMaxAttempts: 1,
	})
}

func TestOrganizationsThroughTheSDK(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	org := orgClient(h)
	ctx := t.Context()

	workloads, err := h.emu.AddOrganizationalUnit(DefaultRootID, "Workloads")
	ok(t, err)
	prod, err := h.emu.AddOrganizationalUnit(workloads, "Prod")
	ok(t, err)
	for i := range 23 {
		ok(t, h.emu.AddAccount(prod, fmt.Sprintf("1000000000%02d", i), fmt.Sprintf("app-%02d", i), fmt.Sprintf("app%02d@example.com", i)))
	}
	ok(t, h.emu.SetAccountStatus("100000000003", "SUSPENDED"))

	// ListAccounts pages by 20 at most; the management account is listed.
	var accounts []types.Account
	pages := 0
	for p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		ok(t, err)
		pages++
		accounts = append(accounts, page.Accounts...)
	}
	if len(accounts) != 24 || pages != 2 {
		t.Fatalf("listed %d accounts in %d pages, want 24 in 2", len(accounts), pages)
	}
	mgmt := accounts[len(accounts)-1]
	if aws.ToString(mgmt.Id) != DefaultManagementAccountID || aws.ToString(mgmt.Arn) != "arn:aws:organizations::"+DefaultManagementAccountID+":account/"+DefaultOrganizationID+"/"+DefaultManagementAccountID {
		t.Errorf("management account = %s %s", aws.ToString(mgmt.Id), aws.ToString(mgmt.Arn))
	}
	if accounts[3].Status != types.AccountStatusSuspended || accounts[0].Status != types.AccountStatusActive {
		t.Errorf("statuses %s %s", accounts[0].Status, accounts[3].Status)
	}
	_, err = org.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)

	parents, err := org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("100000000000")})
	ok(t, err)
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != prod || parents.Parents[0].Type != types.ParentTypeOrganizationalUnit {
		t.Errorf("parents of an account = %+v", parents.Parents)
	}
	parents, err = org.ListParents(ctx, &organizations.ListParentsInput{ChildId: &workloads})
	ok(t, err)
	if aws.ToString(parents.Parents[0].Id) != DefaultRootID || parents.Parents[0].Type != types.ParentTypeRoot {
		t.Errorf("parents of an OU = %+v", parents.Parents)
	}
	_, err = org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("123412341234")})
	wantAPIError(t, err, "ChildNotFoundException", http.StatusBadRequest)
	_, err = org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("not-an-id")})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)

	ou, err := org.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &prod})
	ok(t, err)
	if aws.ToString(ou.OrganizationalUnit.Name) != "Prod" || aws.ToString(ou.OrganizationalUnit.Arn) != "arn:aws:organizations::"+DefaultManagementAccountID+":ou/"+DefaultOrganizationID+"/"+prod {
		t.Errorf("OU = %+v", ou.OrganizationalUnit)
	}
	_, err = org.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-a1b2-00000000")})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", http.StatusBadRequest)

	if err := h.emu.AddAccount("ou-nope-00000000", "100000000099", "x", "x@example.com"); err == nil {
		t.Error("an account was added under an unknown parent")
	}
	if err := h.emu.AddAccount(prod, "100000000000", "again", "a@example.com"); err == nil {
		t.Error("an account was added twice")
	}
}

// TestOrganizationsThrottleAsModelled: Organizations names its throttling
// error TooManyRequestsException.
func TestOrganizationsThrottleAsModelled(t *testing.T) {
	h := newHarness(t, Options{RequestsPerSecond: 1}, 1)
	org := orgClient(h)
	var err error
	for range 3 {
		if _, err = org.ListAccounts(t.Context(), &organizations.ListAccountsInput{}); err != nil {
			break
		}
	}
	wantAPIError(t, err, "TooManyRequestsException", http.StatusBadRequest)
}
