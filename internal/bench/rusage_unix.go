//go:build unix

package main

import (
	"os"
	"syscall"
	"time"
)

// maxRSS is the child's peak resident set in KiB, from wait4's rusage.
// (Linux reports KiB; macOS reports bytes, so there it reads 1024x high.)
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}

// selfCPU is the CPU time (user and system) this process has used so far:
// the App and the emulators run in it.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
