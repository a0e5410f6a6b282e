// Package version reads what the Go toolchain recorded about the running
// binary (its module version, the commit it was built from and that commit's
// time), so that `jit version` and `jit init` need no linker flags and give
// the same answer for a release, a `go install` and a local build.
package version

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// Info is what one binary knows about its own build.
type Info struct {
	// Version is the main module's version: a release tag (v1.2.3), a
	// pseudo-version for a build from an untagged commit, or "(devel)" when
	// the toolchain recorded none.
	Version string
	// Commit is the full revision the binary was built from, when it was built
	// inside a git checkout ("" for `go install module@version`).
	Commit string
	// Time is the commit's time (the build's reproducible date).
	Time time.Time
	// Modified is true when the checkout had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(devel)"}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts Info from build information, such as
// debug.ReadBuildInfo's or debug.ParseBuildInfo's.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				info.Time = t
			}
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// release matches a release tag: semantic version, optionally a pre-release,
// and no build metadata (which Go adds as "+dirty" to modified builds).
var release = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// pseudo matches the timestamp-and-hash tail of a Go pseudo-version.
var pseudo = regexp.MustCompile(`[0-9]{14}-[0-9a-f]{12}$`)

// IsRelease reports whether v names a published release: a semantic version
// tag, not a pseudo-version and not a modified build.
func IsRelease(v string) bool {
	return release.MatchString(v) && !pseudo.MatchString(v)
}

// ActionRef returns the git ref at which an access repository should use
// this binary's own Action: the release tag for a release, else the exact
// commit. It fails for a build that cannot name a published commit, because a
// workflow pinned to a guess would run other code than the binary that wrote it.
func (i Info) ActionRef() (string, error) {
	switch {
	case IsRelease(i.Version):
		return i.Version, nil
	case i.Commit != "" && !i.Modified:
		return i.Commit, nil
	case i.Commit != "":
		return "", fmt.Errorf("this jit was built from commit %s with uncommitted changes, which no workflow can use; pass --action-ref with a release tag or a pushed commit", short(i.Commit))
	default:
		return "", fmt.Errorf("this jit (version %s) does not know which release or commit it was built from; pass --action-ref with a release tag or a commit, or install a release", i.Version)
	}
}

// String is the one line `jit version` prints.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jit %s", i.Version)
	var details []string
	if i.Commit != "" {
		c := "commit " + i.Commit
		if i.Modified {
			c += " (modified)"
		}
		details = append(details, c)
	}
	if !i.Time.IsZero() {
		details = append(details, "committed "+i.Time.UTC().Format(time.RFC3339))
	}
	if i.GoVersion != "" {
		details = append(details, i.GoVersion)
	}
	if len(details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	}
	return b.String()
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
