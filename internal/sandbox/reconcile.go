package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/ledger"
)

// Dummy AWS credentials: the emulator wants a SigV4-signed request, the way
// the real service does, but never checks the key.
const (
	DummyAccessKeyID     = "AKIDSANDBOX"
	DummySecretAccessKey = "sandbox-secret-not-a-real-key"
)

// Clone makes a fresh working clone of the access repository, as the
// Action's checkout does, under the World's directory.
func (w *World) Clone(ctx context.Context) (string, error) {
	w.clones++
	dir := filepath.Join(w.dir, fmt.Sprintf("checkout-%d", w.clones))
	if err := w.CloneTo(ctx, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// CloneTo clones the access repository into dir, which must not exist
// yet: jit sandbox --keep leaves one to inspect.
func (w *World) CloneTo(ctx context.Context, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "clone", "--quiet", w.GitHub.RepoDir(Org, RepoName), dir)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cloning the access repository: %v: %s", err, out)
	}
	return nil
}

// MainFile returns a file as it is on main in the emulated GitHub.
func (w *World) MainFile(ctx context.Context, path string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", w.GitHub.RepoDir(Org, RepoName), "show", "main:"+path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("reading %s on main: %v: %s", path, err, out)
	}
	return string(out), nil
}

// IdentityCenter returns the AWS adapter pointed at the emulator, with the
// limits of the real service.
func (w *World) IdentityCenter() *identitycenter.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(DummyAccessKeyID, DummySecretAccessKey, "")}
	return identitycenter.NewFromConfig(cfg, identitycenter.Options{
		Region:          "us-east-1",
		InstanceARN:     w.IDC.InstanceARN(),
		IdentityStoreID: w.IDC.IdentityStoreID(),
		Endpoint:        w.IDCURL,
		PollInterval:    w.pollInterval,
		Clock:           w.Clock,
		Logger:          w.Log,
	})
}

// Reconcile runs `jit reconcile` once, as the scheduled Action does: a fresh
// clone, the App's installation credentials for the approval re-check, and
// the Identity Center emulator.
func (w *World) Reconcile(ctx context.Context, lookahead time.Duration) (action.Report, error) {
	dir, err := w.Clone(ctx)
	if err != nil {
		return action.Report{}, err
	}
	repo, err := ledger.Open(dir, ledger.Options{Logger: w.Log, Clock: w.Clock, SigningKey: w.SigningKey})
	if err != nil {
		return action.Report{}, err
	}
	c, err := w.Client()
	if err != nil {
		return action.Report{}, err
	}
	r, err := action.New(action.Options{
		Ledger:         repo,
		IdentityCenter: w.IdentityCenter(),
		GitHub:         ghrepo.New(c, ghrepo.Repo{Owner: Org, Name: RepoName}),
		Bot:            w.GitHub.BotLogin(),
		AppID:          AppID,
		Clock:          w.Clock,
		Logger:         w.Log,
	})
	if err != nil {
		return action.Report{}, err
	}
	rep, err := r.Run(ctx, action.RunOptions{Lookahead: lookahead})
	// The run pushed to the bare repository behind the emulator's back:
	// tell it, so that the App hears of the push as from GitHub.
	w.GitHub.NotePush(Org, RepoName)
	return rep, err
}
