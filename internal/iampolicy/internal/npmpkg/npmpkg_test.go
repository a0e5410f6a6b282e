package npmpkg

import (
	"bytes"
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

// TestGenerate checks that a generator writes nothing from a tarball that
// does not match its pin, and the catalog from one that does.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pkg.tgz")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func([]byte) ([]string, string, error) { return []string{"a", "b"}, "2 lines", nil }
	out := filepath.Join(dir, "out.gz")
	bad := Pin{Name: "p", Version: "1.0.0", Integrity: "sha512-AAAA"}
	if err := generate("gen", bad, out, file, build); err == nil {
		t.Error("generate accepted a tarball that does not match the pinned integrity")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("generate wrote %s from a tarball it refused (%v)", out, err)
	}
	good := Pin{Name: "p", Version: "1.0.0", Integrity: "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="}
	if err := generate("gen", good, out, file, build); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Catalog(good, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("generate wrote another file than Catalog makes")
	}
}
