//go:build !linux

package nomadagent

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// proc identifies a process; outside Linux only the agent itself is tracked.
type proc struct {
	pid   int
	start uint64
}

func sysProcAttr() *syscall.SysProcAttr { return nil }

func withHostname(*exec.Cmd, string) (*exec.Cmd, error) {
	return nil, errors.New("nomadagent: Config.Hostname needs Linux (a UTS namespace)")
}

func descendants(int) []proc { return nil }

func killTree(root int) {
	if p, err := os.FindProcess(root); err == nil {
		_ = p.Kill()
	}
}

func killProc(p proc) {
	if q, err := os.FindProcess(p.pid); err == nil {
		_ = q.Kill()
	}
}

func strays(string, []string) []int { return nil }

func unmountUnder(string) error { return nil }

func removeCgroups(string) {}

// Running lists the Nomad agents that run with dir (Linux only).
func Running(dir, binary string) []int { return nil }
