package initrepo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/internal/wanttext"
	"github.com/jit-access/jit/schema"
)

func sample() Params {
	return Params{
		Admins:          []string{"@acme/sso-admins"},
		Region:          "eu-west-1",
		InstanceARN:     "arn:aws:sso:::instance/ssoins-0123456789abcdef",
		IdentityStoreID: "d-0123456789",
		Accounts: []Account{
			{Name: "payments-prod", ID: "111122223333", Path: "Root/Workloads/Prod"},
			{Name: "sandbox", ID: "444455556666"},
		},
		PermissionSets: []PermissionSet{
			{Name: "ReadOnlyAccess", ARN: "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef", SessionDuration: 4 * time.Hour},
			{Name: "PowerUserAccess", ARN: "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-fedcba9876543210"},
		},
		ActionRef: "v1.2.3",
		Version:   "v1.2.3",
	}
}

func TestFilesAreAValidAccessRepository(t *testing.T) {
	files, err := Files(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ConfigPath, CodeownersPath, RequestsReadme, ValidateWorkflow, ReconcileWorkflow, SyncWorkflow} {
		if len(files[p]) == 0 {
			t.Errorf("%s is missing", p)
		}
	}
	for p := range files {
		if strings.HasSuffix(p, ".go") {
			t.Errorf("an access repository holds no Go source, but init writes %s", p)
		}
	}

	cfg, findings := schema.ParseConfig(ConfigPath, files[ConfigPath])
	for _, f := range findings {
		t.Errorf("the written config has a finding: %v", f)
	}
	if cfg == nil {
		t.Fatal("the written config does not parse")
	}
	if got := cfg.MaxDuration("payments-prod", "ReadOnlyAccess"); got != 24*time.Hour {
		t.Errorf("max duration of payments-prod = %v, want the default 1d", got)
	}
	if a, ok := cfg.Account("sandbox"); !ok || len(a.PermissionSets) != 2 {
		t.Errorf("account sandbox = %+v, want both permission sets", a)
	}

	if _, err := owners.Parse(CodeownersPath, files[CodeownersPath]); err != nil {
		t.Errorf("CODEOWNERS does not parse: %v", err)
	}
	// Uncommenting an account's rule, as the admins do, gives a rule GitHub
	// and jit use.
	uncommented := strings.Replace(string(files[CodeownersPath]), "# /requests/payments-prod/    @OWNERS", "/requests/payments-prod/    @acme/payments-leads", 1)
	if _, err := owners.Parse(CodeownersPath, []byte(uncommented)); err != nil {
		t.Errorf("CODEOWNERS with an account's rule uncommented does not parse: %v", err)
	}
	co := string(files[CodeownersPath])
	wanttext.All(t, "CODEOWNERS", co, "/.github/    @acme/sso-admins", "# payments-prod: 111122223333, Root/Workloads/Prod\n# /requests/payments-prod/    @OWNERS\n")

	const schemaLine = "# yaml-language-server: $schema=https://raw.githubusercontent.com/jit-access/jit/v1.2.3/schema/config.schema.json\n"
	if !strings.HasPrefix(string(files[ConfigPath]), schemaLine) {
		t.Errorf("the config does not start with the released schema line:\n%s", files[ConfigPath])
	}
	for _, wf := range []string{ValidateWorkflow, ReconcileWorkflow, SyncWorkflow} {
		if !strings.Contains(string(files[wf]), "uses: jit-access/jit/action@v1.2.3\n") {
			t.Errorf("%s does not use the Action pinned to v1.2.3:\n%s", wf, files[wf])
		}
	}
	for _, wf := range []string{ReconcileWorkflow, SyncWorkflow} {
		if !strings.Contains(string(files[wf]), "\n    environment: jit\n") {
			t.Errorf("%s does not run in the jit environment its AWS role trusts:\n%s", wf, files[wf])
		}
	}
	if !strings.Contains(string(files[SyncWorkflow]), "command: sync\n") || strings.Contains(string(files[SyncWorkflow]), "contents: write") {
		t.Errorf("the sync workflow does not run jit sync with the App's token alone:\n%s", files[SyncWorkflow])
	}
	if strings.Contains(string(files[ValidateWorkflow]), "secrets.JIT") {
		t.Errorf("the validate workflow uses a secret:\n%s", files[ValidateWorkflow])
	}
}

