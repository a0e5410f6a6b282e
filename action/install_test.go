package action

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// fakeRelease serves what GoReleaser publishes for one release (see
// .goreleaser.yaml): an archive per platform holding the jit binary at its
// top, and checksums.txt in sha256sum's format.
type fakeRelease struct {
	files map[string][]byte // path under the download URL -> content
	mu    sync.Mutex
	hits  []string
}

func (f *fakeRelease) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.hits...)
}

func (f *fakeRelease) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits = append(f.hits, r.URL.Path)
	f.mu.Unlock()
	b, ok := f.files[strings.TrimPrefix(r.URL.Path, "/jit-access/jit/releases/download/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

// tarGz packs one executable named jit, as GoReleaser's archives do.
func tarGz(t *testing.T, script string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"jit": script, "README.md": "# jit\n"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func release(t *testing.T, tag string) *fakeRelease {
	archive := "jit_" + strings.TrimPrefix(tag, "v") + "_linux_amd64.tar.gz"
	body := tarGz(t, "#!/bin/sh\necho 'jit "+tag+" (commit 0123abc)'\n")
	other := tarGz(t, "#!/bin/sh\necho other\n")
	sums := fmt.Sprintf("%x  %s\n%x  %s\n", sha256.Sum256(other), "jit_"+strings.TrimPrefix(tag, "v")+"_darwin_arm64.tar.gz", sha256.Sum256(body), archive)
	return &fakeRelease{files: map[string][]byte{
		tag + "/" + archive:    body,
		tag + "/checksums.txt": []byte(sums),
	}}
}

type installRun struct {
	outputs map[string]string
	log     string
	err     error
}

// runInstall runs install.sh as the Action's first step does on a Linux x64
// runner, with the Action downloaded to actionPath.
func runInstall(t *testing.T, srv *httptest.Server, actionPath string, env ...string) installRun {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "tar", "awk", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("install.sh needs %s, which CI must provide", tool)
			}
			t.Skipf("install.sh needs %s, not installed here", tool)
		}
	}
	tmp := t.TempDir()
	output := filepath.Join(tmp, "output")
	cmd := exec.Command("bash", "install.sh")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"JIT_ACTION_PATH=" + actionPath,
		"JIT_RELEASES_URL=" + srv.URL + "/jit-access/jit/releases/download",
		"RUNNER_OS=Linux",
		"RUNNER_ARCH=X64",
		"RUNNER_TEMP=" + tmp,
		"GITHUB_OUTPUT=" + output,
	}, env...)
	log, err := cmd.CombinedOutput()
	res := installRun{outputs: map[string]string{}, log: string(log), err: err}
	b, _ := os.ReadFile(output)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			res.outputs[k] = v
		}
	}
	return res
}

const downloaded = "/home/runner/work/_actions/jit-access/jit/%s/action"

func TestInstallRelease(t *testing.T) {
	rel := release(t, "v1.2.3")
	srv := httptest.NewServer(rel)
	defer srv.Close()

	// The ref comes from github.action_ref when GitHub sets it, else from
	// the path the runner downloaded the Action to.
	for name, env := range map[string][]string{
		"from the path":       nil,
		"from github context": {"JIT_ACTION_REF=v1.2.3", "JIT_ACTION_REPOSITORY=jit-access/jit"},
	} {
		t.Run(name, func(t *testing.T) {
			res := runInstall(t, srv, fmt.Sprintf(downloaded, "v1.2.3"), env...)
			if res.err != nil || res.outputs["mode"] != "release" {
				t.Fatalf("install: %v, outputs %v\n%s", res.err, res.outputs, res.log)
			}
			out, err := exec.Command(res.outputs["bin"], "version").Output()
			if err != nil || !strings.HasPrefix(string(out), "jit v1.2.3 ") {
				t.Fatalf("installed binary says %q, %v", out, err)
			}
			if !strings.Contains(res.log, "installed jit v1.2.3") {
				t.Errorf("log does not say what was installed:\n%s", res.log)
			}
		})
	}
}

