package stepd

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoot is where the cgroup file systems are mounted (Nomad assumes
// the same).
const cgroupRoot = "/sys/fs/cgroup"

// oomCounter reads the out-of-memory kill counter of the memory cgroup
// stepd runs in, which Nomad's executor made for the task: memory.events on
// cgroups v2, memory.oom_control on v1. The zero value counts nothing.
type oomCounter struct {
	file string
}

// newOOMCounter finds the counter from /proc/self/cgroup.
func newOOMCounter() oomCounter {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return oomCounter{}
	}
	var unified string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			if ctrl == "memory" {
				return oomCounter{file: filepath.Join(cgroupRoot, "memory", parts[2], "memory.oom_control")}
			}
		}
	}
	if unified != "" && unified != "/" {
		return oomCounter{file: filepath.Join(cgroupRoot, unified, "memory.events")}
	}
	return oomCounter{}
}

// kills returns the counter's value (0 when it cannot be read).
func (c oomCounter) kills() int {
	if c.file == "" {
		return 0
	}
	b, err := os.ReadFile(c.file)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "oom_kill" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}
