package srun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Step records, which the driver reads from the steps directory and
// reports for sacct: "<id>.start.json" when a step starts and
// "<id>.end.json" when it ends (written atomically, each < 4 KiB).

// startRecord is a step's start.
type startRecord struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	NodeList string `json:"nodelist"`
	NNodes   int    `json:"nnodes"`
	NTasks   int    `json:"ntasks"`
	Start    int64  `json:"start"`
}

// endRecord is a step's end.
type endRecord struct {
	ID     int    `json:"id"`
	End    int64  `json:"end"`
	State  string `json:"state"`
	Exit   int    `json:"exit"`
	Signal int    `json:"signal"`
}

// maxRecordName bounds the step name in a record.
const maxRecordName = 256

// stepName is the step's name as Slurm gives it: srun's --job-name, else
// the command's base name.
func (o *options) stepName() string {
	if o.jobName != "" {
		return o.jobName
	}
	if len(o.command) > 0 {
		return filepath.Base(o.command[0])
	}
	return ""
}

// recordName is name as a record holds it: valid UTF-8 (as JSON carries
// it) of at most maxRecordName bytes, cut between characters, so that the
// driver, which refuses a longer or broken name, takes the record.
func recordName(name string) string {
	name = strings.ToValidUTF8(name, string(utf8.RuneError))
	for len(name) > maxRecordName {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	return name
}

// writeStart records that step id started.
func writeStart(dir string, id int, name, nodelist string, nnodes, ntasks int) {
	name = recordName(name)
	writeRecord(dir, strconv.Itoa(id)+".start.json", startRecord{
		ID: id, Name: name, NodeList: nodelist, NNodes: nnodes, NTasks: ntasks, Start: time.Now().Unix(),
	})
}

// writeEnd records how step id ended, from srun's exit status (128+N:
// killed by signal N) and whether a node was lost.
func writeEnd(dir string, id, status int, nodeFail bool) {
	r := endRecord{ID: id, End: time.Now().Unix(), State: "COMPLETED", Exit: status}
	switch {
	case nodeFail:
		r.State = "NODE_FAIL"
	case status > 128 && status < 128+65:
		r.Exit, r.Signal = 0, status-128
		r.State = "FAILED"
		if s := syscall.Signal(r.Signal); s == syscall.SIGTERM || s == syscall.SIGKILL || s == syscall.SIGINT {
			r.State = "CANCELLED"
		}
	case status != 0:
		r.State = "FAILED"
	}
	writeRecord(dir, strconv.Itoa(id)+".end.json", r)
}

// writeRecord writes one record atomically; a record that cannot be
// written costs the step's accounting, not the step.
func writeRecord(dir, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr == nil && cerr == nil {
		_ = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	_ = os.Remove(tmp.Name())
}
