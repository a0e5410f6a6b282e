// Package newfiles reads the files a git diff adds: each one's git mode
// from its own section's "new file mode" line, and its content from the
// section's added lines, believed only when the content hashes to the blob
// id GitHub lists for the file. The App reads a pull request's request file
// this way from the comparison's diff (one request for every file) rather
// than through the trees and contents APIs (three requests per file).
// Anything it cannot read for certain is left out, and read the other way.
package newfiles

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// File is an added file as its section of the diff shows it.
type File struct {
	// Mode is git's octal mode from the section's "new file mode" line:
	// "100644", "100755", "120000" (a symlink), "160000" (a submodule).
	Mode string
	// Content is the file's content, nil unless Verified.
	Content []byte
	// Verified is set when Content hashes to the blob id asked for: the
	// section holds the whole file, exactly.
	Verified bool
}

// Read parses diff, git's unified diff of a comparison, and returns the
// added files of want (path -> the blob id the comparison lists: 40 hex
// digits for SHA-1, 64 for SHA-256 repositories). A path is left out when
// the diff has no section adding it, more than one section naming it, or
// a section that is not a plain addition of text (a rename or copy, a
// binary file). An error means the diff could not be parsed at all (cut
// short, or not a diff): nothing in it is used.
func Read(diff []byte, want map[string]string) (map[string]File, error) {
	files, _, err := gitdiff.Parse(bytes.NewReader(diff))
	if err != nil {
		return nil, fmt.Errorf("reading the comparison's diff: %w", err)
	}
	// Every name a section carries, so that a path two sections name is
	// ambiguous and left out.
	named := map[string]int{}
	for _, f := range files {
		for _, name := range []string{f.NewName, f.OldName} {
			if name != "" && (name != f.OldName || f.OldName != f.NewName) {
				named[name]++
			}
		}
	}
	out := map[string]File{}
	for _, f := range files {
		blob, ok := want[f.NewName]
		if !ok || named[f.NewName] != 1 || !f.IsNew || f.IsDelete || f.IsRename || f.IsCopy || f.IsBinary || f.OldName != "" || f.NewMode == 0 {
			continue
		}
		nf := File{Mode: fmt.Sprintf("%06o", uint32(f.NewMode))}
		if content, ok := added(f); ok && blobID(content, len(blob)) == strings.ToLower(blob) {
			nf.Content, nf.Verified = content, true
		}
		out[f.NewName] = nf
	}
	return out, nil
}

// added is the content of a new file's section: one fragment of added
// lines from line 1 (none for an empty file).
func added(f *gitdiff.File) ([]byte, bool) {
	switch len(f.TextFragments) {
	case 0:
		return []byte{}, true
	case 1:
	default:
		return nil, false
	}
	fr := f.TextFragments[0]
	if fr.OldPosition != 0 || fr.OldLines != 0 || fr.NewPosition != 1 || fr.NewLines != int64(len(fr.Lines)) {
		return nil, false
	}
	var b bytes.Buffer
	for _, l := range fr.Lines {
		if l.Op != gitdiff.OpAdd {
			return nil, false
		}
		b.WriteString(l.Line)
	}
	return b.Bytes(), true
}

// blobID is git's object id of a blob holding content, with the hash that
// makes ids of hexLen digits; "" for another length.
func blobID(content []byte, hexLen int) string {
	var h hash.Hash
	switch hexLen {
	case 2 * sha1.Size:
		h = sha1.New()
	case 2 * sha256.Size:
		h = sha256.New()
	default:
		return ""
	}
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
