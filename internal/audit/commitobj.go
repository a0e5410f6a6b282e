package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/ledger"
)

// readCommits reads main's first-parent line, newest first, and hands
// each commit with its raw object (the bytes git hashed and jit signed) to
// each, in order. One `git rev-list --first-parent --header` lists and
// prints them: it gives the header verbatim and the message indented, from
// which the object is rebuilt here; only a rebuilt object whose hash is
// the commit's name is used (the message had no trailing spaces, no
// leading blank line, no other encoding), and the others are read as
// they are with `git cat-file --batch`. That takes about 40% less of git's
// time than listing the commits and reading each with cat-file.
func readCommits(ctx context.Context, repo *ledger.Repo, ref string, each func(c *commit, raw []byte) error) ([]*commit, error) {
	var commits, exact []*commit
	var rebuilt hashCheck
	err := repo.GitStream(ctx, func(out io.Reader) error {
		r := bufio.NewReaderSize(out, 1<<16)
		for {
			rec, err := r.ReadBytes(0)
			if err == io.EOF && len(rec) == 0 {
				return nil
			}
			if err != nil && err != io.EOF {
				return err
			}
			name, shown, _ := bytes.Cut(bytes.TrimSuffix(rec, []byte{0}), []byte("\n"))
			if !isSHA(string(name)) {
				return fmt.Errorf("unexpected git rev-list output %.80q", rec)
			}
			c := &commit{sha: string(name)}
			commits = append(commits, c)
			if raw := unindent(shown); rebuilt.is(c.sha, raw) {
				if err := each(c, raw); err != nil {
					return err
				}
			} else {
				exact = append(exact, c)
			}
		}
	}, "rev-list", "--first-parent", "--header", ref)
	if err != nil || len(exact) == 0 {
		return commits, err
	}
	names := make([]string, len(exact))
	for i, c := range exact {
		names[i] = c.sha
	}
	return commits, repo.Objects(ctx, names, func(i int, raw []byte) error { return each(exact[i], raw) })
}

// unindent rebuilds a commit object from git's raw format: the header as
// it is, a blank line, and the message with the four spaces git indents
// each line with taken off. It works in place.
func unindent(shown []byte) []byte {
	end := bytes.Index(shown, []byte("\n\n"))
	if end < 0 {
		return shown
	}
	raw := shown[:end+2]
	for i := end + 2; i < len(shown); {
		l, next := line(shown, i)
		raw = append(raw, bytes.TrimPrefix(l, []byte("    "))...)
		if next > i+len(l) {
			raw = append(raw, '\n')
		}
		i = next
	}
	return raw
}

// hashCheck tells whether bytes are the commit object a name names.
type hashCheck struct {
	h        hash.Hash
	sum, hex []byte
}

func (hc *hashCheck) is(name string, raw []byte) bool {
	if hc.h == nil || hc.h.Size()*2 != len(name) {
		if hc.h = sha1.New(); len(name) == 64 {
			hc.h = sha256.New()
		}
	}
	hc.h.Reset()
	fmt.Fprintf(hc.h, "commit %d\x00", len(raw))
	hc.h.Write(raw)
	hc.sum = hc.h.Sum(hc.sum[:0])
	hc.hex = hex.AppendEncode(hc.hex[:0], hc.sum)
	return string(hc.hex) == name
}

