package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/sandbox"
)

// Issue 18's reconcile figures against the real binary: `jit reconcile`
// child processes, each in its own clone as the Action's checkout is,
// against the sandbox's GitHub emulator (its git origin, the App's
// credentials for the approval re-check) and Identity Center emulator.

const reconcilePrefix = "jit reconcile (child processes): "

// dueWorld is a grant world where one reconcile has work of both kinds:
// acts merged, approved requests to activate and exps active grants past
// their end, each on its own (user, account) tuple.
type dueWorld struct {
	*grantWorld
	activate, expire []string // request paths
}

func newDueWorld(ctx context.Context, e *env, name string, acts, exps int) (*dueWorld, error) {
	users, accounts := 10, (acts+exps+9)/10
	g, err := newGrantWorld(ctx, e, name, users, accounts)
	if err != nil {
		return nil, err
	}
	d := &dueWorld{grantWorld: g}
	ended := g.Clock.Now().Add(-time.Minute)
	if err := g.seedActive(exps, func(int) time.Time { return ended }); err != nil {
		g.Close()
		return nil, err
	}
	for i := range exps {
		d.expire = append(d.expire, fmt.Sprintf("requests/%s/%s.yaml", g.accounts[i/users], g.users[i%users]))
	}
	for i := exps; i < exps+acts; i++ {
		u, a := g.users[i%users], g.accounts[i/users]
		path := fmt.Sprintf("requests/%s/%s.yaml", a, u)
		pr, err := g.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, u, "req-"+a+"-"+u, "Request "+path,
			map[string][]byte{path: []byte(standardRequest(a, "ReadOnlyAccess", "4h", i))})
		if err == nil {
			_, err = g.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "bob", "APPROVED", "ok")
		}
		if err == nil {
			_, err = g.GitHub.Merge(sandbox.Org, sandbox.RepoName, pr, "bob")
		}
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("merging %s: %w", path, err)
		}
		d.activate = append(d.activate, path)
	}
	return d, nil
}

// child is one `jit reconcile` process.
type child struct {
	cmd  *exec.Cmd
	out  bytes.Buffer // stdout and stderr
	done chan error
}

// startReconcile clones main and starts `jit reconcile` on the clone,
// configured through its flags and environment as the README's workflow
// configures it, at the world's instant (--now).
func (d *dueWorld) startReconcile(ctx context.Context, name string, leaseTTL time.Duration) (*child, error) {
	bin, err := d.e.jitBinary(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := d.e.dir(name)
	if err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "git", "clone", "--quiet", d.GitHub.RepoDir(sandbox.Org, sandbox.RepoName), dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("git clone: %w\n%s", err, out)
	}
	c := &child{done: make(chan error, 1)}
	c.cmd = exec.Command(bin, "reconcile", "--repo", dir, "--now", d.Clock.Now().UTC().Format(time.RFC3339Nano),
		"--format", "text", "--github-url", d.GitHubURL, "--github-repo", sandbox.Org+"/"+sandbox.RepoName,
		"--app-id", strconv.Itoa(sandbox.AppID), "--aws-endpoint", d.IDCURL, "--signing-key-file", d.SigningKey,
		"--lease-ttl", leaseTTL.String())
	c.cmd.Env = append(os.Environ(), "JIT_PRIVATE_KEY="+string(d.PrivateKeyPEM), "JIT_PRIVATE_KEY_FILE=",
		"JIT_SIGNING_KEY=", "GITHUB_TOKEN=", "GITHUB_ACTIONS=", "JIT_SLACK_WEBHOOK_URL=",
		"AWS_ACCESS_KEY_ID="+sandbox.DummyAccessKeyID, "AWS_SECRET_ACCESS_KEY="+sandbox.DummySecretAccessKey,
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true")
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s reconcile: %w", bin, err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	return c, nil
}

// wait waits for the child's end; a failed run is the row's error.
func (c *child) wait(limit time.Duration) error {
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("jit reconcile: %w\n%s", err, c.out.String())
		}
		return nil
	case <-time.After(limit):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("jit reconcile did not end within %s\n%s", limit, c.out.String())
	}
}

