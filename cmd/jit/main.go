// Command jit is just-in-time AWS access through GitHub pull requests.
//
// One binary holds every part of the product: the request validator, the
// GitHub App's webhook server, the reconcile Action, the audit export and the
// local sandbox. See README.md and the design for how they fit together.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:])
	stop()
	if err != nil {
		var ec exitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(os.Stderr, "jit:", msg)
			}
			os.Exit(ec.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "jit:", err)
		os.Exit(2)
	}
}

// realMain runs the command line args and returns instead of exiting, so that
// tests can drive the whole binary in-process.
func realMain(ctx context.Context, args []string) error {
	root := newRootCmd()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// exitCoder is an error that asks for a specific exit status. Commands use it
// to separate "the input has errors" (1) from "the command could not run" (2).
type exitCoder interface {
	error
	ExitCode() int
}

// exitError carries an exit status and an optional message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode returns the process exit status the error asks for.
func (e *exitError) ExitCode() int { return e.code }
