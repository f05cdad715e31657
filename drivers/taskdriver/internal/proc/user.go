package proc

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// OfUser lists the live processes that have uid as a real, effective, saved
// or file-system user id (zombies, which hold nothing, are left out).
func OfUser(uid int) ([]int, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if owned(pid, uid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// owned reads /proc/<pid>/status: "State:" and "Uid:" (real, effective,
// saved, fs).
func owned(pid, uid int) bool {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return false
	}
	want := strconv.Itoa(uid)
	mine := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "State:"):
			if f := strings.Fields(line); len(f) > 1 && (f[1] == "Z" || f[1] == "X") {
				return false
			}
		case strings.HasPrefix(line, "Uid:"):
			for _, f := range strings.Fields(line)[1:] {
				if f == want {
					mine = true
				}
			}
		}
	}
	return mine
}
