package githubemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestManifestConversionFollowsTheOpenAPI posts a manifest as the owner's
// browser does, follows GitHub's redirect to get the code and checks the
// conversion against the response schema of GitHub's OpenAPI description;
// the code is good once.
func TestManifestConversionFollowsTheOpenAPI(t *testing.T) {
	s, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddTeam("acme", "admins", "octocat")
	srv := httptest.NewServer(s)
	defer srv.Close()

	manifest := `{"name":"jit access requests","url":"https://github.com/jit-access/jit","hook_attributes":{"url":"https://jit.example/webhook"},` +
		`"redirect_url":"https://localhost.example/callback","default_permissions":{"checks":"write","metadata":"read"},"default_events":["pull_request"]}`
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(org, m string) *http.Response {
		resp, err := noRedirect.PostForm(srv.URL+"/organizations/"+org+"/settings/apps/new?state=s1", url.Values{"manifest": {m}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := post("acme", manifest)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "localhost.example" || loc.Query().Get("state") != "s1" || loc.Query().Get("code") == "" {
		t.Fatalf("form post: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := post("nobody", manifest); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown organisation: %d", resp.StatusCode)
	}
	if resp := post("acme", `{"name":"x"}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("manifest without urls: %d", resp.StatusCode)
	}

	convert := func() (*http.Response, []byte) {
		resp, err := http.Post(srv.URL+"/api/v3/app-manifests/"+loc.Query().Get("code")+"/conversions", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := convert()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("conversion: %d %s", resp.StatusCode, body)
	}
	sch, err := jsonschema.NewCompiler().Compile("testdata/apps-create-from-manifest.201.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the conversion does not match GitHub's OpenAPI description: %v\n%s", err, body)
	}
	var got struct {
		Permissions map[string]string `json:"permissions"`
		Events      []string          `json:"events"`
	}
	json.Unmarshal(body, &got)
	if got.Permissions["checks"] != "write" || len(got.Events) != 1 {
		t.Errorf("permissions %v, events %v: not the manifest's", got.Permissions, got.Events)
	}

	if resp, _ := convert(); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a code exchanged twice: %d", resp.StatusCode)
	}
}
