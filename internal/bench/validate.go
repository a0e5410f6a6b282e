package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	jit "github.com/jit-access/jit"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// ajvPackages are what `npm install` brings for the comparison: the CLI
// people reach for and the formats plugin the schema's date-times need.
var ajvPackages = []string{"ajv-cli", "ajv-formats"}

// benchValidate runs `jit validate` and ajv-cli over the same generated
// request files, each in one invocation, and compares the cost per file
// including start-up.
func benchValidate(ctx context.Context, e *env) ([]row, error) {
	n := 10000
	if e.quick {
		n = 200
	}
	repo, err := e.dir("validate")
	if err != nil {
		return nil, err
	}
	mix, one, err := writeRequestRepo(repo, n)
	if err != nil {
		return nil, err
	}
	bin, err := e.jitBinary(ctx)
	if err != nil {
		return nil, err
	}
	size := fmt.Sprintf("%d files (%s)", n, mix)

	// The machine may be shared: each tool runs several times, interleaved
	// with the other, and the best wall time of each is compared.
	rounds := 3
	if e.quick {
		rounds = 1
	}
	jitAll := func() (result, error) {
		r, err := measure(ctx, repo, false, bin, "validate", "--repo", repo, "--format", "text")
		if err == nil && (r.ExitCode != 0 || !bytes.Contains(r.Stderr, fmt.Appendf(nil, "%d request files checked, 0 errors", n))) {
			err = fmt.Errorf("jit validate on the generated files exited %d: %s", r.ExitCode, firstLines(r.Stderr, 5))
		}
		return r, err
	}
	jitOne := func() (result, error) {
		r, err := measure(ctx, repo, false, bin, "validate", "--repo", repo, one)
		if err == nil && r.ExitCode != 0 {
			err = fmt.Errorf("jit validate %s exited %d: %s", one, r.ExitCode, firstLines(r.Stderr, 5))
		}
		return r, err
	}
	var ajvAll, ajvOne func() (result, error)
	ajv, why := e.ajv(ctx)
	if ajv != "" {
		schemaPath := filepath.Join(repo, "schema", "request.schema.json")
		ajvArgs := func(data string) []string {
			return []string{"validate", "--spec=draft2020", "--strict=false", "-c", "ajv-formats", "-s", schemaPath, "-d", data}
		}
		ajvAll = func() (result, error) {
			r, err := measure(ctx, repo, true, ajv, ajvArgs("requests/*/*.yaml")...)
			if err == nil && r.ExitCode != 0 {
				err = fmt.Errorf("ajv-cli on the generated files exited %d: %s", r.ExitCode, firstLines(r.Stderr, 5))
			}
			if got := bytes.Count(r.Stdout, []byte(" valid\n")); err == nil && got != n {
				err = fmt.Errorf("ajv-cli reported %d valid files of %d", got, n)
			}
			r.Stdout = nil
			return r, err
		}
		ajvOne = func() (result, error) {
			r, err := measure(ctx, repo, false, ajv, ajvArgs(one)...)
			if err == nil && r.ExitCode != 0 {
				err = fmt.Errorf("ajv-cli %s exited %d: %s", one, r.ExitCode, firstLines(r.Stderr, 5))
			}
			return r, err
		}
	}
	var jr, j1, ar, a1 result
	for range rounds {
		for _, m := range []struct {
			f   func() (result, error)
			out *result
		}{{jitAll, &jr}, {ajvAll, &ar}, {jitOne, &j1}, {ajvOne, &a1}} {
			if m.f == nil {
				continue
			}
			r, err := m.f()
			if err != nil {
				return nil, err
			}
			*m.out = best(*m.out, r)
		}
	}

	load := loadAverage()
	rows := []row{{
		Benchmark: "validate: jit validate",
		Size:      size,
		Result: fmt.Sprintf("%.0f files/s (%s per file incl. start-up, %s wall, %s CPU), peak RSS %s",
			float64(n)/jr.Wall.Seconds(), micro(jr.Wall/time.Duration(n)), secs(jr.Wall), secs(jr.CPU), mib(jr.MaxRSS)),
		Note: fmt.Sprintf("schema, config rules (accounts, sets, caps), inline policy lint and CODEOWNERS coverage; one process; best of %d", rounds),
	}, {
		Benchmark: "validate: jit validate, one file",
		Size:      "1 file",
		Result:    fmt.Sprintf("%s wall, %s CPU, peak RSS %s", ms(j1.Wall), ms(j1.CPU), mib(j1.MaxRSS)),
		Note:      "what one pull request check costs",
	}}
	if ajv == "" {
		return append(rows, row{
			Benchmark: "validate: ajv-cli",
			Size:      size,
			Result:    "not run: " + why,
			Target:    "jit per file ≤ ajv-cli per file",
			Note:      "the comparison needs npm and the npm registry",
		}), nil
	}
	ratio := jr.Wall.Seconds() / ar.Wall.Seconds()
	return append(rows, row{
		Benchmark: "validate: ajv-cli",
		Size:      size,
		Result: fmt.Sprintf("%.0f files/s (%s per file incl. start-up, %s wall, %s CPU), peak RSS %s",
			float64(n)/ar.Wall.Seconds(), micro(ar.Wall/time.Duration(n)), secs(ar.Wall), secs(ar.CPU), mib(ar.MaxRSS)),
		Note: fmt.Sprintf("schema only (ajv %s, --spec=draft2020 --strict=false -c ajv-formats, YAML read by ajv-cli); one process, one glob; best of %d", e.ajvVersion, rounds),
	}, row{
		Benchmark: "validate: ajv-cli, one file",
		Size:      "1 file",
		Result:    fmt.Sprintf("%s wall, %s CPU, peak RSS %s", ms(a1.Wall), ms(a1.CPU), mib(a1.MaxRSS)),
		Note:      "node start-up and schema compilation",
	}, row{
		Benchmark: "validate: jit / ajv-cli",
		Size:      size,
		Result: fmt.Sprintf("%.2fx the wall time per file (CPU %.2fx; one file %.2fx); %.2fx the peak memory",
			ratio, jr.CPU.Seconds()/ar.CPU.Seconds(), j1.Wall.Seconds()/a1.Wall.Seconds(), float64(jr.MaxRSS)/float64(max(1, ar.MaxRSS))),
		Target: "≤ 1.00x per file incl. start-up",
		Met:    met(ratio <= 1 && j1.Wall <= a1.Wall),
		Note:   "same run, same files; below 1 means jit is faster; load average " + load,
	}), nil
}