func TestInstallRefusesABadChecksum(t *testing.T) {
	rel := release(t, "v1.2.3")
	archive := "v1.2.3/jit_1.2.3_linux_amd64.tar.gz"
	rel.files[archive] = tarGz(t, "#!/bin/sh\necho evil\n")
	srv := httptest.NewServer(rel)
	defer srv.Close()
	res := runInstall(t, srv, fmt.Sprintf(downloaded, "v1.2.3"))
	if res.err == nil || res.outputs["mode"] != "" || !strings.Contains(res.log, "checksum mismatch for jit_1.2.3_linux_amd64.tar.gz") {
		t.Fatalf("a tampered archive was not refused: %v, outputs %v\n%s", res.err, res.outputs, res.log)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(res.outputs["bin"]), "jit")); res.outputs["bin"] != "" || err == nil {
		t.Fatalf("the tampered archive was unpacked")
	}

	// An archive missing from checksums.txt is refused too.
	rel = release(t, "v1.2.3")
	rel.files["v1.2.3/checksums.txt"] = []byte("00  jit_1.2.3_darwin_arm64.tar.gz\n")
	srv2 := httptest.NewServer(rel)
	defer srv2.Close()
	res = runInstall(t, srv2, fmt.Sprintf(downloaded, "v1.2.3"))
	if res.err == nil || !strings.Contains(res.log, "is not listed in the checksums.txt") {
		t.Fatalf("an unlisted archive was not refused: %v\n%s", res.err, res.log)
	}
}

func TestInstallBuildsFromSourceOtherwise(t *testing.T) {
	rel := release(t, "v1.2.3")
	srv := httptest.NewServer(rel)
	defer srv.Close()
	for name, path := range map[string]string{
		"branch":          fmt.Sprintf(downloaded, "main"),
		"commit":          fmt.Sprintf(downloaded, "0123456789abcdef0123456789abcdef01234567"),
		"moving tag":      fmt.Sprintf(downloaded, "v1"),
		"local action":    "/home/runner/work/access/access/action",
		"missing release": fmt.Sprintf(downloaded, "v9.9.9"),
	} {
		t.Run(name, func(t *testing.T) {
			before := len(rel.requests())
			res := runInstall(t, srv, path)
			if res.err != nil || res.outputs["mode"] != "source" || res.outputs["bin"] != "" {
				t.Fatalf("install: %v, outputs %v\n%s", res.err, res.outputs, res.log)
			}
			if hits := rel.requests(); name != "missing release" && len(hits) != before {
				t.Errorf("a non-release ref downloaded %v", hits[before:])
			}
		})
	}
}

// TestReleaseNamesMatchInstall keeps .goreleaser.yaml and install.sh in
// step: the archive and checksum names install.sh downloads are the ones
// GoReleaser publishes.
func TestReleaseNamesMatchInstall(t *testing.T) {
	b, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ProjectName string `yaml:"project_name"`
		Archives    []struct {
			NameTemplate    string   `yaml:"name_template"`
			Formats         []string `yaml:"formats"`
			WrapInDirectory any      `yaml:"wrap_in_directory"`
			FormatOverrides []struct {
				Goos    string   `yaml:"goos"`
				Formats []string `yaml:"formats"`
			} `yaml:"format_overrides"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
			Algorithm    string `yaml:"algorithm"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ProjectName != "jit" || len(cfg.Archives) != 1 {
		t.Fatalf("project %q with %d archives; install.sh expects project jit with one archive", cfg.ProjectName, len(cfg.Archives))
	}
	a := cfg.Archives[0]
	if a.NameTemplate != "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}" || a.WrapInDirectory != nil ||
		len(a.Formats) != 1 || a.Formats[0] != "tar.gz" ||
		len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || len(a.FormatOverrides[0].Formats) != 1 || a.FormatOverrides[0].Formats[0] != "zip" {
		t.Errorf("the archives in .goreleaser.yaml are not what install.sh downloads (jit_VERSION_OS_ARCH.tar.gz, zip on windows, binary at the top): %+v", a)
	}
	if cfg.Checksum.NameTemplate != "checksums.txt" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("install.sh verifies sha256 sums from checksums.txt; .goreleaser.yaml has %+v", cfg.Checksum)
	}
}
