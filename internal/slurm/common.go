package slurm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Version is the Slurm release whose behaviour the commands follow.
const Version = "22.05.8"

// ReportUsage prints a getopt complaint (or a setter's error) and returns
// the usage exit status.
func ReportUsage(s Streams, prog string, err error) int {
	fmt.Fprintln(s.Err, err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(s.Err, "Try \"%s --help\" for more information\n", prog)
	}
	return ExitRejected
}

// AnyNode reports whether a host list names one of want.
func AnyNode(list string, want []string) bool {
	for _, n := range SplitJobArgs(list) {
		for _, w := range want {
			if n == w || FirstHost(n) == w {
				return true
			}
		}
	}
	return false
}

// WriteJSONOut prints v as indented JSON.
func WriteJSONOut(s Streams, v any) int {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(s.Err, "error: %v\n", err)
		return ExitRejected
	}
	return ExitOK
}

// TmpDisk is --tmp in MiB as squeue prints it.
func TmpDisk(v JobView) string {
	if t := v.other("tmp"); t != "" {
		if n, err := ParseMiB(t); err == nil {
			return MemString(n)
		}
	}
	return "0"
}

// ClusterName is the name the Slurm commands report for the cluster.
const ClusterName = "hpcbridge"

// BoolDigit is 1 or 0.
func BoolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// SubmitHost is the host sbatch ran on.
func SubmitHost(v JobView) string {
	if v.Sub == nil {
		return ""
	}
	return v.Sub.SubmitHost
}

// Meta is the "meta" object of Slurm's JSON output.
type Meta struct {
	Plugin struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"plugin"`
	Slurm struct {
		Version struct {
			Major int `json:"major"`
			Micro int `json:"micro"`
			Minor int `json:"minor"`
		} `json:"version"`
		Release string `json:"release"`
	} `json:"Slurm"`
}

// NewMeta is the meta object of a document of the given plugin.
func NewMeta(plugin, name string) Meta {
	var m Meta
	m.Plugin.Type, m.Plugin.Name = plugin, name
	m.Slurm.Version.Major, m.Slurm.Version.Minor, m.Slurm.Version.Micro = 22, 5, 8
	m.Slurm.Release = Version
	return m
}

// SignalNumbers are the signals scancel -s knows, by name.
var SignalNumbers = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
	"CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
	"VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
}

// RefErrors returns the per-job failures of an action: from a partial
// success, or from an error reply. err is returned when the server did
// not answer at all.
func RefErrors(resp *api.ActionResponse, err error) ([]api.RefError, error) {
	var ae *api.Error
	switch {
	case err == nil:
		return resp.Errors, nil
	case errors.As(err, &ae) && len(ae.Refs) > 0:
		return ae.Refs, nil
	case errors.As(err, &ae):
		return []api.RefError{{Code: ae.Code, Message: ae.Message}}, nil
	}
	return nil, err
}

// CmpOr is a, or b when a is empty.
func CmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ExitSbatchOptions is sbatch's status for options that are wrong (Slurm's
// error_exit); a submission that fails exits 1.
const ExitSbatchOptions = 255

// ParseMiB reads a Slurm size: a number and an optional unit K, M, G or
// T (default M), in MiB (K rounds up); at most 1 TiB of MiB.
func ParseMiB(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty size")
	}
	mult, div := int64(1), int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		div, s = 1024, s[:len(s)-1]
	case "M":
		s = s[:len(s)-1]
	case "G":
		mult, s = 1024, s[:len(s)-1]
	case "T":
		mult, s = 1024*1024, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q out of range", s)
	}
	return (n*mult + div - 1) / div, nil
}

// Names reports whether the -j argument a (without its step) names j: its
// id, or its array and, when a lists tasks, one of them.
func (a JobArg) Names(j *state.Job) bool {
	if a.Empty {
		return false
	}
	if a.JobID == j.ID && a.Tasks == nil {
		return true
	}
	if j.ArrayTaskID == state.NoTask || a.JobID != j.ArrayJobID {
		return false
	}
	if a.Tasks == nil {
		return true
	}
	for _, r := range a.Tasks {
		if j.ArrayTaskID >= r.First && j.ArrayTaskID <= r.Last {
			return true
		}
	}
	return false
}

// EligibleTimeOr is the eligible time, or def when there is none.
func (v JobView) EligibleTimeOr(def time.Time) time.Time {
	if t := v.EligibleTime(); !t.IsZero() {
		return t
	}
	return def
}