// TestQuotedValues checks that values from AWS reach the config as data:
// a name that YAML would read as another type or as syntax stays a string.
func TestQuotedValues(t *testing.T) {
	p := sample()
	p.Accounts = []Account{{Name: "true", ID: "000000000001", Path: "Root/#not: yaml"}, {Name: "1e3", ID: "000000000002"}}
	files, err := Files(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, findings := schema.ParseConfig(ConfigPath, files[ConfigPath])
	if len(findings) > 0 || cfg == nil {
		t.Fatalf("findings %v\n%s", findings, files[ConfigPath])
	}
	if _, ok := cfg.Account("true"); !ok {
		t.Errorf("account \"true\" was not read back as a name:\n%s", files[ConfigPath])
	}
	if a, ok := cfg.Account("000000000002"); !ok || a.Name != "1e3" {
		t.Errorf("account 1e3 = %+v", a)
	}
}

func TestFilesRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Params)
		want string
	}{
		"no admins":           {func(p *Params) { p.Admins = nil }, "--admins"},
		"bad admin":           {func(p *Params) { p.Admins = []string{"acme/sso"} }, "not a GitHub user"},
		"no accounts":         {func(p *Params) { p.Accounts = nil }, "--from-aws"},
		"no sets":             {func(p *Params) { p.PermissionSets = nil }, "--permission-set"},
		"multi-line path":     {func(p *Params) { p.Accounts[0].Path = "Root\n- evil" }, "one line"},
		"bad ref":             {func(p *Params) { p.ActionRef = "v1\n  evil: x" }, "action ref"},
		"bad action repo":     {func(p *Params) { p.ActionRepo = "evil repo" }, "OWNER/NAME"},
		"extra over rendered": {func(p *Params) { p.Extra = map[string][]byte{ConfigPath: nil} }, "replace"},
	} {
		t.Run(name, func(t *testing.T) {
			p := sample()
			tc.edit(&p)
			if _, err := Files(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Files = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestWriteNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"a/one": []byte("1"), "b/two": []byte("2")}
	if err := os.MkdirAll(filepath.Join(dir, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b/two"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	written, err := Write(dir, files)
	var exists *ExistsError
	if !errors.As(err, &exists) || exists.Path != "b/two" || len(written) != 0 {
		t.Fatalf("Write = %v, %v; want ExistsError for b/two and nothing written", written, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a/one")); err == nil {
		t.Error("a refused Write created a/one")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b/two")); string(b) != "mine" {
		t.Errorf("b/two was changed to %q", b)
	}

	// A file with exactly the content init writes is what an interrupted
	// init left: running it again completes the rest.
	if err := os.WriteFile(filepath.Join(dir, "b/two"), []byte("2"), 0o644); err != nil {
		t.Fatal(err)
	}
	written, err = Write(dir, files)
	if err != nil || len(written) != 1 || written[0] != "a/one" {
		t.Fatalf("Write = %v, %v; want only a/one written", written, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a/one")); string(b) != "1" {
		t.Errorf("a/one = %q", b)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(entries) != 1 {
		t.Errorf("temporary files were left behind: %v", entries)
	}
	written, err = Write(dir, files)
	if err != nil || len(written) != 0 {
		t.Fatalf("a second Write = %v, %v; want nothing to do", written, err)
	}
}

// actionlintVersion is the actionlint the workflow test runs (a Go module,
// pinned, run with go run).
const actionlintVersion = "v1.7.12"

// TestWorkflowsPassActionlint runs actionlint on the workflows init writes.
func TestWorkflowsPassActionlint(t *testing.T) {
	files, err := Files(sample())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	// actionlint reads .github/workflows of the git repository it is in.
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "run", "github.com/rhysd/actionlint/cmd/actionlint@"+actionlintVersion,
		"-no-color", filepath.FromSlash(ValidateWorkflow), filepath.FromSlash(ReconcileWorkflow), filepath.FromSlash(SyncWorkflow))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		// actionlint exits 1 with findings; anything else means it did not run.
		if errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(string(out), ".yml:") {
			t.Fatalf("actionlint finds problems in the workflows jit init writes:\n%s", out)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("could not run actionlint %s (CI must be able to): %v\n%s", actionlintVersion, err, out)
		}
		t.Skipf("actionlint %s could not run here (no module proxy?): %v\n%s", actionlintVersion, err, out)
	}
}

// TestWorkflowsUseTheActionsInputs checks the inputs the workflows give
// jit's Action against action/action.yml, which actionlint cannot read for a
// remote action.
func TestWorkflowsUseTheActionsInputs(t *testing.T) {
	b, err := os.ReadFile("../../action/action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	files, err := Workflows("", "v1.2.3", "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for path, wf := range files {
		var doc struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string         `yaml:"uses"`
					With map[string]any `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(wf, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		used := 0
		for _, job := range doc.Jobs {
			for _, st := range job.Steps {
				if !strings.HasPrefix(st.Uses, DefaultActionRepo+"/action@") {
					continue
				}
				used++
				for k := range st.With {
					if _, ok := action.Inputs[k]; !ok {
						t.Errorf("%s gives jit's Action the input %q, which action.yml does not declare", path, k)
					}
				}
			}
		}
		if used != 1 {
			t.Errorf("%s uses jit's Action %d times, want once", path, used)
		}
	}
}

func TestFolderNames(t *testing.T) {
	ids := []string{"000000000001", "000000000002", "000000000003", "000000000004", "000000000005"}
	got := FolderNames(ids, []string{"Payments Prod", "payments-prod", "!!!", "Data_Lake.EU (old)", strings.Repeat("x", 80)})
	want := []string{"payments-prod", "payments-prod-000000000002", "account-000000000003", "data_lake.eu-old", strings.Repeat("x", 50)}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("FolderNames = %q, want %q", got, want)
	}
}
