package appmanifest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	base := []byte("name: jit\nurl: https://github.com/jit-access/jit\nhook_attributes:\n  url: https://placeholder.example/webhook\n  active: false\nredirect_url: https://placeholder.example/\ndefault_events: [pull_request]\n")
	b, err := Build(base, "https://jit.acme.example/webhook", "http://127.0.0.1:4242/callback")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name           string `json:"name"`
		RedirectURL    string `json:"redirect_url"`
		HookAttributes struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		} `json:"hook_attributes"`
		DefaultEvents []string `json:"default_events"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "jit" || m.RedirectURL != "http://127.0.0.1:4242/callback" || m.HookAttributes.URL != "https://jit.acme.example/webhook" || !m.HookAttributes.Active || len(m.DefaultEvents) != 1 {
		t.Fatalf("manifest = %+v", m)
	}
	for _, bad := range []string{"", "jit.acme.example/webhook", "ftp://jit.example/", "https://"} {
		if _, err := Build(base, bad, "http://127.0.0.1:1/callback"); err == nil || !strings.Contains(err.Error(), "--webhook-url") {
			t.Errorf("Build accepted webhook URL %q: %v", bad, err)
		}
	}
}