// parseCommit fills c from its raw object, as `git cat-file` prints it:
// the first parent, the committer date, the subject and the Jit-*
// trailers, each as `git log`'s %P, %cI, %s and
// %(trailers:key=…,valueonly) give them. The audit reads every commit
// object once, since it needs the bytes of the commits jit signed anyway;
// asking git log to format trailers costs more than reading them here.
//
// It is written by hand because git has no machine-readable form of a
// commit's trailers short of that formatting, and no library in the
// module's dependencies parses them; the rules are git's (trailer.c,
// pretty.c), and TestParseCommitMatchesGitLog holds the two together.
func parseCommit(c *commit, raw []byte) error {
	header, msg, _ := bytes.Cut(raw, []byte("\n\n"))
	// The parents are the lines right after the tree, as git reads them.
	parents, inParents := 0, true
	committer := false
	for i := 0; len(header) > 0; i++ {
		var line []byte
		line, header, _ = bytes.Cut(header, []byte("\n"))
		inParents = inParents && (i == 0 || bytes.HasPrefix(line, []byte("parent ")))
		switch {
		case i == 0:
			if !bytes.HasPrefix(line, []byte("tree ")) {
				return errors.New("the commit has no tree")
			}
			c.tree = string(line[len("tree "):])
		case inParents:
			if parents == 0 {
				c.parent = string(line[len("parent "):])
			}
			parents++
		case bytes.HasPrefix(line, []byte("committer ")) && !committer:
			at, err := identDate(line)
			if err != nil {
				return err
			}
			c.at, committer = at, true
		}
	}
	if !committer {
		return errors.New("the commit has no committer")
	}
	// git reads a message as a C string: nothing after a NUL byte counts.
	if nul := bytes.IndexByte(msg, 0); nul >= 0 {
		msg = msg[:nul]
	}
	msg = skipBlankLines(msg)
	c.subject = subject(msg)
	var requests, previous []string
	for _, t := range parseTrailers(msg) {
		v := strings.TrimSpace(t.value)
		if v == "" {
			continue
		}
		switch {
		case strings.EqualFold(t.key, ledger.TrailerEvent):
			c.events = append(c.events, v)
		case strings.EqualFold(t.key, ledger.TrailerPullRequest):
			c.pr, _ = strconv.Atoi(v) // the last one counts
		case strings.EqualFold(t.key, ledger.TrailerRequest):
			requests = append(requests, v)
		case strings.EqualFold(t.key, ledger.TrailerPrevious):
			previous = append(previous, v)
		}
	}
	// A commit names at most one previous record, by its full name.
	if len(previous) == 1 && len(previous[0]) == len(c.sha) && isSHA(previous[0]) {
		c.previous = previous[0]
	}
	// Only a commit with one parent, as jit makes them, can be taken from
	// its trailer: a merge's diff is a whole branch.
	if len(requests) == 1 && isRequestPath(requests[0]) && parents == 1 {
		c.request = requests[0]
	}
	return nil
}

// identDate reads the date of an author or committer line,
// "committer NAME <EMAIL> SECONDS ZONE", in UTC.
func identDate(line []byte) (time.Time, error) {
	gt := bytes.LastIndexByte(line, '>')
	if gt < 0 {
		return time.Time{}, errors.New("the committer line has no <email>")
	}
	fields := strings.Fields(string(line[gt+1:]))
	if len(fields) == 0 {
		return time.Time{}, errors.New("the committer line has no date")
	}
	secs, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return time.Time{}, errors.New("the committer date is not a number of seconds")
	}
	return time.Unix(secs, 0).UTC(), nil
}

// isGitSpace is git's isspace, which knows only these four.
func isGitSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func trimGitSpace(b []byte) []byte {
	for len(b) > 0 && isGitSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isGitSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// line returns msg's line at i without its newline, and where the next
// one starts.
func line(msg []byte, i int) ([]byte, int) {
	if n := bytes.IndexByte(msg[i:], '\n'); n >= 0 {
		return msg[i : i+n], i + n + 1
	}
	return msg[i:], len(msg)
}

// isBlankLine is true for a line of nothing but spaces.
func isBlankLine(l []byte) bool { return len(trimGitSpace(l)) == 0 }

// skipBlankLines drops the blank lines a message starts with, as git does
// before taking its subject and trailers.
func skipBlankLines(msg []byte) []byte {
	for len(msg) > 0 {
		l, next := line(msg, 0)
		if !isBlankLine(l) {
			break
		}
		msg = msg[next:]
	}
	return msg
}

// subject is git's %s: the first paragraph, its lines trimmed at the end
// and joined with spaces.
func subject(msg []byte) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		l, next := line(msg, i)
		l = bytes.TrimRight(l, " \t\n\r")
		if len(l) == 0 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(l)
		i = next
	}
	return b.String()
}

// trailer is one "Key: value" line of a commit message's trailer block,
// with its continuation lines.
type trailer struct{ key, value string }

// commentChar starts the lines git leaves out of a message's trailer
// block (core.commentChar, whose default the audit assumes).
const commentChar = '#'

