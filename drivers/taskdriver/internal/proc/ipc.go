package proc

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ipcRMID is IPC_RMID, the command that removes a System V IPC object.
const ipcRMID = 0

// RemoveIPC removes the System V shared memory segments, semaphore sets
// and message queues that uid owns or created (they outlive every process
// of the uid). It returns how many it removed.
func RemoveIPC(uid int) int {
	n := 0
	for _, k := range []struct {
		file string
		rm   func(id int) error
	}{
		{"shm", func(id int) error { _, err := unix.SysvShmCtl(id, ipcRMID, nil); return err }},
		{"sem", func(id int) error { return ipcctl(unix.SYS_SEMCTL, id, 0) }},
		{"msg", func(id int) error { return ipcctl(unix.SYS_MSGCTL, id, 0) }},
	} {
		for _, id := range ipcOf(procRoot+"/sysvipc/"+k.file, uid) {
			if k.rm(id) == nil {
				n++
			}
		}
	}
	return n
}

// CountIPC counts the System V IPC objects that uid owns or created.
func CountIPC(uid int) int {
	n := 0
	for _, table := range []string{"shm", "sem", "msg"} {
		n += len(ipcOf(procRoot+"/sysvipc/"+table, uid))
	}
	return n
}

func ipcctl(trap uintptr, id, semnum int) error {
	var err error
	if trap == unix.SYS_SEMCTL {
		_, _, e := unix.Syscall6(trap, uintptr(id), uintptr(semnum), ipcRMID, 0, 0, 0)
		if e != 0 {
			err = e
		}
		return err
	}
	_, _, e := unix.Syscall(trap, uintptr(id), ipcRMID, 0)
	if e != 0 {
		err = e
	}
	return err
}

// ipcOf lists the ids in a /proc/sysvipc table whose owner (uid) or
// creator (cuid) is uid; the columns are named in the first line.
func ipcOf(file string, uid int) []int {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil
	}
	col := map[string]int{}
	for i, name := range strings.Fields(sc.Text()) {
		col[name] = i
	}
	idCol := -1
	for _, name := range []string{"shmid", "semid", "msqid"} {
		if i, ok := col[name]; ok {
			idCol = i
		}
	}
	uidCol, ok1 := col["uid"]
	cuidCol, ok2 := col["cuid"]
	if idCol < 0 || !ok1 || !ok2 {
		return nil
	}
	want := strconv.Itoa(uid)
	var ids []int
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) <= max(idCol, uidCol, cuidCol) || (f[uidCol] != want && f[cuidCol] != want) {
			continue
		}
		if id, err := strconv.Atoi(f[idCol]); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
