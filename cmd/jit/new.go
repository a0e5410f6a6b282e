package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/schema"
)

// schemaComment is the first line of every request file: it points the YAML
// language server at the schema, from requests/<account>/.
const schemaComment = "yaml-language-server: $schema=../../schema/request.schema.json"

// requestSchemaComment is schemaComment for a repository that carries the
// schemas; a repository written by jit init has none, and its config's first
// line names the released config schema, whose sibling is the request schema.
func requestSchemaComment(repo string) string {
	if _, err := os.Stat(filepath.Join(repo, "schema", "request.schema.json")); err == nil {
		return schemaComment
	}
	b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(configPath)))
	if err != nil {
		return schemaComment
	}
	first, _, _ := strings.Cut(string(b), "\n")
	const prefix = "# yaml-language-server: $schema="
	if url, ok := strings.CutPrefix(strings.TrimSpace(first), prefix); ok && strings.HasPrefix(url, "https://") && strings.HasSuffix(url, "/config.schema.json") {
		return "yaml-language-server: $schema=" + strings.TrimSuffix(url, "config.schema.json") + "request.schema.json"
	}
	return schemaComment
}

// newNewCmd is jit new wired to the process's stdin.
func newNewCmd() *cobra.Command { return newNewCmdWith(stdinIsTerminal) }

