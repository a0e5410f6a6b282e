package change

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func add(path string) File { return File{Path: path, Status: Added, Mode: ModeRegular} }

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  Result
	}{
		{
			name:  "one new request",
			files: []File{add("requests/payments-prod/alice-inc-1234.yaml")},
			want:  Result{Request: true, RequestPath: "requests/payments-prod/alice-inc-1234.yaml"},
		},
		{
			name:  "account folder by id",
			files: []File{add("requests/111122223333/x.yaml")},
			want:  Result{Request: true, RequestPath: "requests/111122223333/x.yaml"},
		},
		{
			name:  "copy of an old request counts as adding its destination",
			files: []File{{Path: "requests/a/new.yaml", PreviousPath: "requests/a/old.yaml", Status: Copied, Mode: ModeRegular}},
			want:  Result{Request: true, RequestPath: "requests/a/new.yaml"},
		},
		{
			name:  "no files",
			files: nil,
			want:  Result{Reasons: []string{"changes no files"}},
		},
		{
			name:  "config edit",
			files: []File{{Path: ".github/jit.yaml", Status: Modified, Mode: ModeRegular}},
			want:  Result{Reasons: []string{"edits .github/jit.yaml (the jit configuration)"}},
		},
		{
			name:  "codeowners edit",
			files: []File{{Path: ".github/CODEOWNERS", Status: Modified, Mode: ModeRegular}},
			want:  Result{Reasons: []string{"edits .github/CODEOWNERS (the code owners, who approve requests)"}},
		},
		{
			name:  "new workflow",
			files: []File{add(".github/workflows/evil.yml")},
			want:  Result{Reasons: []string{"adds .github/workflows/evil.yml (a GitHub Actions workflow)"}},
		},
		{
			name:  "file outside requests",
			files: []File{add("README.md")},
			want:  Result{Reasons: []string{"adds README.md"}},
		},
		{
			name: "request plus config edit",
			files: []File{
				add("requests/a/x.yaml"),
				{Path: ".github/jit.yaml", Status: Modified, Mode: ModeRegular},
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
		{
			name:  "edit of a merged request to extend it",
			files: []File{{Path: "requests/a/x.yaml", Status: Modified, Mode: ModeRegular}},
			want: Result{
				Reasons:   []string{"edits requests/a/x.yaml"},
				Forbidden: []string{"edits requests/a/x.yaml"},
			},
		},
		{
			name:  "removal of a request",
			files: []File{{Path: "requests/a/x.yaml", Status: Removed, Mode: ModeRegular}},
			want: Result{
				Reasons:   []string{"removes requests/a/x.yaml"},
				Forbidden: []string{"removes requests/a/x.yaml"},
			},
		},
		{
			name:  "rename of a request",
			files: []File{{Path: "requests/a/y.yaml", PreviousPath: "requests/a/x.yaml", Status: Renamed, Mode: ModeRegular}},
			want: Result{
				Reasons:   []string{"renames requests/a/x.yaml to requests/a/y.yaml"},
				Forbidden: []string{"renames requests/a/x.yaml to requests/a/y.yaml"},
			},
		},
		{
			name:  "rename out of requests",
			files: []File{{Path: "old/x.yaml", PreviousPath: "requests/a/x.yaml", Status: Renamed, Mode: ModeRegular}},
			want: Result{
				Reasons:   []string{"renames requests/a/x.yaml to old/x.yaml"},
				Forbidden: []string{"renames requests/a/x.yaml to old/x.yaml"},
			},
		},
		{
			name:  "rename outside requests is an admin change",
			files: []File{{Path: "docs/b.md", PreviousPath: "docs/a.md", Status: Renamed, Mode: ModeRegular}},
			want:  Result{Reasons: []string{"renames docs/a.md to docs/b.md"}},
		},
		{
			name:  "mode change of a request",
			files: []File{{Path: "requests/a/x.yaml", Status: Changed, Mode: ModeExecutable}},
			want: Result{
				Reasons:   []string{"changes the type or mode of requests/a/x.yaml (now an executable file)"},
				Forbidden: []string{"changes the type or mode of requests/a/x.yaml (now an executable file)"},
			},
		},
		{
			name:  "symlink request",
			files: []File{{Path: "requests/a/x.yaml", Status: Added, Mode: ModeSymlink}},
			want: Result{
				Reasons:   []string{"adds requests/a/x.yaml as a symbolic link"},
				Forbidden: []string{"adds requests/a/x.yaml as a symbolic link"},
			},
		},
		{
			name:  "symlink anywhere",
			files: []File{{Path: "docs/link", Status: Added, Mode: ModeSymlink}},
			want: Result{
				Reasons:   []string{"adds docs/link as a symbolic link"},
				Forbidden: []string{"adds docs/link as a symbolic link"},
			},
		},
		{
			name:  "submodule",
			files: []File{{Path: "requests/a", Status: Added, Mode: ModeSubmodule}},
			want: Result{
				Reasons:   []string{"adds requests/a as a submodule"},
				Forbidden: []string{"adds requests/a as a submodule"},
			},
		},
		{
			name:  "executable request",
			files: []File{{Path: "requests/a/x.yaml", Status: Added, Mode: ModeExecutable}},
			want: Result{
				Reasons:   []string{"adds requests/a/x.yaml as an executable file; a request file is a regular, non-executable file"},
				Forbidden: []string{"adds requests/a/x.yaml as an executable file; a request file is a regular, non-executable file"},
			},
		},
		{
			name:  "unknown mode fails closed",
			files: []File{{Path: "requests/a/x.yaml", Status: Added}},
			want: Result{
				Reasons:   []string{"adds requests/a/x.yaml as a file of unknown mode; a request file is a regular, non-executable file"},
				Forbidden: []string{"adds requests/a/x.yaml as a file of unknown mode; a request file is a regular, non-executable file"},
			},
		},
		{
			name:  "dot-dot segment",
			files: []File{add("requests/../.github/jit.yaml")},
			want: Result{
				Reasons:   []string{`adds requests/../.github/jit.yaml, which has a ".." path segment`},
				Forbidden: []string{`adds requests/../.github/jit.yaml, which has a ".." path segment`},
			},
		},
		{
			name:  "too deep",
			files: []File{add("requests/a/b/x.yaml")},
			want: Result{
				Reasons:   []string{"adds requests/a/b/x.yaml, which is not at requests/<account>/<name>.yaml"},
				Forbidden: []string{"adds requests/a/b/x.yaml, which is not at requests/<account>/<name>.yaml"},
			},
		},
		{
			name:  "yml extension",
			files: []File{add("requests/a/x.yml")},
			want: Result{
				Reasons:   []string{"adds requests/a/x.yml, which ends in .yml; request files end in .yaml"},
				Forbidden: []string{"adds requests/a/x.yml, which ends in .yml; request files end in .yaml"},
			},
		},
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
		{
			name:  "upper-case Requests folder is outside requests",
			files: []File{add("Requests/a/x.yaml")},
			want:  Result{Reasons: []string{"adds Requests/a/x.yaml"}},
		},
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
