package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/wanttext"
	"github.com/jit-access/jit/schema"
)

// awsOrganisation starts the emulator with an organisation of accounts in
// nested OUs and sets points the default credential chain and
// AWS_ENDPOINT_URL at it, as an adopter's shell would point at AWS.
func awsOrganisation(tb testing.TB, accounts, sets int, rps float64) *idcemu.Emulator {
	tb.Helper()
	emu := idcemu.New(idcemu.Options{Clock: clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), RequestsPerSecond: rps})
	srv := httptest.NewServer(emu)
	tb.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		tb.Setenv(k, v)
	}
	workloads, err := emu.AddOrganizationalUnit(idcemu.DefaultRootID, "Workloads")
	if err != nil {
		tb.Fatal(err)
	}
	ous := []string{idcemu.DefaultRootID}
	for _, env := range []string{"Prod", "Staging", "Dev"} {
		ou, err := emu.AddOrganizationalUnit(workloads, env)
		if err != nil {
			tb.Fatal(err)
		}
		ous = append(ous, ou)
	}
	for i := range accounts {
		id := fmt.Sprintf("2000%08d", i)
		if err := emu.AddAccount(ous[i%len(ous)], id, fmt.Sprintf("Team %d %s", i, []string{"Sandbox", "Prod", "Staging", "Dev"}[i%4]), fmt.Sprintf("aws+%d@example.com", i)); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range sets {
		emu.AddPermissionSet(fmt.Sprintf("Set%02d", i), time.Duration(1+i%12)*time.Hour, []string{"ReadOnlyAccess"}, "")
	}
	return emu
}

func TestInitFromAWS(t *testing.T) {
	emu := awsOrganisation(t, 6, 2, 0)
	if err := emu.SetAccountStatus("200000000005", "SUSPENDED"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res := run(t, newInitCmd(noTerminalReader, testBuild), nil, "--from-aws", "--repo", "acme/access", "--admins", "@acme/sso-admins", dir)
	if res.code != 0 {
		t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	wanttext.All(t, "stderr", res.stderr, "read 6 accounts and 2 permission sets of "+emu.InstanceARN(), "left out account 200000000005 (Team 5 Prod): SUSPENDED")
	b, err := os.ReadFile(filepath.Join(dir, layout.ConfigPath))
	if err != nil {
		t.Fatal(err)
	}
	cfg, findings := schema.ParseConfig(layout.ConfigPath, b)
	if len(findings) > 0 || cfg == nil {
		t.Fatalf("findings %v in\n%s", findings, b)
	}
	if cfg.IdentityCenter.Region != "eu-west-1" || cfg.IdentityCenter.InstanceARN != emu.InstanceARN() || cfg.IdentityCenter.IdentityStoreID != emu.IdentityStoreID() {
		t.Errorf("identity_center = %+v", cfg.IdentityCenter)
	}
	if len(cfg.Accounts) != 6 || len(cfg.PermissionSets) != 2 {
		t.Fatalf("%d accounts and %d permission sets:\n%s", len(cfg.Accounts), len(cfg.PermissionSets), b)
	}
	mgmt, ok := cfg.Account(idcemu.DefaultManagementAccountID)
	if !ok || !mgmt.ManagementAccount || mgmt.Name != "management" {
		t.Errorf("management account = %+v", mgmt)
	}
	if a, ok := cfg.Account("200000000001"); !ok || a.Name != "team-1-prod" {
		t.Errorf("account 200000000001 = %+v", a)
	}
	wanttext.All(t, "the config", string(b), "# Root/Workloads/Prod\n", "# AWS session duration 2h:")
	co, _ := os.ReadFile(filepath.Join(dir, ".github/CODEOWNERS"))
	if !strings.Contains(string(co), "# team-1-prod: 200000000001, Root/Workloads/Prod\n# /requests/team-1-prod/    @OWNERS\n") {
		t.Errorf("CODEOWNERS:\n%s", co)
	}
	if v := run(t, newValidateCmd(func(string) string { return "" }), nil, "--repo", dir); v.code != 0 {
		t.Errorf("jit validate: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	// The flags that --from-aws replaces are refused with it.
	res = run(t, newInitCmd(noTerminalReader, testBuild), nil, "--from-aws", "--repo", "acme/access", "--admins", "@acme/sso-admins", "--account", "x=111122223333", t.TempDir())
	if res.code != 2 || !strings.Contains(res.err.Error(), "drop --account") {
		t.Errorf("exit %d, %v", res.code, res.err)
	}
}

// BenchmarkInitFromAWS is jit init --from-aws against the emulator at its
// default request rate (Identity Center's 20 per second) for an organisation
// of 500 accounts and 50 permission sets.
func BenchmarkInitFromAWS(b *testing.B) {
	awsOrganisation(b, 500, 50, 0)
	for b.Loop() {
		res := run(b, newInitCmd(noTerminalReader, testBuild), nil, "--from-aws", "--repo", "acme/access", "--admins", "@acme/sso-admins", b.TempDir())
		if res.code != 0 {
			b.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
		}
	}
}
