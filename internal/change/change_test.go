package change

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jit-access/jit/internal/layout"
)

// forbidden is the result of a change that nobody may approve: its one
// reason is also why it is forbidden.
func forbidden(reason string) Result {
	return Result{Reasons: []string{reason}, Forbidden: []string{reason}}
}

func add(path string) File { return File{Path: path, Status: Added, Mode: ModeRegular} }

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  Result
	}{
		{"one new request", []File{add("requests/payments-prod/alice-inc-1234.yaml")}, Result{Request: true, RequestPath: "requests/payments-prod/alice-inc-1234.yaml"}},
		{"account folder by id", []File{add("requests/111122223333/x.yaml")}, Result{Request: true, RequestPath: "requests/111122223333/x.yaml"}},
		{"copy of an old request counts as adding its destination", []File{{Path: "requests/a/new.yaml", PreviousPath: "requests/a/old.yaml", Status: Copied, Mode: ModeRegular}}, Result{Request: true, RequestPath: "requests/a/new.yaml"}},
		{"no files", nil, Result{Reasons: []string{"changes no files"}}},
		{"config edit", []File{{Path: layout.ConfigPath, Status: Modified, Mode: ModeRegular}}, Result{Reasons: []string{"edits .github/jit.yaml (the jit configuration)"}}},
		{"codeowners edit", []File{{Path: ".github/CODEOWNERS", Status: Modified, Mode: ModeRegular}}, Result{Reasons: []string{"edits .github/CODEOWNERS (the code owners, who approve requests)"}}},
		{"new workflow", []File{add(".github/workflows/evil.yml")}, Result{Reasons: []string{"adds .github/workflows/evil.yml (a GitHub Actions workflow)"}}},
		{"file outside requests", []File{add("README.md")}, Result{Reasons: []string{"adds README.md"}}},
		{
			name: "request plus config edit",
			files: []File{
				add("requests/a/x.yaml"),
				{Path: layout.ConfigPath, Status: Modified, Mode: ModeRegular},
			},
			want: Result{Reasons: []string{
				"adds the request file requests/a/x.yaml together with other changes",
				"edits .github/jit.yaml (the jit configuration)",
			}},
		},
		{
			name:  "two requests",
			files: []File{add("requests/a/x.yaml"), add("requests/b/y.yaml")},
			want: Result{Reasons: []string{
				"adds 2 request files (requests/a/x.yaml, requests/b/y.yaml); a request adds exactly one",
			}},
		},
		{"edit of a merged request to extend it", []File{{Path: "requests/a/x.yaml", Status: Modified, Mode: ModeRegular}}, forbidden("edits requests/a/x.yaml")},
		{"removal of a request", []File{{Path: "requests/a/x.yaml", Status: Removed, Mode: ModeRegular}}, forbidden("removes requests/a/x.yaml")},
		{"rename of a request", []File{{Path: "requests/a/y.yaml", PreviousPath: "requests/a/x.yaml", Status: Renamed, Mode: ModeRegular}}, forbidden("renames requests/a/x.yaml to requests/a/y.yaml")},
		{"rename out of requests", []File{{Path: "old/x.yaml", PreviousPath: "requests/a/x.yaml", Status: Renamed, Mode: ModeRegular}}, forbidden("renames requests/a/x.yaml to old/x.yaml")},
		{"rename outside requests is an admin change", []File{{Path: "docs/b.md", PreviousPath: "docs/a.md", Status: Renamed, Mode: ModeRegular}}, Result{Reasons: []string{"renames docs/a.md to docs/b.md"}}},
		{"mode change of a request", []File{{Path: "requests/a/x.yaml", Status: Changed, Mode: ModeExecutable}}, forbidden("changes the type or mode of requests/a/x.yaml (now an executable file)")},
		{"symlink request", []File{{Path: "requests/a/x.yaml", Status: Added, Mode: ModeSymlink}}, forbidden("adds requests/a/x.yaml as a symbolic link")},
		{"symlink anywhere", []File{{Path: "docs/link", Status: Added, Mode: ModeSymlink}}, forbidden("adds docs/link as a symbolic link")},
		{"submodule", []File{{Path: "requests/a", Status: Added, Mode: ModeSubmodule}}, forbidden("adds requests/a as a submodule")},
		{"executable request", []File{{Path: "requests/a/x.yaml", Status: Added, Mode: ModeExecutable}}, forbidden("adds requests/a/x.yaml as an executable file; a request file is a regular, non-executable file")},
		{"unknown mode fails closed", []File{{Path: "requests/a/x.yaml", Status: Added}}, forbidden("adds requests/a/x.yaml as a file of unknown mode; a request file is a regular, non-executable file")},
		{
			name:  "dot-dot segment",
			files: []File{add("requests/../.github/jit.yaml")},
			want: Result{
				Reasons:   []string{`adds requests/../.github/jit.yaml, which has a ".." path segment`},
				Forbidden: []string{`adds requests/../.github/jit.yaml, which has a ".." path segment`},
			},
		},
		{"too deep", []File{add("requests/a/b/x.yaml")}, forbidden("adds requests/a/b/x.yaml, which is not at requests/<account>/<name>.yaml")},
		{"yml extension", []File{add("requests/a/x.yml")}, forbidden("adds requests/a/x.yml, which ends in .yml; request files end in .yaml")},
		{
			name:  "hidden file",
			files: []File{add("requests/a/.x.yaml")},
			want: Result{
				Reasons:   []string{`adds requests/a/.x.yaml, which has a file name ".x" that does not start with a letter or digit`},
				Forbidden: []string{`adds requests/a/.x.yaml, which has a file name ".x" that does not start with a letter or digit`},
			},
		},
		{
			name:  "space and unicode in name are quoted",
			files: []File{add("requests/a/x y\u200b.yaml")},
			want: Result{
				Reasons:   []string{`adds "requests/a/x y\u200b.yaml", which has a file name "x y\u200b" with the character ' '; use letters, digits, '.', '_' and '-'`},
				Forbidden: []string{`adds "requests/a/x y\u200b.yaml", which has a file name "x y\u200b" with the character ' '; use letters, digits, '.', '_' and '-'`},
			},
		},
		{"upper-case Requests folder is outside requests", []File{add("Requests/a/x.yaml")}, Result{Reasons: []string{"adds Requests/a/x.yaml"}}},
		{
			name:  "unknown status",
			files: []File{{Path: "requests/a/x.yaml", Status: "unchanged", Mode: ModeRegular}},
			want: Result{
				Reasons:   []string{`changes requests/a/x.yaml in a way jit does not know (status "unchanged")`},
				Forbidden: []string{`changes requests/a/x.yaml in a way jit does not know (status "unchanged")`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.files)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitRequestPath(t *testing.T) {
	tests := []struct {
		path, account, name, err string
	}{
		{path: "requests/payments-prod/x.y_z-1.yaml", account: "payments-prod", name: "x.y_z-1"},
		{path: "requests/a/x", err: "does not end in .yaml"},
		{path: "requests/a/.yaml", err: "has a file name that is empty"},
		{path: "requests//x.yaml", err: "has an empty path segment"},
		{path: "requests/./x.yaml", err: `has a "." path segment`},
		{path: "other/a/x.yaml", err: "is outside requests/"},
		{path: "requests/x.yaml", err: "is not at requests/<account>/<name>.yaml"},
		{path: "requests/a\\b/x.yaml", err: `has an account folder "a\\b" with the character '\\'; use letters, digits, '.', '_' and '-'`},
		{path: "requests/a/\xff.yaml", err: "is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			account, name, err := SplitRequestPath(tt.path)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.err || account != tt.account || name != tt.name {
				t.Errorf("SplitRequestPath(%q) = %q, %q, %q; want %q, %q, %q", tt.path, account, name, gotErr, tt.account, tt.name, tt.err)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for octal, want := range map[string]Mode{
		"100644": ModeRegular, "100755": ModeExecutable, "120000": ModeSymlink,
		"160000": ModeSubmodule, "040000": ModeUnknown, "000000": ModeUnknown, "": ModeUnknown,
	} {
		if got := ParseMode(octal); got != want {
			t.Errorf("ParseMode(%q) = %v, want %v", octal, got, want)
		}
	}
}
