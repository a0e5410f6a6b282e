package version

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/jit-access/jit", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-30T12:00:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	info := FromBuildInfo(bi)
	want := Info{Version: "v1.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", Time: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), GoVersion: "go1.26.0"}
	if info != want {
		t.Fatalf("FromBuildInfo = %+v, want %+v", info, want)
	}
	if got := info.String(); got != "jit v1.4.0 (commit 0123456789abcdef0123456789abcdef01234567, committed 2026-11-30T12:00:00Z, go1.26.0)" {
		t.Errorf("String = %q", got)
	}
	if got := FromBuildInfo(&debug.BuildInfo{}).String(); got != "jit (devel)" {
		t.Errorf("String of an empty build info = %q", got)
	}
}

func TestIsRelease(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3":                               true,
		"v1.2.3-rc.1":                          true,
		"v0.0.1-snapshot":                      true,
		"v1.2.3+dirty":                         false,
		"v0.0.0-20261201064300-fdbfade12345":   false,
		"v1.2.4-0.20261201064300-fdbfade12345": false,
		"(devel)":                              false,
		"v1":                                   false,
		"":                                     false,
	} {
		if got := IsRelease(v); got != want {
			t.Errorf("IsRelease(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestActionRef(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name    string
		info    Info
		want    string
		wantErr string
	}{
		{"release", Info{Version: "v1.2.3", Commit: commit}, "v1.2.3", ""},
		{"commit", Info{Version: "v0.0.0-20261201064300-0123456789ab", Commit: commit}, commit, ""},
		{"modified", Info{Version: "v0.0.0-20261201064300-0123456789ab+dirty", Commit: commit, Modified: true}, "", "uncommitted changes"},
		{"unknown", Info{Version: "(devel)"}, "", "--action-ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.info.ActionRef()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ActionRef = %q, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ActionRef = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
