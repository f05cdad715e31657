package nomadagent

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// proc identifies a process across pid reuse: its pid and its start time in
// clock ticks since boot (/proc/<pid>/stat field 22).
type proc struct {
	pid   int
	start uint64
}

func sysProcAttr() *syscall.SysProcAttr {
	// Its own process group: a Ctrl-C in the terminal of `hpcbridge dev`
	// reaches hpcbridge, which stops the agent in order.
	return &syscall.SysProcAttr{Setpgid: true}
}

// withHostname returns cmd run in a new UTS namespace whose host name is
// name: /bin/sh, started in the namespace, writes the name and replaces
// itself with cmd's program, so the process (and its pid) is the agent's.
// name reaches the shell as an argument, never as code.
func withHostname(cmd *exec.Cmd, name string) (*exec.Cmd, error) {
	if cmd.Err != nil {
		return nil, fmt.Errorf("nomadagent: %w", cmd.Err)
	}
	sh := exec.Command("/bin/sh", append([]string{"-c", `printf %s "$0" >/proc/sys/kernel/hostname && exec "$@"`, name, cmd.Path}, cmd.Args[1:]...)...)
	sh.SysProcAttr = cmd.SysProcAttr
	if sh.SysProcAttr == nil {
		sh.SysProcAttr = &syscall.SysProcAttr{}
	}
	sh.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUTS
	return sh, nil
}

// procStat returns the parent pid and start time of pid.
func procStat(pid int) (ppid int, start uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name (field 2) is in parentheses and may hold anything.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	return ppid, start, err1 == nil && err2 == nil
}

// children maps each parent pid to its children.
func children() map[int][]proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	m := map[int][]proc{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, start, ok := procStat(pid); ok {
			m[ppid] = append(m[ppid], proc{pid, start})
		}
	}
	return m
}

// descendants lists every process below root.
func descendants(root int) []proc {
	kids := children()
	var out []proc
	queue := []int{root}
	for len(queue) > 0 {
		for _, c := range kids[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
		queue = queue[1:]
	}
	return out
}

// killTree SIGKILLs root and every process below it. It first freezes the
// tree with SIGSTOP, top down, until a scan finds no new process, so that
// nothing forks a child that escapes.
func killTree(root int) {
	_, start, ok := procStat(root)
	if !ok {
		return
	}
	frozen := map[int]proc{root: {root, start}}
	_ = syscall.Kill(root, syscall.SIGSTOP)
	for quiet := 0; quiet < 2; {
		added := false
		for _, p := range descendants(root) {
			if _, seen := frozen[p.pid]; !seen {
				frozen[p.pid] = p
				_ = syscall.Kill(p.pid, syscall.SIGSTOP)
				added = true
			}
		}
		if added {
			quiet = 0
		} else {
			quiet++
		}
	}
	for _, p := range frozen {
		killProc(p)
	}
}

// strays lists the processes that an agent whose directory is dir left
// behind when it died without being stopped (killed by someone else, or
// crashed outside Crash): they are no longer its descendants, but Nomad
// starts its plugins and its own helpers (logmon, executors) in its
// working directory, dir, from one of exes. A process must match both.
func strays(dir string, exes []string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err1 := os.Readlink("/proc/" + e.Name() + "/cwd")
		exe, err2 := os.Readlink("/proc/" + e.Name() + "/exe")
		if err1 != nil || err2 != nil {
			continue
		}
		if strings.TrimSuffix(cwd, " (deleted)") == dir && slices.Contains(exes, strings.TrimSuffix(exe, " (deleted)")) {
			out = append(out, pid)
		}
	}
	return out
}

// killProc SIGKILLs p unless its pid now names another process.
func killProc(p proc) {
	if _, start, ok := procStat(p.pid); ok && start == p.start {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// mount is one line of /proc/self/mountinfo.
type mount struct{ point, fstype string }

func mounts() []mount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []mount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - fstype source super
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		ms = append(ms, mount{unescapeMount(fields[4]), fields[sep+1]})
	}
	return ms
}

// unmountUnder detaches every mount point below dir (Nomad mounts a tmpfs
// on each task's secrets directory), deepest first, so that dir can be
// removed.
func unmountUnder(dir string) error {
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	var points []string
	for _, m := range mounts() {
		if strings.HasPrefix(m.point, prefix) {
			points = append(points, m.point)
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var first error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) && first == nil {
			first = &os.PathError{Op: "unmount", Path: p, Err: err}
		}
	}
	return first
}

// removeCgroups removes the cgroups Nomad made for the allocations in
// allocDir (named <alloc id>.<task>[.scope], a few levels below a cgroup
// mount) once their processes are gone; Nomad removes them itself only when
// it collects an allocation. Best effort: a cgroup still in use stays.
func removeCgroups(allocDir string) {
	ents, err := os.ReadDir(allocDir)
	if err != nil {
		return
	}
	var prefixes []string
	for _, e := range ents {
		if e.IsDir() {
			prefixes = append(prefixes, e.Name()+".")
		}
	}
	if len(prefixes) == 0 {
		return
	}
	var found []string
	for _, m := range mounts() {
		if m.fstype != "cgroup" && m.fstype != "cgroup2" {
			continue
		}
		root := m.point
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || p == root {
				return nil
			}
			if slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(d.Name(), pre) }) {
				found = append(found, p)
				return fs.SkipDir
			}
			if strings.Count(p[len(root):], string(filepath.Separator)) >= 3 {
				return fs.SkipDir
			}
			return nil
		})
	}
	for _, p := range found {
		_ = syscall.Rmdir(p)
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Running lists the Nomad agents that run with dir as their directory
// (Config.Dir): processes of binary whose working directory is dir, as
// nomadagent starts them. A client whose starter was killed outlives it:
// a second one on the same directory would wait for the first's state
// database, and its failure would kill both and their tasks.
func Running(dir, binary string) []int {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	bin, err := filepath.Abs(binary)
	if err != nil {
		return nil
	}
	if r, err := filepath.EvalSymlinks(bin); err == nil {
		bin = r
	}
	return strays(dir, []string{bin})
}
