package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jit-access/jit/schema"
	"github.com/sethvargo/go-githubactions"
)

// How jit validate writes findings: text, JSON, or GitHub annotations
// with a job summary.

// report writes findings in the chosen format.
func (v *validator) report(w io.Writer, findings []schema.Finding, files int) error {
	switch v.format {
	case formatJSON:
		return writeJSONFindings(w, findings)
	case formatGitHub:
		return writeGitHubFindings(w, v.getenv, findings, files)
	}
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, findingLine(f)); err != nil {
			return fmt.Errorf("writing findings: %w", err)
		}
	}
	return nil
}

// findingLine is Finding.String, shortened for findings about a whole file
// (no line) or about the whole change (no path).
func findingLine(f schema.Finding) string {
	if f.Line > 0 {
		return f.String()
	}
	s := fmt.Sprintf("%s: %s", f.Severity, f.Message)
	if f.Path != "" {
		s = f.Path + ": " + s
	}
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// jsonFinding is a finding's JSON shape, stable for tools.
type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

func writeJSONFindings(w io.Writer, findings []schema.Finding) error {
	out := make([]jsonFinding, 0, len(findings))
	for _, f := range findings {
		out = append(out, jsonFinding{f.Path, f.Line, f.Col, string(f.Severity), f.Message, f.Fix})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

// writeGitHubFindings writes workflow annotations and, when the runner gives
// a summary file, a job summary. go-githubactions panics when it cannot
// write; that becomes an error here.
func writeGitHubFindings(w io.Writer, getenv func(string) string, findings []schema.Finding, files int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub annotations: %v", r)
		}
	}()
	action := githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(getenv))
	for _, f := range findings {
		fields := map[string]string{"title": "jit " + string(f.Severity)}
		if f.Path != "" {
			fields["file"] = f.Path
		}
		if f.Line > 0 {
			fields["line"] = strconv.Itoa(f.Line)
			fields["col"] = strconv.Itoa(f.Col)
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		a := action.WithFieldsMap(fields)
		switch f.Severity {
		case schema.SeverityError:
			a.Errorf("%s", msg)
		case schema.SeverityWarning:
			a.Warningf("%s", msg)
		default:
			a.Noticef("%s", msg)
		}
	}
	if getenv("GITHUB_STEP_SUMMARY") != "" {
		action.AddStepSummary(strings.TrimSuffix(markdownSummary(findings, files), "\n"))
	}
	return nil
}

// markdownSummary is the job summary: the counts, then a table of findings.
func markdownSummary(findings []schema.Finding, files int) string {
	var b strings.Builder
	b.WriteString("### jit validate\n\n")
	b.WriteString(summaryLine(findings, files) + "\n")
	if len(findings) == 0 {
		return b.String()
	}
	b.WriteString("\n| | File | Line | Message | Fix |\n| --- | --- | --- | --- | --- |\n")
	icon := map[schema.Severity]string{schema.SeverityError: "❌ error", schema.SeverityWarning: "⚠️ warning"}
	for _, f := range findings {
		sev, ok := icon[f.Severity]
		if !ok {
			sev = "💡 " + string(f.Severity)
		}
		line := ""
		if f.Line > 0 {
			line = fmt.Sprintf("%d:%d", f.Line, f.Col)
		}
		file := ""
		if f.Path != "" {
			file = "`" + strings.ReplaceAll(f.Path, "`", "'") + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", sev, mdCell(file), line, mdCell(f.Message), mdCell(f.Fix))
	}
	return b.String()
}

// mdCell keeps a value inside one markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// summaryLine counts files and findings by severity.
func summaryLine(findings []schema.Finding, files int) string {
	counts := map[schema.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
	}
	parts := []string{
		plural(counts[schema.SeverityError], "error"),
		plural(counts[schema.SeverityWarning], "warning"),
	}
	if n := counts[schema.SeveritySuggestion]; n > 0 {
		parts = append(parts, plural(n, "suggestion"))
	}
	return fmt.Sprintf("jit validate: %s checked, %s", plural(files, "request file"), strings.Join(parts, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
