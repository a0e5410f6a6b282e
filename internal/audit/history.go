package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// commit is one commit of main's first-parent line.
type commit struct {
	sha, parent string
	// tree is the commit's tree, parentTree its first parent's (the empty
	// tree for the root).
	tree, parentTree string
	at               time.Time
	subject          string
	events           []string
	pr               int
	// request is the single Jit-Request trailer's path, empty when the
	// commit has none or several, or is not a commit with one parent.
	request string
	// previous is the single Jit-Previous trailer's commit (see
	// ledger.TrailerPrevious), empty when the commit has none or several.
	previous string
	// vouchers are the newer commits of the line that name this one in
	// their Jit-Previous trailer; vouched is set once its signer was
	// found, its signature awaiting verifier.resolve.
	vouchers []*commit
	vouched  bool
	// changes are the commit's changes under requests/, in git's order:
	// from `git diff-tree`, or for a commit jit signed, its Jit-Request.
	changes []fileChange
}

// fileChange is one changed file of a commit.
type fileChange struct {
	path, mode, blob, status string
}

// readHistory lists main's first-parent line, newest first, with each
// commit's changes under requests/. Every commit object is read once
// (readCommits) and parsed here (parseCommit).
//
// With v, a commit jit signed that names one request file in its
// Jit-Request trailer changed that file and nothing else: jit writes one
// file per commit (ledger.Repo.Commit), and the signature makes the
// trailer jit's word, so its tree diff is skipped. Those signatures are
// checked on every core from the bytes already read, while git diffs the
// other commits. Every other commit is diffed, including one whose
// trailer is not backed by a valid signature.
func readHistory(ctx context.Context, repo *ledger.Repo, ref string, v *verifier) ([]*commit, error) {
	var check func(sha string, c *commit, raw []byte)
	checked := func() {}
	// named are the commits named in a Jit-Previous trailer and not read
	// yet, with the commits naming them: in a chain, one at a time.
	named := map[string][]*commit{}
	if v != nil {
		check, checked = v.start()
	}
	commits, err := readCommits(ctx, repo, ref, func(c *commit, raw []byte) error {
		if err := parseCommit(c, raw); err != nil {
			return fmt.Errorf("commit %s: %w", c.sha, err)
		}
		if v == nil {
			return nil
		}
		// Newest first: a commit's vouchers are all known by the time it
		// is read.
		c.vouchers = named[c.sha]
		delete(named, c.sha)
		if c.previous != "" {
			named[c.previous] = append(named[c.previous], c)
		}
		if c.request != "" && v.claim(c.sha) {
			check(c.sha, c, raw)
		}
		return nil
	})
	if err == nil {
		err = parentTrees(commits)
	}
	if err == nil {
		var others []*commit
		for _, c := range commits {
			if v == nil || c.request == "" {
				others = append(others, c)
			}
		}
		err = diffCommits(ctx, repo, others)
	}
	checked()
	if err == nil && v != nil {
		err = v.resolve(ctx, commits)
	}
	if err != nil {
		return nil, err
	}
	var unsigned []*commit
	for _, c := range commits {
		if v == nil || c.request == "" {
			continue
		}
		if v.result(c.sha) != nil {
			unsigned = append(unsigned, c)
			continue
		}
		c.changes = []fileChange{{path: c.request, mode: "100644", status: "M"}}
	}
	if err := diffCommits(ctx, repo, unsigned); err != nil {
		return nil, err
	}
	return commits, nil
}

// parentTrees gives each commit its first parent's tree: the next commit
// of the first-parent line.
func parentTrees(commits []*commit) error {
	for i, c := range commits {
		switch {
		case c.parent == "":
			c.parentTree = emptyTree(c.sha)
		case i+1 < len(commits) && commits[i+1].sha == c.parent:
			c.parentTree = commits[i+1].tree
		default:
			return fmt.Errorf("commit %s: its first parent %s is not the next commit of the first-parent line", c.sha, c.parent)
		}
	}
	return nil
}

// emptyTree is the empty tree's name in a repository whose object names
// are as long as sha.
func emptyTree(sha string) string {
	if len(sha) == 64 {
		return "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
	}
	return "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
}

func isRequestPath(p string) bool {
	return strings.HasPrefix(p, ledger.RequestsDir+"/") && strings.HasSuffix(p, ".yaml")
}

// diffChunk is the fewest commits worth a git process of their own.
const diffChunk = 5000

