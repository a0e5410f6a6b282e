package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/appmanifest"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
)

// TestAdoptionEndToEnd follows the README's real setup against the
// emulators, from nothing to the first request provisioned from the
// repository jit init wrote: jit app create, jit init --from-aws, the push
// (with the two edits init leaves to the admins: who may request, and who
// owns the account), jit serve with the App's credential files, the
// ruleset, then a request, its owner's approval, the merge and the
// reconcile. (The CloudFormation stack has no emulator; the role's policy
// is the one TestInitWritesAValidAccessRepository checks.)
func TestAdoptionEndToEnd(t *testing.T) {
	ctx := t.Context()
	clk := clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))

	// AWS: an organisation with IAM Identity Center.
	idc := awsOrganisation(t, 3, 0, -1)
	prod, err := idc.AddOrganizationalUnit(idcemu.DefaultRootID, "Prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := idc.AddAccount(prod, "111122223333", "Payments Prod", "payments@acme.example"); err != nil {
		t.Fatal(err)
	}
	readOnly := idc.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
	octocatID := idc.AddUser("octocat@acme.example", "octocat")
	idcURL := os.Getenv("AWS_ENDPOINT_URL")

	// GitHub: the organisation and its people.
	gh, err := githubemu.New(githubemu.Options{Dir: t.TempDir(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer gh.Close()
	for _, u := range []string{"octocat", "alice", "bob"} {
		gh.AddUser(u, u+"@acme.example")
	}
	gh.AddTeam("acme", "sso-admins", "bob")
	gh.AddTeam("acme", "payments-leads", "alice")
	ghSrv := httptest.NewServer(gh)
	defer ghSrv.Close()
	gh.SetURL(ghSrv.URL + "/api/v3")
	api := ghSrv.URL + "/api/v3/"

	// 2. jit app create.
	secrets := filepath.Join(t.TempDir(), "secrets")
	page, done := startAppCreate(t, ghSrv, secrets)
	resp := browse(t, page, nil, done)
	resp.Body.Close()
	if res := <-done; res.code != 0 {
		t.Fatalf("jit app create: exit %d: %v", res.code, res.err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(secrets, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	appID, err := strconv.ParseInt(strings.TrimSpace(string(read(appmanifest.IDFile))), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	key, webhookSecret := read(appmanifest.PrivateKeyFile), []byte(strings.TrimSpace(string(read(appmanifest.WebhookSecretFile))))

	// 3. jit init --from-aws.
	dir := filepath.Join(t.TempDir(), "access")
	if res := run(t, newInitCmd(noTerminalReader, testBuild), nil, "--from-aws", "--repo", "acme/access", "--admins", "@acme/sso-admins", dir); res.code != 0 {
		t.Fatalf("jit init: exit %d: %v\n%s", res.code, res.err, res.stderr)
	}

	// 5. Push, with the admins' two edits, then run jit serve with the
	// credential files and point the App's webhook at it.
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)], _ = os.ReadFile(p)
		}
		return err
	})
	files[layout.ConfigPath] = []byte(strings.Replace(string(files[layout.ConfigPath]), "users: {}", "users:\n  octocat: octocat@acme.example", 1))
	files[".github/CODEOWNERS"] = []byte(strings.Replace(string(files[".github/CODEOWNERS"]), "# /requests/payments-prod/    @OWNERS", "/requests/payments-prod/    @acme/payments-leads", 1))
	if err := gh.CreateRepo("acme", "access", files); err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(app.Options{AppID: appID, PrivateKey: key, WebhookSecret: webhookSecret, BaseURL: api, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(srv.Handler())
	defer hook.Close()
	gh.SetWebhook(hook.URL+"/webhook", string(webhookSecret))

	// 6. The ruleset: jit/approval is required.
	if err := gh.SetRequiredChecks("acme", "access", "jit/approval"); err != nil {
		t.Fatal(err)
	}

	// The first request: octocat asks, alice (an owner) approves, it merges.
	request := "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-1: the first request through the new repository\"\n"
	n, err := gh.OpenPullRequest("acme", "access", "octocat", "octocat/first", "First request", map[string][]byte{"requests/payments-prod/first.yaml": []byte(request)})
	if err != nil {
		t.Fatal(err)
	}
	gh.WaitDeliveries()
	if _, err := gh.MergeProtected("acme", "access", n, "octocat"); err == nil {
		t.Fatal("the ruleset let an unapproved request merge")
	}
	if _, err := gh.SubmitReview("acme", "access", n, "alice", "APPROVED", ""); err != nil {
		t.Fatal(err)
	}
	gh.WaitDeliveries()
	if _, err := gh.MergeProtected("acme", "access", n, "octocat"); err != nil {
		comments, _ := gh.Comments("acme", "access", n)
		var last string
		if len(comments) > 0 {
			last = comments[len(comments)-1].GetBody()
		}
		t.Fatalf("the approved request does not merge: %v\n%s", err, last)
	}
	gh.WaitDeliveries()

	// The reconcile, as the workflow runs it: a clone, the App's
	// installation, and the role's AWS credentials.
	clone := filepath.Join(t.TempDir(), "checkout")
	if out, err := exec.Command("git", "clone", "--quiet", gh.RepoDir("acme", "access"), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	repo, err := ledger.Open(clone, ledger.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, appID, key)
	if err != nil {
		t.Fatal(err)
	}
	tr.BaseURL = strings.TrimSuffix(api, "/")
	appClient, _ := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(api, api)
	inst, _, err := appClient.Apps.FindRepositoryInstallation(ctx, "acme", "access")
	if err != nil {
		t.Fatal(err)
	}
	itr := ghinstallation.NewFromAppsTransport(tr, inst.GetID())
	itr.BaseURL = tr.BaseURL
	client, _ := github.NewClient(&http.Client{Transport: itr}).WithEnterpriseURLs(api, api)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", "")}
	r, err := action.New(action.Options{
		Ledger: repo,
		IdentityCenter: identitycenter.NewFromConfig(cfg, identitycenter.Options{
			Region: "eu-west-1", InstanceARN: idc.InstanceARN(), IdentityStoreID: idc.IdentityStoreID(),
			Endpoint: idcURL, PollInterval: 10 * time.Millisecond, Clock: clk,
		}),
		GitHub: ghrepo.New(client, ghrepo.Repo{Owner: "acme", Name: "access"}),
		Bot:    gh.BotLogin(),
		AppID:  appID,
		Clock:  clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	report, err := r.Run(ctx, action.RunOptions{})
	if err != nil {
		t.Fatalf("reconcile: %v (%+v)", err, report)
	}
	provisioned := false
	for _, a := range idc.Assignments() {
		provisioned = provisioned || (a.AccountID == "111122223333" && a.PermissionSetARN == readOnly && a.PrincipalID == octocatID)
	}
	if !provisioned {
		t.Fatalf("octocat's first request was not provisioned: report %+v, assignments %+v", report, idc.Assignments())
	}
	status, _ := exec.Command("git", "-C", gh.RepoDir("acme", "access"), "show", "main:requests/payments-prod/first.yaml").Output()
	if !strings.Contains(string(status), "status:") {
		t.Errorf("the grant's state was not committed to the request file:\n%s", status)
	}
}