// stdinIsTerminal reports whether r is a character device, i.e. a person
// can answer prompts.
func stdinIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newNewCmdWith builds jit new; isTerminal decides whether missing flags
// are asked for on the command's input or reported as an error.
func newNewCmdWith(isTerminal func(io.Reader) bool) *cobra.Command {
	var o newOptions
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Write a new request file",
		Long: `New writes requests/<account>/<name>.yaml from flags, validated against
.github/jit.yaml before it is written. It never overwrites a file.

A standard request needs --account, --permission-set, --duration and
--justification; --emergency asks for break-glass access and --start-at
schedules the access. A custom permission set replaces --permission-set with
--custom NAME, --session-duration and at least one --managed-policy or an
--inline-policy FILE (JSON or YAML). --name defaults to words of the
justification. When flags are missing and stdin is a terminal, jit asks for them.

Exit status: 0 written, 1 the request has errors (nothing written), 2 jit
could not run (missing flags, no configuration, the file exists).`,
		Example: `  jit new --account payments-prod --permission-set ReadOnlyAccess --duration 4h \
    --justification "INC-1234: investigating elevated 5xx rates"
  jit new --account payments-prod --custom S3Read --managed-policy AmazonS3ReadOnlyAccess \
    --session-duration 1h --duration 4h --justification "INC-1234: read the export bucket"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := cmd.InOrStdin()
			p := &prompter{in: bufio.NewReader(in), out: cmd.ErrOrStderr(), enabled: isTerminal(in)}
			return o.run(cmd.Context(), p, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", ".", "top folder of the access repository")
	f.StringVar(&o.account, "account", "", "account name or 12-digit id from .github/jit.yaml")
	f.StringVar(&o.permissionSet, "permission-set", "", "a standard permission set the account offers")
	f.StringVar(&o.duration, "duration", "", "access duration: "+strings.Join(schema.DurationNames(), " "))
	f.StringVar(&o.justification, "justification", "", "why you need the access (at least 10 characters)")
	f.StringVar(&o.name, "name", "", "file name without .yaml (default: from the justification)")
	f.StringVar(&o.custom, "custom", "", "define a custom permission set with this name instead of --permission-set")
	f.StringArrayVar(&o.managedPolicies, "managed-policy", nil, "AWS managed policy name or ARN for --custom (repeatable)")
	f.StringVar(&o.inlinePolicy, "inline-policy", "", "file with an IAM policy document (JSON or YAML) for --custom")
	f.StringVar(&o.sessionDuration, "session-duration", "", "session duration for --custom, 1h..12h")
	f.BoolVar(&o.emergency, "emergency", false, "break-glass access: approved at once for the config's emergency requesters, reviewed after")
	f.StringVar(&o.startAt, "start-at", "", "start the access at this RFC 3339 time (at most 30 days ahead) instead of on merge")
	f.BoolVar(&o.pr, "pr", false, "also open the pull request: branch, commit and pull request through the GitHub API with your token (GITHUB_TOKEN, GH_TOKEN or gh's login)")
	f.StringVar(&o.githubRepo, "github-repo", "", "with --pr: the access repository on GitHub, OWNER/NAME (default: from the origin remote)")
	f.StringVar(&o.githubURL, "github-url", "", "with --pr: GitHub Enterprise API URL, e.g. https://github.example.com/api/v3/ (default: github.com)")
	f.Var(&o.now, "now", "check --start-at against this RFC 3339 time instead of the clock, for a rehearsal")
	return cmd
}

// newOptions are jit new's flags.
type newOptions struct {
	repo            string
	account         string
	permissionSet   string
	duration        string
	justification   string
	name            string
	custom          string
	managedPolicies []string
	inlinePolicy    string
	sessionDuration string
	emergency       bool
	startAt         string
	now             timeFlag
	pr              bool
	githubRepo      string
	githubURL       string
}

func (o *newOptions) run(ctx context.Context, p *prompter, stdout, stderr io.Writer) error {
	if o.custom != "" && o.permissionSet != "" {
		return errors.New("--permission-set and --custom exclude each other: a request uses a standard set or defines one")
	}
	if o.custom == "" && (len(o.managedPolicies) > 0 || o.inlinePolicy != "" || o.sessionDuration != "") {
		return errors.New("--managed-policy, --inline-policy and --session-duration define a custom permission set: add --custom NAME")
	}
	cfg, cfgFindings, err := loadConfig(ctx, worktreeSource{dir: o.repo})
	if err != nil {
		return err
	}
	if schema.HasErrors(cfgFindings) || cfg == nil {
		printFindings(stderr, cfgFindings)
		return fmt.Errorf("%s has errors; fix them first", configPath)
	}

	if missing := o.missing(); len(missing) > 0 {
		if !p.enabled {
			return fmt.Errorf("missing %s (stdin is not a terminal, so jit new cannot ask)", strings.Join(missing, ", "))
		}
		if err := o.ask(p, cfg); err != nil {
			return err
		}
	}

	var policy *yaml.Node
	if o.inlinePolicy != "" {
		policy, err = readPolicyFile(o.inlinePolicy)
		if err != nil {
			return err
		}
	}
	data, err := o.render(policy)
	if err != nil {
		return err
	}

	name, auto := o.name, o.name == ""
	if auto {
		name = slug(o.justification)
	}
	rel := requestsDir + "/" + o.account + "/" + name + ".yaml"
	if _, _, err := change.SplitRequestPath(rel); err != nil {
		return fmt.Errorf("%s %v; choose another --account or --name", rel, err)
	}

	_, findings := schema.ValidateRequest(rel, data, cfg, schema.CheckOptions{Offline: true, Now: o.now.t})
	schema.SortFindings(findings)
	printFindings(stderr, findings)
	if schema.HasErrors(findings) {
		return &exitError{code: 1, err: fmt.Errorf("%s not written: the request has errors", rel)}
	}

	dir := filepath.Join(o.repo, requestsDir, o.account)
	if err := makeRequestDir(o.repo, o.account); err != nil {
		return err
	}
	for i := 2; ; i++ {
		err = writeNewFile(filepath.Join(dir, name+".yaml"), data)
		if errors.Is(err, fs.ErrExist) && o.pr && sameFile(filepath.Join(dir, name+".yaml"), data) {
			// An earlier jit new --pr wrote it and stopped before the pull
			// request: carry on from there.
			err = nil
		}
		if !errors.Is(err, fs.ErrExist) || !auto || i > 99 {
			break
		}
		// A derived name may clash with an older request; the folder is
		// the account's, so a counter keeps names readable.
		name = fmt.Sprintf("%s-%d", slug(o.justification), i)
	}
	rel = requestsDir + "/" + o.account + "/" + name + ".yaml"
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; jit new never overwrites a request: choose another --name", rel)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", rel)
	if o.pr {
		return o.openPR(ctx, rel, data, stdout)
	}
	fmt.Fprintf(stdout, "next: commit it on a new branch and open a pull request that adds only this file\n")
	return nil
}

// missing lists the flags that still need a value.
func (o *newOptions) missing() []string {
	var m []string
	if o.account == "" {
		m = append(m, "--account")
	}
	if o.custom == "" && o.permissionSet == "" {
		m = append(m, "--permission-set (or --custom)")
	}
	if o.custom != "" {
		if o.sessionDuration == "" {
			m = append(m, "--session-duration")
		}
		if len(o.managedPolicies) == 0 && o.inlinePolicy == "" {
			m = append(m, "--managed-policy or --inline-policy")
		}
	}
	if o.duration == "" {
		m = append(m, "--duration")
	}
	if o.justification == "" {
		m = append(m, "--justification")
	}
	return m
}

// customChoice is the permission set choice that defines a custom set.
const customChoice = "custom"

// ask prompts for every missing value, offering the config's choices.
func (o *newOptions) ask(p *prompter, cfg *schema.Config) error {
	var err error
	if o.account == "" {
		var choices []choice
		for _, a := range cfg.Accounts {
			choices = append(choices, choice{value: a.Name, note: a.ID})
		}
		if o.account, err = p.choose("Account", choices); err != nil {
			return err
		}
	}
	acct := findAccount(cfg, o.account)
	if o.custom == "" && o.permissionSet == "" {
		var choices []choice
		if acct != nil {
			for _, ps := range acct.PermissionSets {
				choices = append(choices, choice{value: ps})
			}
		}
		choices = append(choices, choice{value: customChoice, note: "define a permission set for this request"})
		ps, err := p.choose("Permission set", choices)
		if err != nil {
			return err
		}
		if ps != customChoice {
			o.permissionSet = ps
		} else if o.custom, err = p.ask("Custom permission set name (created as JIT-<name>)"); err != nil {
			return err
		}
	}
	if o.custom != "" {
		if o.sessionDuration == "" {
			var choices []choice
			for _, d := range schema.DurationNames() {
				if dur, err := schema.ParseDuration(d); err == nil && dur <= 12*time.Hour {
					choices = append(choices, choice{value: d})
				}
			}
			if o.sessionDuration, err = p.choose("Session duration (how long one sign-in lasts)", choices); err != nil {
				return err
			}
		}
		if len(o.managedPolicies) == 0 && o.inlinePolicy == "" {
			list, err := p.ask("AWS managed policies, separated by commas (empty for none)")
			if err != nil {
				return err
			}
			for _, s := range strings.Split(list, ",") {
				if s = strings.TrimSpace(s); s != "" {
					o.managedPolicies = append(o.managedPolicies, s)
				}
			}
			if len(o.managedPolicies) == 0 {
				if o.inlinePolicy, err = p.ask("Inline policy file (JSON or YAML)"); err != nil {
					return err
				}
			}
		}
	}
	if o.duration == "" {
		var choices []choice
		limit := durationCap(cfg, acct, o.permissionSet)
		for _, d := range schema.DurationNames() {
			if dur, err := schema.ParseDuration(d); err == nil && (limit == 0 || dur <= limit) {
				choices = append(choices, choice{value: d})
			}
		}
		if o.duration, err = p.choose("Access duration", choices); err != nil {
			return err
		}
	}
	if o.justification == "" {
		if o.justification, err = p.ask("Justification (why, e.g. a ticket and what you will do)"); err != nil {
			return err
		}
	}
	return nil
}

func findAccount(cfg *schema.Config, nameOrID string) *schema.Account {
	for i, a := range cfg.Accounts {
		if a.Name == nameOrID || a.ID == nameOrID {
			return &cfg.Accounts[i]
		}
	}
	return nil
}

// durationCap is the smaller of the account's and the set's max_duration,
// 0 when neither caps it; only used to narrow the choices offered.
func durationCap(cfg *schema.Config, acct *schema.Account, set string) time.Duration {
	var caps []time.Duration
	if acct != nil && acct.MaxDuration != "" {
		if d, err := schema.ParseDuration(acct.MaxDuration); err == nil {
			caps = append(caps, d)
		}
	}
	for _, ps := range cfg.PermissionSets {
		if ps.Name == set && ps.MaxDuration != "" {
			if d, err := schema.ParseDuration(ps.MaxDuration); err == nil {
				caps = append(caps, d)
			}
		}
	}
	if len(caps) == 0 {
		return 0
	}
	return slices.Min(caps)
}

// render writes the request as YAML: the schema comment, then the fields in
// the order the design shows them. yaml.v3 quotes every string that would
// otherwise read as another type (an all-digit account id, "yes").
func (o *newOptions) render(policy *yaml.Node) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		root.Content = append(root.Content, str(key), value)
	}
	add("account", str(o.account))
	if o.custom == "" {
		add("permission_set", str(o.permissionSet))
	} else {
		custom := &yaml.Node{Kind: yaml.MappingNode}
		custom.Content = append(custom.Content,
			str("name"), str(o.custom),
			str("session_duration"), str(o.sessionDuration))
		if len(o.managedPolicies) > 0 {
			list := &yaml.Node{Kind: yaml.SequenceNode}
			for _, p := range o.managedPolicies {
				list.Content = append(list.Content, str(p))
			}
			custom.Content = append(custom.Content, str("managed_policies"), list)
		}
		if policy != nil {
			custom.Content = append(custom.Content, str("inline_policy"), policy)
		}
		add("custom_permission_set", custom)
	}
	add("duration", str(o.duration))
	add("justification", str(strings.TrimSpace(o.justification)))
	if o.emergency {
		add("emergency", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if o.startAt != "" {
		add("start_at", str(o.startAt))
	}

	// On the first key, the comment is the file's first line with no blank
	// line after it, as editors expect it.
	root.Content[0].HeadComment = requestSchemaComment(o.repo)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the request as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the request as YAML: %w", err)
	}
	return []byte(b.String()), nil
}

func str(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

// readPolicyFile reads an IAM policy document from JSON or YAML (JSON is
// YAML) and returns it as a block-style mapping for the request file.
func readPolicyFile(file string) (*yaml.Node, error) {
	data, err := readRegularFile(file, maxRequestRead)
	if err != nil {
		return nil, fmt.Errorf("reading --inline-policy: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("--inline-policy %s is not a JSON or YAML document: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("--inline-policy %s must hold one policy object with Version and Statement", file)
	}
	blockStyle(doc.Content[0])
	return doc.Content[0], nil
}

// blockStyle turns JSON's flow collections and quoted strings into plain
// YAML, which reads better in a review; the encoder still quotes any string
// that would otherwise read as another type.
func blockStyle(n *yaml.Node) {
	switch {
	case n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode:
		n.Style &^= yaml.FlowStyle
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !strings.Contains(n.Value, "\n"):
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// slug derives a file name from the first words of the justification,
// whole words only, at most 40 characters.
func slug(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > 40 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return "request"
	}
	return b.String()[:min(b.Len(), 40)]
}

// makeRequestDir creates requests/<account>/ and refuses to go through a
// symbolic link, which could put the file outside the repository.
func makeRequestDir(repo, account string) error {
	dir := repo
	for _, seg := range []string{requestsDir, account} {
		dir = filepath.Join(dir, seg)
		st, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("creating %s: %w", dir, err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is a %s, not a folder", dir, modeName(st.Mode()))
		}
	}
	return nil
}

// writeNewFile writes data to path atomically and never replaces an
// existing file: the data goes to a temporary file in the same folder,
// which is then hard-linked into place (link fails if path exists).
func writeNewFile(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jit-new-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		// Some file systems have no hard links; fall back to a rename
		// after checking, which only races with another writer.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("moving the request into place at %s: %w", path, err)
		}
	}
	return nil
}

// printFindings writes findings one per line, as jit validate's text format.
func printFindings(w io.Writer, findings []schema.Finding) {
	for _, f := range findings {
		fmt.Fprintln(w, findingLine(f))
	}
}

// choice is one option offered by a prompt.
type choice struct {
	value string
	note  string
}

// prompter asks questions on a terminal. enabled is false when the input is
// not a terminal: then jit new reports missing flags instead of asking.
type prompter struct {
	in      *bufio.Reader
	out     io.Writer
	enabled bool
}

// ask reads one non-empty answer.
func (p *prompter) ask(question string) (string, error) {
	for {
		fmt.Fprintf(p.out, "%s: ", question)
		line, err := p.in.ReadString('\n')
		if answer := strings.TrimSpace(line); answer != "" {
			return answer, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("no answer for %q: input ended", question)
			}
			return "", fmt.Errorf("reading the answer for %q: %w", question, err)
		}
	}
}

// choose offers numbered choices and accepts a number or a value.
func (p *prompter) choose(question string, choices []choice) (string, error) {
	if len(choices) == 0 {
		return p.ask(question)
	}
	fmt.Fprintf(p.out, "%s:\n", question)
	for i, c := range choices {
		if c.note != "" {
			fmt.Fprintf(p.out, "  %d) %s (%s)\n", i+1, c.value, c.note)
		} else {
			fmt.Fprintf(p.out, "  %d) %s\n", i+1, c.value)
		}
	}
	for {
		answer, err := p.ask("Choose 1-" + strconv.Itoa(len(choices)))
		if err != nil {
			return "", err
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(choices) {
			return choices[n-1].value, nil
		}
		for _, c := range choices {
			if c.value == answer || (c.note != "" && c.note == answer) {
				return c.value, nil
			}
		}
		fmt.Fprintf(p.out, "%q is not one of the choices\n", answer)
	}
}