// diffCommits fills the changes of commits, each against its first parent
// (the root against nothing), as `git log --first-parent
// --diff-merges=first-parent` shows them: a `git diff-tree --stdin` per
// core for a long history, since tree diffs are CPU-bound.
//
// The parts are runs of consecutive commits of about equal cost rather
// than equal length: a diff costs more the larger the trees, and request
// files accumulate, so a newer commit's diff costs more. The cost is taken
// to grow linearly from one to four times the oldest's across the
// history, as it does for 100,000 grants in 100 folders; with halves, the
// newer part's git ran alone for the last seconds.
func diffCommits(ctx context.Context, repo *ledger.Repo, commits []*commit) error {
	parts := min(runtime.GOMAXPROCS(0), 1+len(commits)/diffChunk)
	if parts <= 1 {
		return diffPart(ctx, repo, commits)
	}
	n := len(commits)
	// commits[i] is the (n-1-i)th oldest: cost 1 + 3(n-1-i)/n.
	cost := func(i int) float64 { return 1 + 3*float64(n-1-i)/float64(n) }
	total := 0.0
	for i := range n {
		total += cost(i)
	}
	var cuts []int
	sum := 0.0
	for i := range n {
		sum += cost(i)
		if len(cuts) < parts-1 && sum >= total*float64(len(cuts)+1)/float64(parts) {
			cuts = append(cuts, i+1)
		}
	}
	cuts = append(cuts, n)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	from := 0
	for i, to := range cuts {
		part := commits[from:to]
		from = to
		wg.Go(func() { errs[i] = diffPart(ctx, repo, part) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// diffPart is diffCommits in one `git diff-tree --stdin`, given the pairs
// of trees rather than the commits, so that git does not parse the
// commits again (and a pair two commits share is diffed once). The pairs
// go oldest first: git stores a tree as a delta of its previous version,
// and in that order the bases of the next trees are still in its cache.
func diffPart(ctx context.Context, repo *ledger.Repo, commits []*commit) error {
	if len(commits) == 0 {
		return nil
	}
	byPair := make(map[string][]*commit, len(commits))
	var in bytes.Buffer
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		pair := c.parentTree + " " + c.tree
		if _, ok := byPair[pair]; !ok {
			in.WriteString(pair + "\n")
		}
		byPair[pair] = append(byPair[pair], c)
	}
	var cur []*commit
	var entry []string // an entry's modes, blobs and status, waiting for its path
	err := repo.GitFields(ctx, &in, func(tok string) error {
		if entry != nil {
			ch := fileChange{path: tok, mode: entry[1], blob: entry[3], status: entry[4]}
			for _, c := range cur {
				c.changes = append(c.changes, ch)
			}
			entry = nil
			return nil
		}
		// Each pair is announced by a line "OLD NEW\n", right before the
		// first of its NUL-terminated entries, if any.
		for tok != "" && !strings.HasPrefix(tok, ":") {
			pair, rest, ok := strings.Cut(tok, "\n")
			if cur = byPair[pair]; !ok || cur == nil {
				return fmt.Errorf("unexpected git diff-tree output %q", tok)
			}
			tok = rest
		}
		if tok == "" {
			return nil
		}
		if cur == nil {
			return fmt.Errorf("unexpected git diff-tree entry %q before any pair of trees", tok)
		}
		if entry = strings.Fields(tok[1:]); len(entry) != 5 {
			return fmt.Errorf("commit %s: unexpected diff entry %q", cur[0].sha, tok)
		}
		return nil
	}, "diff-tree", "--stdin", "-r", "--no-renames", "--raw", "--no-abbrev", "-z")
	if err == nil && entry != nil {
		err = fmt.Errorf("truncated git diff-tree output: an entry of commit %s has no path", cur[0].sha)
	}
	return err
}

// onEveryCore starts one worker per core, each running do on the jobs sent
// to the returned channel, which holds up to queue jobs not started yet;
// wait closes the channel and returns once every job sent has been done.
func onEveryCore[J any](queue int, do func(J)) (jobs chan<- J, wait func()) {
	ch := make(chan J, queue)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range ch {
				do(j)
			}
		})
	}
	return ch, func() {
		close(ch)
		wg.Wait()
	}
}

// verifier checks commit signatures against the signers at ref, each
// commit once, on every core.
//
// A commit that a newer commit of the line names in its Jit-Previous
// trailer (ledger.TrailerPrevious) is checked only for its signer at
// first: if one of the commits naming it turns out to be jit's (checked,
// or vouched for in turn), jit checked this commit's signature before
// naming it, and the name is its hash; otherwise it is checked in full
// after all. A history jit wrote is then one chain, and its audit checks
// one signature instead of two per grant.
type verifier struct {
	repo    *ledger.Repo
	signers *ledger.Signers
	mu      sync.Mutex
	results map[string]error
}

