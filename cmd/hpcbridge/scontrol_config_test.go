package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestScontrolShowConfig reads the configuration from a real API server:
// Slurm's layout (header, "Key = value" padded as scontrol pads it, the
// controller's status last) with the coordinator's own values.
func TestScontrolShowConfig(t *testing.T) {
	e := newE2E(t)
	out, _ := e.run(0, "", "scontrol", "show", "config")
	lines := strings.Split(out, "\n")
	if !regexp.MustCompile(`^Configuration data as of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	// These lines are byte for byte what Slurm 22.05's scontrol prints for
	// the same values.
	for _, want := range []string{
		"SLURM_VERSION           = 22.05.8\n",
		"MaxArraySize            = 1000001\n",
		"MinJobAge               = 300 sec\n",
		"AccountingStorageType   = accounting_storage/hpcbridge\n",
		"SchedulerType           = sched/hpcbridge\n",
		"SelectType              = select/nomad\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^SlurmctldHost\[0\]        = \S+\(\S*\)\n`).MatchString(out) {
		t.Errorf("no SlurmctldHost[0] line:\n%s", out)
	}
	if !regexp.MustCompile(`\n\nSlurmctld\(primary\) at \S+ is UP\n$`).MatchString(out) {
		t.Errorf("no controller status at the end:\n%s", out)
	}
	// "sho conf" abbreviates it, as in scontrol.
	if abbrev, _ := e.run(0, "", "scontrol", "sho", "conf"); len(abbrev) == 0 {
		t.Error("scontrol sho conf printed nothing")
	}
}
