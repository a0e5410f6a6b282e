package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

// errWalkDone stops the history walk once every file is accounted for.
var errWalkDone = errors.New("walk done")

// Verification is what Requests found out about the statuses on main.
type Verification struct {
	// On is true when main has an allowed-signers file: only statuses jit
	// signed count. Without one every status is taken as written.
	On bool
	// Signers are the keys of SignersPath on main when On.
	Signers *Signers
}

// touch is one commit on main's first-parent line that changed a file.
type touch struct {
	sha   string
	added bool // the commit added the file: nothing before it belongs to this request
}

// verify makes every grant's status the one jit signed. For each request
// file it finds the commits on main's first-parent line that changed it
// since it was added; the status at HEAD counts only when the newest of
// them is signed by a key in SignersPath. Otherwise the grant gets the
// status of the newest signed version (none if jit never signed one), and
// Unverified says so. Only jit writes status blocks, so a file whose newest
// change is not jit's has had its status, or its removal, typed by someone
// else: an admin's bypass, a mixed pull request, a forged commit.
func (r *Repo) verify(ctx context.Context, grants []lifecycle.Grant) (Verification, error) {
	signers, found, err := r.signersAtHead(ctx)
	if !found {
		// No signers file: statuses are taken as written (see README).
		return Verification{}, nil
	}
	if err != nil {
		return Verification{}, err
	}
	v := Verification{On: true, Signers: signers}
	if len(grants) == 0 {
		return v, nil
	}
	history, err := r.touches(ctx, grants)
	if err != nil {
		return v, err
	}
	checked := map[string]error{}
	check := func(shas []string) error {
		var todo []string
		for _, s := range shas {
			if _, ok := checked[s]; !ok {
				todo = append(todo, s)
				checked[s] = nil
			}
		}
		return r.Objects(ctx, todo, func(i int, data []byte) error {
			_, err := signers.VerifyCommit(data)
			checked[todo[i]] = err
			return nil
		})
	}
	// The newest change of every file first, in one git process.
	var newest []string
	for _, g := range grants {
		if h := history[g.Path]; len(h) > 0 {
			newest = append(newest, h[0].sha)
		}
	}
	if err := check(newest); err != nil {
		return v, fmt.Errorf("checking the signatures of main's commits: %w", err)
	}
	for i := range grants {
		g := &grants[i]
		h := history[g.Path]
		if len(h) == 0 {
			return v, fmt.Errorf("%s: no commit on main's first-parent line changed it", g.Path)
		}
		if checked[h[0].sha] == nil {
			continue // jit's own signed record
		}
		if h[0].added && g.Request.Status == nil {
			continue // a request as merged, which jit has not recorded anything about yet
		}
		if len(h) > 1 && (checked[h[1].sha] == nil || h[1].added) {
			ok, err := r.revocationRequest(ctx, g, h[1].sha)
			if err != nil {
				return v, err
			}
			if ok {
				continue
			}
		}
		// Someone else wrote the file last: find jit's newest record.
		var older []string
		for _, t := range h[1:] {
			older = append(older, t.sha)
		}
		if err := check(older); err != nil {
			return v, fmt.Errorf("checking the signatures of main's commits: %w", err)
		}
		var trusted *schema.Status
		from := ""
		for _, t := range h[1:] {
			if checked[t.sha] != nil {
				continue
			}
			data, err := r.git.run(ctx, nil, "cat-file", "blob", t.sha+":"+g.Path)
			if err != nil {
				return v, fmt.Errorf("reading %s at %s: %w", g.Path, short(t.sha), err)
			}
			old, err := schema.DecodeRequest(g.Path, data)
			if err != nil {
				return v, fmt.Errorf("reading jit's record of %s at %s: %w", g.Path, short(t.sha), err)
			}
			trusted, from = old.Status, t.sha
			break
		}
		why := fmt.Sprintf("the file was last changed by commit %s, which jit did not sign (%v)", short(h[0].sha), checked[h[0].sha])
		if from != "" {
			why += fmt.Sprintf("; jit acts on its last signed record, commit %s (state %s)", short(from), stateOf(trusted))
		} else {
			why += "; jit never recorded a status for it, so it is treated as a merged request whose approval is checked"
		}
		g.Request.Status = trusted
		g.Unverified = why
	}
	return v, nil
}