// errNotChecked is the result of a commit whose check has not finished:
// it fails closed should it ever be read too early.
var errNotChecked = errors.New("its signature was not checked")

// signedQueue is how many read commits may wait for their signature check
// without holding up git: most of a long history, so that the commits are
// read (and the others diffed) while their signatures are checked.
const signedQueue = 1 << 16

// claim reports whether sha still has to be checked, and marks it taken.
func (v *verifier) claim(sha string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.results[sha]; ok {
		return false
	}
	v.results[sha] = errNotChecked
	return true
}

// start checks on every core the commits handed to check (claimed
// first); wait returns once all of them are checked. A commit given with
// vouchers is checked for its signer only, and resolve finishes it.
func (v *verifier) start() (check func(sha string, c *commit, raw []byte), wait func()) {
	type job struct {
		sha string
		c   *commit // with vouchers, or nil
		raw []byte
	}
	jobs, wait := onEveryCore(signedQueue, func(j job) {
		var err error
		if j.c != nil {
			_, err = v.signers.VouchedCommit(j.raw)
			// Read by resolve only, after wait.
			j.c.vouched = err == nil
		} else {
			_, err = v.signers.VerifyCommit(j.raw)
		}
		v.mu.Lock()
		v.results[j.sha] = err
		v.mu.Unlock()
	})
	return func(sha string, c *commit, raw []byte) {
		if c != nil && len(c.vouchers) == 0 {
			c = nil
		}
		jobs <- job{sha, c, raw}
	}, wait
}

// resolve finishes the vouched commits, newest first, once every check
// is done: one stands when a commit naming it is jit's (its result is
// final by then, being newer), and is checked in full otherwise.
func (v *verifier) resolve(ctx context.Context, commits []*commit) error {
	var again []string
	for _, c := range commits {
		if !c.vouched {
			continue
		}
		c.vouched = false
		ok := false
		for _, by := range c.vouchers {
			if err, checked := v.results[by.sha]; checked && err == nil && !by.vouched {
				ok = true
				break
			}
		}
		if !ok {
			v.results[c.sha] = errNotChecked
			again = append(again, c.sha)
		}
	}
	return v.check(ctx, again)
}

// verify checks the signatures of shas not checked yet.
func (v *verifier) verify(ctx context.Context, shas []string) error {
	var todo []string
	for _, s := range shas {
		if v.claim(s) {
			todo = append(todo, s)
		}
	}
	return v.check(ctx, todo)
}

// check checks the signatures of shas, claimed already, in full.
func (v *verifier) check(ctx context.Context, shas []string) error {
	if len(shas) == 0 {
		return nil
	}
	check, wait := v.start()
	err := v.repo.Objects(ctx, shas, func(i int, data []byte) error {
		check(shas[i], nil, data)
		return nil
	})
	wait()
	if err != nil {
		return fmt.Errorf("checking the signatures of main's commits: %w", err)
	}
	return nil
}

func (v *verifier) result(sha string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.results[sha]
}

// walk follows the commits, newest first, and returns one history per life
// of a request file on main. read is called once per history with the
// file's last content as a blob name, as soon as it is known; blob is
// empty for a change taken from a signed trailer, and then the file's
// blob is its version at ref when the life reaches ref, or else
// commit:path.
func walk(commits []*commit, atRef map[string]string, read func(i int, path, blob string)) ([]*history, error) {
	var hist []*history
	open := map[string]int{}    // path -> history still being walked back to its add
	pending := map[string]int{} // path -> history deleted at its end, last content not yet seen
	for _, c := range commits {
		for _, ch := range c.changes {
			path := ch.path
			if !isRequestPath(path) {
				continue
			}
			if ch.status == "D" {
				// Walking back, a deletion ends a life whose last content
				// the next entry for this path shows.
				t := c.at
				hist = append(hist, &history{path: path, removed: &t})
				pending[path] = len(hist) - 1
				delete(open, path)
				continue
			}
			if ch.mode == "160000" || ch.mode == "120000" {
				continue // submodules and symlinks are not request files
			}
			idx, ok := open[path]
			if !ok {
				blob := ch.blob
				if p, deleted := pending[path]; deleted {
					idx = p
					delete(pending, path)
					if blob == "" {
						blob = c.sha + ":" + path
					}
				} else {
					hist = append(hist, &history{path: path})
					idx = len(hist) - 1
					if blob == "" {
						if blob = atRef[path]; blob == "" {
							blob = c.sha + ":" + path
						}
					}
				}
				hist[idx].last = c.sha
				open[path] = idx
				read(idx, path, blob)
			}
			h := hist[idx]
			if c.pr != 0 && h.prTrailer == 0 {
				h.prTrailer = c.pr
			}
			for j := len(c.events) - 1; j >= 0; j-- {
				h.events = append(h.events, Event{At: c.at, Event: c.events[j], Commit: c.sha})
			}
			// Every version counts as the add until an older one shows up;
			// a file in the root commit or added with a mode change still
			// gets a date.
			h.added, h.addCommit, h.addSubject = c.at, c.sha, c.subject
			if ch.status == "A" {
				delete(open, path)
			}
		}
	}
	for _, h := range hist {
		slices.Reverse(h.events)
	}
	for path, i := range pending {
		return nil, fmt.Errorf("%s was deleted at %s but never added: the history is incomplete",
			path, hist[i].removed.Format(time.RFC3339))
	}
	return hist, nil
}