// history is, per request path, the state each commit on main left it in,
// oldest first ("deleted" when a commit removed it), and the count of
// commits on main.
func (d *dueWorld) history(ctx context.Context) (map[string][]string, int, error) {
	repo := d.GitHub.RepoDir(sandbox.Org, sandbox.RepoName)
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "log", "--reverse", "--format=>%H", "--name-only", "main", "--", "requests/").Output()
	if err != nil {
		return nil, 0, fmt.Errorf("git log: %w", err)
	}
	var keys, paths []string
	var sha string
	for line := range strings.SplitSeq(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, ">"); ok {
			sha = s
		} else if strings.HasSuffix(line, ".yaml") {
			keys, paths = append(keys, sha+":"+line), append(paths, line)
		}
	}
	cat := exec.CommandContext(ctx, "git", "-C", repo, "cat-file", "--batch")
	cat.Stdin = strings.NewReader(strings.Join(keys, "\n") + "\n")
	blobs, err := cat.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("git cat-file: %w", err)
	}
	states := map[string][]string{}
	r := bufio.NewReader(bytes.NewReader(blobs))
	for _, p := range paths {
		head, err := r.ReadString('\n')
		if err != nil {
			return nil, 0, fmt.Errorf("reading git cat-file's answer: %w", err)
		}
		f := strings.Fields(head)
		if len(f) != 3 {
			states[p] = append(states[p], "deleted")
			continue
		}
		size, _ := strconv.Atoi(f[2])
		body := make([]byte, size+1)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, 0, err
		}
		var req struct {
			Status struct{ State string } `yaml:"status"`
		}
		if err := yaml.Unmarshal(body, &req); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", p, err)
		}
		states[p] = append(states[p], orDefault(req.Status.State, "requested"))
	}
	n, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-list", "--count", "main").Output()
	if err != nil {
		return nil, 0, fmt.Errorf("git rev-list: %w", err)
	}
	commits, _ := strconv.Atoi(strings.TrimSpace(string(n)))
	return states, commits, nil
}

