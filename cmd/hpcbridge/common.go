package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// slurmVersion is the Slurm release whose behaviour the commands follow.
const slurmVersion = "22.05.8"

// reportUsage prints a getopt complaint (or a setter's error) and returns
// the usage exit status.
func reportUsage(s streams, prog string, err error) int {
	fmt.Fprintln(s.err, err)
	if _, ok := err.(*usageError); ok {
		fmt.Fprintf(s.err, "Try \"%s --help\" for more information\n", prog)
	}
	return exitRejected
}

// anyNode reports whether a host list names one of want.
func anyNode(list string, want []string) bool {
	for _, n := range splitJobArgs(list) {
		for _, w := range want {
			if n == w || firstHost(n) == w {
				return true
			}
		}
	}
	return false
}

// writeJSONOut prints v as indented JSON.
func writeJSONOut(s streams, v any) int {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(s.err, "error: %v\n", err)
		return exitRejected
	}
	return exitOK
}

// tmpDisk is --tmp in MiB as squeue prints it.
func tmpDisk(v jobView) string {
	if t := v.other("tmp"); t != "" {
		if n, err := parseMiB(t); err == nil {
			return memString(n)
		}
	}
	return "0"
}

// clusterName is the name the Slurm commands report for the cluster.
const clusterName = "hpcbridge"

// boolDigit is 1 or 0.
func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// submitHost is the host sbatch ran on.
func submitHost(v jobView) string {
	if v.sub == nil {
		return ""
	}
	return v.sub.SubmitHost
}

// slurmMeta is the "meta" object of Slurm's JSON output.
type slurmMeta struct {
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

// newSlurmMeta is the meta object of a document of the given plugin.
func newSlurmMeta(plugin, name string) slurmMeta {
	var m slurmMeta
	m.Plugin.Type, m.Plugin.Name = plugin, name
	m.Slurm.Version.Major, m.Slurm.Version.Minor, m.Slurm.Version.Micro = 22, 5, 8
	m.Slurm.Release = slurmVersion
	return m
}

// signalNumbers are the signals scancel -s knows, by name.
var signalNumbers = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
	"CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
	"VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
}

// refErrors returns the per-job failures of an action: from a partial
// success, or from an error reply. err is returned when the server did
// not answer at all.
func refErrors(resp *api.ActionResponse, err error) ([]api.RefError, error) {
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

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sbatch exits 255 when its options are wrong (Slurm's error_exit), 1
// when the submission fails.
const exitSbatchOptions = 255

// parseMiB reads a Slurm size (default unit MiB).
func parseMiB(s string) (int64, error) {
	mult := int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult, s = -1024, s[:len(s)-1]
	case "M":
		s = s[:len(s)-1]
	case "G":
		mult, s = 1024, s[:len(s)-1]
	case "T":
		mult, s = 1024*1024, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if mult < 0 {
		return (n + 1023) / 1024, nil
	}
	return n * mult, nil
}
