package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// node finds node, which runs the page's renderer outside a browser. In CI
// (CI=true), where every machine has it, its absence fails the test.
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("node is not installed; the request page's renderer is checked with it")
	}
	t.Skip("node is not installed; the request page's renderer is checked with it")
	return ""
}

// TestPageRendersAsJitNew feeds the same answers to the page's script
// (page/request.js) and to schema.RenderRequest, which jit new uses, and
// wants the same file and the same file name, byte for byte.
func TestPageRendersAsJitNew(t *testing.T) {
	nodeBin := node(t)
	odd := []string{
		"INC-1234: investigating elevated 5xx rates", "yes", "NULL", "0123", "1e5", "4h", "1mo", "a: b", "#x",
		`"quoted" \ back`, "tab\tand\nline\r", "Ünïcode ✓ 😀", "\u2028\u2029\ufeff\x7f\u0085\x01", "  padded \t\n",
		"", "arn:aws:iam::aws:policy/AWSSupportAccess", "job-function/ViewOnlyAccess", "İstanbul K",
	}
	var drafts []schema.Draft
	for _, v := range odd {
		drafts = append(drafts, schema.Draft{Account: v, PermissionSet: v, Duration: v, Justification: v})
	}
	drafts = append(drafts,
		schema.Draft{Account: "payments-prod", Duration: "4h", Justification: "INC-42: read the export bucket",
			Custom: &schema.DraftCustom{Name: "S3Read", SessionDuration: "1h", ManagedPolicies: odd[:4],
				InlinePolicy: "\n {\"Version\": \"2012-10-17\",   \r\n\t\r\n  \"Statement\": [\"x\\ty\"]}  \n\n"}},
		schema.Draft{Account: "111122223333", Duration: "1d", Justification: "SEV1-9: down", Emergency: true,
			Custom: &schema.DraftCustom{Name: "X", SessionDuration: "2h", InlinePolicy: "{}"}},
		schema.Draft{Account: "sandbox", PermissionSet: "ReadOnlyAccess", Duration: "2h", Justification: "CHG-7: window",
			StartAt: "2026-11-25T08:00:00Z"},
	)
	in, err := json.Marshal(map[string]any{"drafts": drafts, "slugs": odd})
	if err != nil {
		t.Fatal(err)
	}
	script := `
const r = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({
  files: input.drafts.map((d) => r.file(d)),
  slugs: input.slugs.map((s) => r.slug(s)),
  paths: input.slugs.map((s) => r.path("acct", r.slug(s))),
}));`
	cmd := exec.Command(nodeBin, "-e", script, "./page/request.js")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got struct{ Files, Slugs, Paths []string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node's answer %q: %v", out, err)
	}
	var want struct{ Files, Slugs, Paths []string }
	for _, d := range drafts {
		want.Files = append(want.Files, string(schema.RenderRequest(d, "")))
	}
	for _, s := range odd {
		want.Slugs = append(want.Slugs, schema.RequestSlug(s))
		want.Paths = append(want.Paths, layout.RequestPath("acct", schema.RequestSlug(s)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the page's renderer and jit new's differ (-jit new +page):\n%s", diff)
	}
	if !strings.Contains(got.Files[len(got.Files)-3], "  inline_policy: |\n    {\"Version\"") {
		t.Errorf("the inline policy is not written as a block:\n%s", got.Files[len(got.Files)-3])
	}
}