// filesAt returns the blob of every regular request file at ref.
func filesAt(ctx context.Context, repo *ledger.Repo, ref string) (map[string]string, error) {
	out := map[string]string{}
	err := repo.GitFields(ctx, nil, func(line string) error {
		meta, path, ok := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return fmt.Errorf("unexpected git ls-tree output %q", line)
		}
		if f[1] == "blob" && (f[0] == "100644" || f[0] == "100755") {
			out[path] = f[2]
		}
		return nil
	}, "ls-tree", "-r", "-z", "--full-tree", ref, "--", ledger.RequestsDir+"/")
	return out, err
}

// decoder reads request files in one `git cat-file --batch` and decodes
// them on every core, each (blob, path) once.
type decoder struct {
	names   chan string
	mu      sync.Mutex
	queue   []string // keys in the order their blobs were asked for
	seen    map[string]bool
	results map[string]Record
	done    chan struct{}
	err     error
}

func decodeKey(blob, path string) string { return blob + "\x00" + path }

func newDecoder(ctx context.Context, repo *ledger.Repo) *decoder {
	d := &decoder{names: make(chan string, 1024), seen: map[string]bool{}, results: map[string]Record{}, done: make(chan struct{})}
	type job struct {
		path string
		key  string
		data []byte
	}
	// Decoding YAML is most of the audit's own time.
	jobs, wait := onEveryCore(256, func(j job) {
		var r Record
		req, err := schema.DecodeRequest(j.path, j.data)
		if err != nil {
			// A file on main that no longer decodes is still an
			// audit record: say so rather than drop it.
			r = Record{Path: j.path, State: "unreadable", Why: err.Error()}
		} else {
			r = build(j.path, req)
		}
		d.mu.Lock()
		d.results[j.key] = r
		d.mu.Unlock()
	})
	go func() {
		defer close(d.done)
		err := repo.ObjectStream(ctx, d.names, func(_ int, data []byte) error {
			d.mu.Lock()
			if len(d.queue) == 0 {
				d.mu.Unlock()
				return errors.New("more objects than files asked for")
			}
			key := d.queue[0]
			d.queue = d.queue[1:]
			d.mu.Unlock()
			_, path, _ := strings.Cut(key, "\x00")
			jobs <- job{path, key, data}
			return nil
		})
		wait()
		d.err = err
		for range d.names {
		}
	}()
	return d
}

// want asks for the file at path whose content is blob (a blob name or
// commit:path).
func (d *decoder) want(blob, path string) {
	key := decodeKey(blob, path)
	d.mu.Lock()
	if d.seen[key] {
		d.mu.Unlock()
		return
	}
	d.seen[key] = true
	d.queue = append(d.queue, key)
	d.mu.Unlock()
	d.names <- blob
}

// close waits for every file asked for and returns the records built from
// them by decodeKey.
func (d *decoder) close() (map[string]Record, error) {
	close(d.names)
	<-d.done
	return d.results, d.err
}

// signersAt returns a verifier for the allowed-signers file at ref; nil
// when ref has none: nothing can be verified, and the records say what the
// files say.
func signersAt(ctx context.Context, repo *ledger.Repo, ref string) (*verifier, error) {
	raw, err := repo.Git(ctx, "cat-file", "blob", ref+":"+ledger.SignersPath)
	if err != nil {
		return nil, nil
	}
	signers, err := ledger.ParseSigners(raw)
	if err != nil {
		return nil, err
	}
	return &verifier{repo: repo, signers: signers, results: map[string]error{}}, nil
}