// revocationRequest reports whether the file at HEAD is its version at
// base (jit's signed record, or the request as merged) with nothing changed
// but a revocation asked for: the state revoking, who asked, when and why.
// That is what the App writes on /jit revoke, through GitHub's API, where
// jit's key does not sign. It is accepted unsigned because it can only end
// access: what is revoked (the permission set, the user, the expiry) still
// comes from jit's signed record.
func (r *Repo) revocationRequest(ctx context.Context, g *lifecycle.Grant, base string) (bool, error) {
	head := g.Request.Status
	if head == nil || head.State != schema.StateRevoking {
		return false, nil
	}
	data, err := r.git.run(ctx, nil, "cat-file", "blob", base+":"+g.Path)
	if err != nil {
		return false, fmt.Errorf("reading %s at %s: %w", g.Path, short(base), err)
	}
	old, err := schema.DecodeRequest(g.Path, data)
	if err != nil {
		return false, nil
	}
	want := schema.Status{PullRequest: head.PullRequest, Requester: head.Requester}
	if old.Status != nil {
		switch old.Status.State {
		case schema.StateActive, schema.StateActivating:
		default:
			return false, nil // an ended grant is not revoked again
		}
		want = *old.Status
	}
	got := *head
	got.State, got.RevokedBy, got.RevokeRequestedAt, got.Reason = want.State, want.RevokedBy, want.RevokeRequestedAt, want.Reason
	a, err1 := schema.SetStatus(data, &want)
	b, err2 := schema.SetStatus(data, &got)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		return false, nil
	}
	// The request itself is unchanged too.
	headData, err := r.git.run(ctx, nil, "cat-file", "blob", "HEAD:"+g.Path)
	if err != nil {
		return false, fmt.Errorf("reading %s at HEAD: %w", g.Path, err)
	}
	x, err1 := schema.SetStatus(headData, nil)
	y, err2 := schema.SetStatus(data, nil)
	return err1 == nil && err2 == nil && bytes.Equal(x, y), nil
}

func stateOf(st *schema.Status) string {
	if st == nil {
		return "none"
	}
	return st.State
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// touches walks main's first-parent line once, newest first, and returns
// for each grant's file the commits that changed it, down to the one that
// added it. The walk stops when every file has reached its addition.
func (r *Repo) touches(ctx context.Context, grants []lifecycle.Grant) (map[string][]touch, error) {
	want := make(map[string]bool, len(grants))
	for _, g := range grants {
		want[g.Path] = true
	}
	open := len(want)
	out := make(map[string][]touch, len(want))
	sha, status := "", ""
	err := r.GitFields(ctx, nil, func(tok string) error {
		switch {
		case strings.HasPrefix(tok, "\x01"):
			sha, status = tok[1:], ""
		case status == "":
			status = strings.TrimLeft(tok, "\n")
		default:
			path := tok
			if want[path] && sha != "" {
				added := strings.HasPrefix(status, "A")
				if h := out[path]; len(h) == 0 || !h[len(h)-1].added {
					out[path] = append(h, touch{sha: sha, added: added})
					if added {
						open--
					}
				}
			}
			status = ""
			if open == 0 {
				return errWalkDone
			}
		}
		return nil
	}, "log", "--first-parent", "--diff-merges=first-parent", "--no-renames", "--format=%x01%H", "-z", "--name-status", "HEAD", "--", RequestsDir+"/")
	if err != nil && !errors.Is(err, errWalkDone) {
		return nil, fmt.Errorf("reading the history of %s/ on main: %w", RequestsDir, err)
	}
	return out, nil
}
