package npmpkg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchChecksTheIntegrityOfAGivenTarball(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha512 of "hello", as npm writes integrity hashes.
	good := Pin{Name: "p", Version: "1.0.0", Integrity: "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="}
	if data, err := Fetch(good, file); err != nil || string(data) != "hello" {
		t.Fatalf("Fetch = %q, %v", data, err)
	}
	bad := good
	bad.Integrity = "sha512-AAAA"
	if _, err := Fetch(bad, file); err == nil || !strings.Contains(err.Error(), "want the pinned sha512-AAAA of p@1.0.0") {
		t.Errorf("Fetch with a wrong hash: %v", err)
	}
}