// best keeps the faster run's times and the larger peak memory.
func best(a, b result) result {
	if a.Wall == 0 {
		return b
	}
	out := a
	if b.Wall < a.Wall {
		out = b
	}
	out.MaxRSS = max(a.MaxRSS, b.MaxRSS)
	return out
}

// loadAverage is the 1-minute load average, for the notes: other work on
// the machine slows wall times.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func micro(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1000)
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

// ajv returns the ajv binary, installing it with npm into the user's cache
// folder when it is not there yet, or "" and why it cannot be used.
func (e *env) ajv(ctx context.Context) (string, string) {
	if e.ajvMode == ajvOff {
		return "", "-ajv=off"
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "jit-bench", "ajv")
	bin := filepath.Join(dir, "node_modules", ".bin", "ajv")
	if _, err := os.Stat(bin); err != nil {
		if e.ajvMode == ajvCached {
			return "", "ajv-cli is not installed in " + dir + " and -ajv=cached does not install it"
		}
		if _, err := exec.LookPath("npm"); err != nil {
			return "", "npm is not installed"
		}
		if _, err := exec.LookPath("node"); err != nil {
			return "", "node is not installed"
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err.Error()
		}
		e.log.Info("installing ajv-cli with npm", "dir", dir)
		args := append([]string{"install", "--no-audit", "--no-fund", "--prefix", dir}, ajvPackages...)
		cmd := exec.CommandContext(ctx, "npm", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Sprintf("npm install %s failed: %v: %s", strings.Join(ajvPackages, " "), err, firstLines(out, 3))
		}
		if _, err := os.Stat(bin); err != nil {
			return "", "npm install did not provide node_modules/.bin/ajv"
		}
	}
	e.ajvVersion = packageVersion(filepath.Join(dir, "node_modules", "ajv", "package.json")) +
		", ajv-cli " + packageVersion(filepath.Join(dir, "node_modules", "ajv-cli", "package.json"))
	return bin, ""
}

// packageVersion reads "version" from a package.json without a JSON
// dependency on its layout beyond that key.
func packageVersion(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	_, rest, ok := bytes.Cut(data, []byte(`"version"`))
	if !ok {
		return "?"
	}
	_, rest, ok = bytes.Cut(rest, []byte(`"`))
	if !ok {
		return "?"
	}
	v, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(v)
}

// writeRequestRepo writes an access repository from jit's template with n
// valid request files spread over the template's accounts: standard sets
// within each account's and set's caps, and custom sets with managed
// policies, inline policies as YAML and as a JSON string. It returns the mix
// for the table and the first file's path, relative to dir.
func writeRequestRepo(dir string, n int) (mix, first string, err error) {
	err = os.CopyFS(dir, jit.Template)
	if err != nil {
		return "", "", fmt.Errorf("writing the template: %w", err)
	}
	cfgData, err := fs.ReadFile(jit.Template, layout.ConfigPath)
	if err != nil {
		return "", "", err
	}
	cfg, findings := schema.ParseConfig(layout.ConfigPath, cfgData)
	if cfg == nil || schema.HasErrors(findings) {
		return "", "", errors.New("the template's .github/jit.yaml does not parse; fix it first")
	}
	var standard, inlineYAML, inlineJSON, managed int
	for i := range n {
		acct := cfg.Accounts[i%len(cfg.Accounts)]
		var body string
		switch i % 5 {
		case 0, 1, 2:
			set := acct.PermissionSets[(i/len(cfg.Accounts))%len(acct.PermissionSets)]
			body = standardRequest(acct.Name, set, pickDuration(cfg.MaxDuration(acct.Name, set), i), i)
			standard++
		case 3:
			body = customYAMLRequest(acct, pickDuration(cfg.MaxDuration(acct.Name, ""), i), i)
			inlineYAML++
		default:
			if i%2 == 0 {
				body = customJSONRequest(acct, pickDuration(cfg.MaxDuration(acct.Name, ""), i), i)
				inlineJSON++
			} else {
				body = managedRequest(acct.Name, pickDuration(cfg.MaxDuration(acct.Name, ""), i), i)
				managed++
			}
		}
		path := filepath.Join(dir, layout.RequestsDir, acct.Name, fmt.Sprintf("r%05d.yaml", i))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return "", "", err
		}
	}
	return fmt.Sprintf("%d accounts; %d standard, %d custom with a YAML inline policy, %d with a JSON-string inline policy, %d managed-only",
		len(cfg.Accounts), standard, inlineYAML, inlineJSON, managed), filepath.Join(layout.RequestsDir, cfg.Accounts[0].Name, "r00000.yaml"), nil
}

