package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// numericEnv are environment variables that give a numeric flag its
// default. The flags read them leniently (an unreadable value would
// otherwise only surface as "missing"), so checkNumericEnv refuses a value
// that is not a number before a command that uses it runs.
var numericEnv = map[string]string{"app-id": "JIT_APP_ID"}

// checkNumericEnv fails when a command has one of numericEnv's flags, the
// flag was not given, and its environment variable is set but not a
// number.
func checkNumericEnv(getenv func(string) string) func(cmd *cobra.Command, _ []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		for flag, env := range numericEnv {
			f := cmd.Flags().Lookup(flag)
			if f == nil || f.Changed {
				continue
			}
			v := strings.TrimSpace(getenv(env))
			if v == "" {
				continue
			}
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("%s=%q is not a number: set it to the App's numeric id (GitHub App settings, \"App ID\")", env, v)
			}
		}
		return nil
	}
}
