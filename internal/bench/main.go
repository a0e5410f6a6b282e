// Command bench measures jit as a large organisation would use it and
// prints one markdown table: request validation against ajv-cli, the App
// under a burst of webhooks, the reconcile under Identity Center's limits,
// the expiry lag of the lookahead, the audit export, and the real `jit
// serve` binary when GitHub fails, floods and oversized bodies come
// (reliability).
//
//	go run ./internal/bench                      # everything at full size
//	go run ./internal/bench -only validate,audit # some rows (see -h for the names)
//	go run ./internal/bench -quick               # small sizes, a smoke test
//	go run ./internal/bench -ajv=off             # no npm: skip the ajv-cli comparison
//
// ajv-cli and ajv-formats are installed with npm into the user's cache
// folder (jit-bench/ajv) the first time; -ajv=cached uses them only when
// already there, so that nothing is downloaded (the test uses it).
//
// The audit's histories at full size (signed as jit signs, 100,000 grants
// take minutes to write) are generated once and kept in
// $TMPDIR/jit-bench-cache; delete that folder to generate them again.
//
// The real jit binary is built once into a temporary folder and run as a
// child process where the issue asks for the CLI (validate, audit) and for
// the App's reliability (jit serve), so that start-up, file reading and
// output are in the figures. The other App rows and the reconcile run
// in-process against the emulators on loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command without the process around it, so that the test can
// drive it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "comma-separated benchmarks to run: "+strings.Join(names(), ","))
	quick := fs.Bool("quick", false, "small sizes: a smoke test of every benchmark in well under a minute")
	ajvMode := fs.String("ajv", ajvInstall, "ajv-cli for the comparison: install (npm install into the user cache when missing), cached (only when installed) or off")
	verbose := fs.Bool("v", false, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	switch *ajvMode {
	case ajvInstall, ajvCached, ajvOff:
	default:
		fmt.Fprintf(stderr, "bench: -ajv %q: want install, cached or off\n", *ajvMode)
		return 2
	}
	selected, err := selectBenchmarks(*only)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env := &env{
		quick:   *quick,
		ajvMode: *ajvMode,
		log:     slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	defer env.close()

	var rows []row
	failed := false
	for _, b := range selected {
		env.log.Info("running", "benchmark", b.name)
		rs, err := b.run(ctx, env)
		if err != nil {
			// One broken benchmark must not hide the others' figures.
			failed = true
			fmt.Fprintf(stderr, "bench: %s: %v\n", b.name, err)
			rs = append(rs, row{Benchmark: b.name, Result: "error: " + oneLine(err.Error())})
		}
		rows = append(rows, rs...)
		if ctx.Err() != nil {
			break
		}
	}
	if err := writeTable(stdout, rows); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// benchmark is one named group of rows.
type benchmark struct {
	name string
	run  func(ctx context.Context, e *env) ([]row, error)
}

var benchmarks = []benchmark{
	{"validate", benchValidate},
	{"webhooks", benchWebhooks},
	{"expire", benchExpire},
	{"activate", benchActivate},
	{"lag", benchLag},
	{"fixed", benchFixedCost},
	{"dispatch", benchDispatch},
	{"audit", benchAudit},
	{"audit-large", benchAuditLarge},
	{"reliability", benchReliability},
}

func names() []string {
	var out []string
	for _, b := range benchmarks {
		out = append(out, b.name)
	}
	return out
}

func selectBenchmarks(only string) ([]benchmark, error) {
	if strings.TrimSpace(only) == "" {
		return benchmarks, nil
	}
	var out []benchmark
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, b := range benchmarks {
			if b.name == n {
				out = append(out, b)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: unknown benchmark %q; known: %s", n, strings.Join(names(), ", "))
		}
	}
	return out, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