func orDefault(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// settled checks every grant's end: the activated ones active with one
// assignment each, the expired ones expired without one; it returns what
// is wrong.
func (d *dueWorld) settled(states map[string][]string) []string {
	var wrong []string
	check := func(paths []string, want string) {
		for _, p := range paths {
			s := states[p]
			if len(s) == 0 || s[len(s)-1] != want {
				wrong = append(wrong, fmt.Sprintf("%s: %v, want %s", p, s, want))
			}
		}
	}
	check(d.activate, "active")
	check(d.expire, "expired")
	if n, want := len(d.IDC.Assignments()), len(d.activate); n != want {
		wrong = append(wrong, fmt.Sprintf("%d assignments in Identity Center, want %d (one per active grant)", n, want))
	}
	return wrong
}

func dueSizes(e *env) (int, int) {
	if e.quick {
		return 4, 4
	}
	return 20, 20
}

// reliabilityTwoReconciles starts two `jit reconcile` processes together
// and compares main's history with what one process writes in the same
// world.
func reliabilityTwoReconciles(ctx context.Context, e *env) (row, error) {
	acts, exps := dueSizes(e)
	var want, got map[string][]string
	var wantCommits, gotCommits, assignments, waited int
	var wrong []string
	var took time.Duration
	for _, runs := range []int{1, 2} {
		d, err := newDueWorld(ctx, e, fmt.Sprintf("together-%d", runs), acts, exps)
		if err != nil {
			return row{}, err
		}
		defer d.Close()
		start := time.Now()
		var children []*child
		for i := range runs {
			c, err := d.startReconcile(ctx, fmt.Sprintf("clone-%d", i), time.Minute)
			if err != nil {
				return row{}, err
			}
			children = append(children, c)
		}
		for _, c := range children {
			if err := c.wait(5 * time.Minute); err != nil {
				return row{}, err
			}
			if runs == 2 && strings.Contains(c.out.String(), "waiting for the reconcile lease") {
				waited++
			}
		}
		took = time.Since(start)
		states, commits, err := d.history(ctx)
		if err != nil {
			return row{}, err
		}
		wrong = append(wrong, d.settled(states)...)
		if runs == 1 {
			want, wantCommits = states, commits
		} else {
			got, gotCommits, assignments = states, commits, len(d.IDC.Assignments())
		}
	}
	transitions := 0
	for p, s := range want {
		transitions += len(s) - 1
		if !slices.Equal(s, got[p]) {
			wrong = append(wrong, fmt.Sprintf("%s: %v with two runs, %v with one", p, got[p], s))
		}
	}
	return row{
		Benchmark: reconcilePrefix + "two jit reconcile processes started together",
		Size:      fmt.Sprintf("%d merged requests to activate, %d grants past their end; default lease (1 min TTL, 2 min wait)", acts, exps),
		Result: fmt.Sprintf("%d of %d grants with the same transitions as one run (%d transitions, %d commits on main against %d), %d assignments; both ended in %.1f s, %d of them having waited for the other's lease",
			acts+exps-len(wrong), acts+exps, transitions, gotCommits, wantCommits, assignments, took.Seconds(), waited),
		Target: "history equal to one run's, one assignment per active grant",
		Met:    met(len(wrong) == 0 && gotCommits == wantCommits),
		Note:   "per-grant states per commit on main compared with a single run in an identical world; differences: " + orNone(wrong),
	}, nil
}

// reliabilityKilledReconcile kills a `jit reconcile` process with SIGKILL
// as soon as it has asked Identity Center for an assignment, then runs it
// again, and measures when every grant is in its right state.
func reliabilityKilledReconcile(ctx context.Context, e *env) (row, error) {
	acts, exps := dueSizes(e)
	ttl := time.Minute
	if e.quick {
		ttl = 3 * time.Second
	}
	d, err := newDueWorld(ctx, e, "killed", acts, exps)
	if err != nil {
		return row{}, err
	}
	defer d.Close()
	changes := func() int {
		return d.IDC.Calls()["CreateAccountAssignment"]
	}
	base := changes()
	first, err := d.startReconcile(ctx, "first", ttl)
	if err != nil {
		return row{}, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for changes() == base {
		select {
		case err := <-first.done:
			return row{}, fmt.Errorf("the run ended (%v) before any change to Identity Center: nothing to kill\n%s", err, first.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = first.cmd.Process.Kill()
			<-first.done
			return row{}, fmt.Errorf("no change to Identity Center within 2 min\n%s", first.out.String())
		}
	}
	_ = first.cmd.Process.Kill()
	<-first.done
	killed := time.Now()
	atKill := changes() - base
	second, err := d.startReconcile(ctx, "second", ttl)
	if err != nil {
		return row{}, err
	}
	if err := second.wait(5 * time.Minute); err != nil {
		return row{}, err
	}
	took := time.Since(killed)
	states, _, err := d.history(ctx)
	if err != nil {
		return row{}, err
	}
	wrong := d.settled(states)
	resumed := strings.Count(second.out.String(), "resuming an interrupted")
	return row{
		Benchmark: reconcilePrefix + "a killed jit reconcile, resumed",
		Size: fmt.Sprintf("%d merged requests to activate, %d grants past their end; SIGKILL once Identity Center saw the run's first CreateAccountAssignment; --lease-ttl %s",
			acts, exps, ttl),
		Result: fmt.Sprintf("%d of %d grants in their right state %.1f s after the kill (%d assignments asked before it, %d interrupted activations resumed)",
			acts+exps-len(wrong), acts+exps, took.Seconds(), atKill, resumed),
		Target: "all, within the lease TTL plus one run",
		Met:    met(len(wrong) == 0),
		Note:   "the second run waits for the dead run's lease to run out, then resumes its intents; wrong: " + orNone(wrong),
	}, nil
}
