//go:build !unix

package main

import (
	"os"
	"time"
)

// maxRSS is unknown where wait4's rusage does not exist.
func maxRSS(*os.ProcessState) int64 { return 0 }

// selfCPU is unknown where getrusage does not exist.
func selfCPU() time.Duration { return 0 }
