package idcemu

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The AWS Organizations operations jit's discovery reads (ListAccounts,
// ListParents, DescribeOrganizationalUnit), on the same handler as the other
// services and told apart by their X-Amz-Target prefix. Members, patterns,
// limits and errors follow the organizations 2016-11-28 service model in
// botocore: ListAccounts and ListParents page at most 20 items, ids of
// children are account ids or OU ids, and an organisation's ARNs carry its
// management account's id.

// organizationsPrefix is the target prefix of the Organizations service model.
const organizationsPrefix = "AWSOrganizationsV20161128."

// Defaults of the emulated organisation.
const (
	// DefaultOrganizationID is the organisation's id.
	DefaultOrganizationID = "o-a1b2c3d4e5"
	// DefaultRootID is the id of the organisation's one root.
	DefaultRootID = "r-a1b2"
	// DefaultManagementAccountID is the management account, listed under the
	// root as every organisation's is, unless Options.ManagementAccountID
	// names another.
	DefaultManagementAccountID = "999988887777"
)

// Constraints from the organizations service model.
var (
	childIDPattern  = regexp.MustCompile(`^(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	ouIDPattern     = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	orgEmailPattern = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)
)

const orgMaxResults = 20

var organizationsOperations = map[string]handlerFunc{
	"ListAccounts":               op((*Emulator).listOrgAccounts),
	"ListParents":                op((*Emulator).listParents),
	"DescribeOrganizationalUnit": op((*Emulator).describeOrganizationalUnit),
}

// orgAccount is one member account.
type orgAccount struct {
	id, name, email, status, parent string
	joined                          time.Time
}

// orgUnit is one organisational unit.
type orgUnit struct {
	id, name, parent string
}

// organization is the emulated AWS Organizations state.
type organization struct {
	accounts map[string]*orgAccount // by account id
	units    map[string]*orgUnit    // by OU id
}

func newOrganization() organization {
	return organization{accounts: map[string]*orgAccount{}, units: map[string]*orgUnit{}}
}

func (e *Emulator) orgARN(kind, id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:%s/%s/%s", e.management, kind, DefaultOrganizationID, id)
}

// AddOrganizationalUnit creates an OU named name under parentID (the root or
// another OU) and returns its id.
func (e *Emulator) AddOrganizationalUnit(parentID, name string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.checkParentLocked(parentID); err != nil {
		return "", err
	}
	if name == "" || len(name) > 128 {
		return "", fmt.Errorf("OU name %q: 1 to 128 characters", name)
	}
	// OU ids are ou-<root id without r->-<8 or more characters>.
	id := "ou-" + strings.TrimPrefix(DefaultRootID, "r-") + "-" + e.hexLocked(8)
	e.st.org.units[id] = &orgUnit{id: id, name: name, parent: parentID}
	return id, nil
}

// AddAccount adds a member account under parentID (the root or an OU).
func (e *Emulator) AddAccount(parentID, id, name, email string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addAccountLocked(parentID, id, name, email)
}

func (e *Emulator) addAccountLocked(parentID, id, name, email string) error {
	if err := e.checkParentLocked(parentID); err != nil {
		return err
	}
	if !accountIDPattern.MatchString(id) {
		return fmt.Errorf("account id %q is not 12 digits", id)
	}
	if _, dup := e.st.org.accounts[id]; dup {
		return fmt.Errorf("account %s is already in the organisation", id)
	}
	if name == "" || len(name) > 128 || !orgEmailPattern.MatchString(email) || len(email) < 6 || len(email) > 64 {
		return fmt.Errorf("account %s: a name of 1 to 128 characters and an email address are required", id)
	}
	e.st.org.accounts[id] = &orgAccount{id: id, name: name, email: email, status: "ACTIVE", parent: parentID, joined: e.clock.Now()}
	return nil
}

func (e *Emulator) checkParentLocked(parentID string) error {
	if parentID == DefaultRootID {
		return nil
	}
	if _, ok := e.st.org.units[parentID]; !ok {
		return fmt.Errorf("parent %q is neither the root (%s) nor an OU", parentID, DefaultRootID)
	}
	return nil
}

// SetAccountStatus changes a member account's status (ACTIVE, SUSPENDED or
// PENDING_CLOSURE), as closing an account does.
func (e *Emulator) SetAccountStatus(id, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.st.org.accounts[id]
	if !ok {
		return fmt.Errorf("account %s is not in the organisation", id)
	}
	if !slices.Contains([]string{"ACTIVE", "SUSPENDED", "PENDING_CLOSURE"}, status) {
		return fmt.Errorf("status %q is not ACTIVE, SUSPENDED or PENDING_CLOSURE", status)
	}
	a.status = status
	return nil
}

func errOrg(code, format string, args ...any) *apiError {
	return &apiError{status: 400, code: code, message: fmt.Sprintf(format, args...)}
}

type wireOrgAccount struct {
	Id              string `json:"Id"`
	Arn             string `json:"Arn"`
	Email           string `json:"Email"`
	Name            string `json:"Name"`
	Status          string `json:"Status"`
	JoinedMethod    string `json:"JoinedMethod"`
	JoinedTimestamp epoch  `json:"JoinedTimestamp"`
}

func (e *Emulator) listOrgAccounts(_ time.Time, in pageInput) (any, *apiError) {
	ids := make([]string, 0, len(e.st.org.accounts))
	for id := range e.st.org.accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return listed("Accounts", ids, same, in, orgMaxResults, func(id string) wireOrgAccount {
		a := e.st.org.accounts[id]
		return wireOrgAccount{Id: a.id, Arn: e.orgARN("account", a.id), Email: a.email, Name: a.name,
			Status: a.status, JoinedMethod: "CREATED", JoinedTimestamp: epoch(a.joined)}
	})
}

type wireParent struct {
	Id   string `json:"Id"`
	Type string `json:"Type"`
}

func (e *Emulator) listParents(_ time.Time, in struct {
	ChildId *string
	pageInput
}) (any, *apiError) {
	child, aerr := requirePattern("ChildId", in.ChildId, childIDPattern)
	if aerr != nil {
		return nil, aerr
	}
	var parent string
	if a, ok := e.st.org.accounts[child]; ok {
		parent = a.parent
	} else if u, ok := e.st.org.units[child]; ok {
		parent = u.parent
	} else {
		return nil, errOrg("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	return listed("Parents", []string{parent}, same, in.pageInput, orgMaxResults, func(id string) wireParent {
		if id == DefaultRootID {
			return wireParent{Id: id, Type: "ROOT"}
		}
		return wireParent{Id: id, Type: "ORGANIZATIONAL_UNIT"}
	})
}

func (e *Emulator) describeOrganizationalUnit(_ time.Time, in struct {
	OrganizationalUnitId *string
}) (any, *apiError) {
	u, aerr := find(e.st.org.units, "OrganizationalUnitId", in.OrganizationalUnitId, ouIDPattern, func(string) *apiError {
		return errOrg("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
	})
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"OrganizationalUnit": map[string]string{
		"Id": u.id, "Arn": e.orgARN("ou", u.id), "Name": u.name,
	}}, nil
}