// parseTrailers returns the trailers of a message (without its leading
// blank lines), as git's %(trailers) finds them: in the last paragraph,
// when it is not the title and it is all trailers, or at least a quarter
// trailers with one that git writes itself (Signed-off-by); trailing
// comments and a scissors line end the message; a line starting with a
// space continues the trailer above it. Values are trimmed, and a folded
// value keeps its line breaks, as %(trailers:valueonly) prints it.
func parseTrailers(msg []byte) []trailer {
	end := len(msg) - ignoreNonTrailer(msg)
	block := msg[trailerStart(msg[:end]):end]
	var out []trailer
	var raw [][]byte
	folds := false // the last raw entry is a trailer that continuation lines extend
	for i := 0; i < len(block); {
		start := i
		_, i = line(block, i)
		l := block[start:i]
		if folds && isGitSpace(l[0]) {
			last := raw[len(raw)-1]
			raw[len(raw)-1] = append(last[:len(last):len(last)], l...) // a copy: block stays as it is
			continue
		}
		raw = append(raw, l)
		folds = findSeparator(l) >= 1
	}
	for _, r := range raw {
		sep := findSeparator(r)
		if sep < 1 {
			continue
		}
		out = append(out, trailer{key: string(trimGitSpace(r[:sep])), value: string(trimGitSpace(r[sep+1:]))})
	}
	return out
}

// findSeparator is where the ':' of "Token: value" is, allowing spaces
// between the token and it; -1 when the line is not of that form.
func findSeparator(l []byte) int {
	space := false
	for i, c := range l {
		switch {
		case c == ':':
			return i
		case !space && (isAlnum(c) || c == '-'):
		case i > 0 && (c == ' ' || c == '\t'):
			space = true
		default:
			return -1
		}
	}
	return -1
}

// lastLine is where the line before position n starts; -1 when n is 0.
func lastLine(buf []byte, n int) int {
	switch n {
	case 0:
		return -1
	case 1:
		return 0
	}
	if i := bytes.LastIndexByte(buf[:n-1], '\n'); i >= 0 {
		return i + 1
	}
	return 0
}

// gitGenerated are the trailers git writes itself, which make a paragraph
// a trailer block with only a quarter of its lines trailers.
var gitGenerated = []string{"Signed-off-by: ", "(cherry picked from commit "}

// trailerStart is where the trailer block of buf starts, len(buf) when it
// has none (git's find_trailer_start).
func trailerStart(buf []byte) int {
	s := 0
	for s < len(buf) {
		l, next := line(buf, s)
		if len(l) > 0 && l[0] == commentChar {
			s = next
			continue
		}
		if isBlankLine(l) {
			break
		}
		s = next
	}
	endOfTitle := s
	onlySpaces, recognized := true, false
	trailers, others, continuations := 0, 0, 0
	for l := lastLine(buf, len(buf)); l >= endOfTitle && l >= 0; l = lastLine(buf, l) {
		bol, next := line(buf, l)
		switch {
		case len(bol) > 0 && bol[0] == commentChar:
			others += continuations
			continuations = 0
			continue
		case isBlankLine(bol):
			if onlySpaces {
				continue
			}
			others += continuations
			if recognized && trailers*3 >= others || trailers > 0 && others == 0 {
				return next
			}
			return len(buf)
		}
		onlySpaces = false
		generated := false
		for _, p := range gitGenerated {
			if bytes.HasPrefix(bol, []byte(p)) {
				generated = true
			}
		}
		switch {
		case generated:
			trailers++
			continuations = 0
			recognized = true
		case findSeparator(bol) >= 1 && !isGitSpace(bol[0]):
			trailers++
			continuations = 0
		case isGitSpace(bol[0]):
			continuations++
		default:
			others += 1 + continuations
			continuations = 0
		}
	}
	return len(buf)
}

// scissors is the line below which git ignores a message.
const scissors = "\n# ------------------------ >8 ------------------------\n"

// ignoreNonTrailer is how many bytes at the end of msg git leaves out
// when looking for trailers: comments, blank lines and an old
// "Conflicts:" list at the end, and everything from a scissors line on.
func ignoreNonTrailer(msg []byte) int {
	cutoff := len(msg)
	if bytes.HasPrefix(msg, []byte(scissors[1:])) {
		cutoff = 0
	} else if i := bytes.Index(msg, []byte(scissors)); i >= 0 {
		cutoff = i + 1
	}
	boc, conflicts := 0, false
	for bol := 0; bol < cutoff; {
		_, next := line(msg, bol)
		switch {
		case msg[bol] == commentChar || msg[bol] == '\n':
			if boc == 0 {
				boc = bol
			}
		case bytes.HasPrefix(msg[bol:], []byte("Conflicts:\n")):
			conflicts = true
			if boc == 0 {
				boc = bol
			}
		case conflicts && msg[bol] == '\t':
		case boc != 0:
			boc, conflicts = 0, false
		}
		bol = next
	}
	if boc != 0 {
		return len(msg) - boc
	}
	return len(msg) - cutoff
}