// pickDuration cycles through the durations allowed under limit.
func pickDuration(limit time.Duration, i int) string {
	var ok []string
	for _, name := range schema.DurationNames() {
		d, err := schema.ParseDuration(name)
		if err == nil && (limit == 0 || d <= limit) {
			ok = append(ok, name)
		}
	}
	return ok[i%len(ok)]
}

const header = "# yaml-language-server: $schema=../../schema/request.schema.json\n"

func standardRequest(account, set, duration string, i int) string {
	return fmt.Sprintf(`%saccount: %s
permission_set: %s
duration: %s
justification: "INC-%d: investigating elevated 5xx rates in the payment API"
`, header, account, set, duration, 1000+i)
}

// policyActions are real IAM actions, as requests would name them.
var policyActions = [][]string{
	{"s3:GetObject", "s3:ListBucket"},
	{"logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"},
	{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"},
	{"sqs:ReceiveMessage", "sqs:GetQueueAttributes"},
	{"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"},
	{"lambda:InvokeFunction", "lambda:GetFunction"},
}

func policyResources(actions []string, accountID string, i int) []string {
	switch strings.SplitN(actions[0], ":", 2)[0] {
	case "s3":
		return []string{fmt.Sprintf("arn:aws:s3:::acme-bucket-%d", i), fmt.Sprintf("arn:aws:s3:::acme-bucket-%d/*", i)}
	case "logs":
		return []string{fmt.Sprintf("arn:aws:logs:us-east-1:%s:log-group:/app/service-%d:*", accountID, i)}
	case "dynamodb":
		return []string{fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/orders-%d", accountID, i)}
	case "sqs":
		return []string{fmt.Sprintf("arn:aws:sqs:us-east-1:%s:queue-%d", accountID, i)}
	case "lambda":
		return []string{fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:fn-%d", accountID, i)}
	}
	return []string{"*"}
}

func customYAMLRequest(acct schema.Account, duration string, i int) string {
	actions := policyActions[i%len(policyActions)]
	var res strings.Builder
	for _, r := range policyResources(actions, acct.ID, i) {
		fmt.Fprintf(&res, "          - %q\n", r)
	}
	return fmt.Sprintf(`%saccount: %s
custom_permission_set:
  name: Custom%d
  session_duration: %s
  managed_policies: [CloudWatchLogsReadOnlyAccess]
  inline_policy:
    Version: "2012-10-17"
    Statement:
      - Sid: Read%d
        Effect: Allow
        Action: [%s]
        Resource:
%sduration: %s
justification: "DATA-%d: verify last night's export files before they go to the auditors"
`, header, acct.Name, i, sessionDuration(duration, i), i, strings.Join(actions, ", "), res.String(), duration, i)
}

func customJSONRequest(acct schema.Account, duration string, i int) string {
	actions := policyActions[(i/2)%len(policyActions)]
	return fmt.Sprintf(`%saccount: %s
custom_permission_set:
  name: Json%d
  session_duration: %s
  inline_policy: |
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["%s"],
          "Resource": ["%s"]
        }
      ]
    }
duration: %s
justification: "INC-%d: read the service logs around the 03:10 UTC outage"
`, header, acct.Name, i, sessionDuration(duration, i), strings.Join(actions, `", "`), strings.Join(policyResources(actions, acct.ID, i), `", "`), duration, i)
}

// sessionDuration picks a session length of 1h..12h that is not longer
// than the access duration, as jit requires.
func sessionDuration(access string, i int) string {
	d, err := schema.ParseDuration(access)
	hours := 1
	if err == nil {
		hours = max(1, min(12, int(d/time.Hour)))
	}
	return fmt.Sprintf("%dh", 1+i%hours)
}

func managedRequest(account, duration string, i int) string {
	return fmt.Sprintf(`%saccount: %s
custom_permission_set:
  name: Managed%d
  session_duration: 1h
  managed_policies: [AmazonS3ReadOnlyAccess, arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess]
duration: %s
justification: "OPS-%d: audit bucket policies for the quarterly review"
`, header, account, i, duration, i)
}
