//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSS is the child's peak resident set in KiB, from wait4's rusage.
// (Linux reports KiB; macOS reports bytes, so there it reads 1024x high.)
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}
