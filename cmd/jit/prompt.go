package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/jit-access/jit/schema"
	"github.com/spf13/cobra"
)

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

// promptsOf asks on cmd's input, when isTerminal says it is a terminal,
// with the questions on its standard error.
func promptsOf(cmd *cobra.Command, isTerminal func(io.Reader) bool) *prompter {
	in := cmd.InOrStdin()
	return &prompter{in: bufio.NewReader(in), out: cmd.ErrOrStderr(), enabled: isTerminal(in)}
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
