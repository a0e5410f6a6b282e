package app_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/app"
)

// The App refuses to start without a webhook secret: it would accept any
// forged delivery. (The attack suite sends forged deliveries to a running
// App; this is the refusal before it runs.)
func TestNewRefusesEmptyWebhookSecret(t *testing.T) {
	for _, secret := range [][]byte{nil, {}} {
		_, err := app.New(app.Options{AppID: 1, PrivateKey: []byte("unused: refused before the key is read"), BaseURL: "http://127.0.0.1:1/api/v3/", WebhookSecret: secret})
		if err == nil || !strings.Contains(err.Error(), "webhook secret is empty") {
			t.Errorf("app.New with webhook secret %q: %v, want the empty secret refused", secret, err)
		}
	}
}
