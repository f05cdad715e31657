package slurmcli

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestExportEnv(t *testing.T) {
	env := []string{"HOME=/home/alice", "PATH=/bin", "SLURM_CONF=/etc/slurm.conf", "SBATCH_TIMELIMIT=10", "EDITOR=vi"}
	str := func(s string) *string { return &s }
	cases := []struct {
		export *string
		want   string
	}{
		{nil, "HOME=/home/alice PATH=/bin SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10 EDITOR=vi"},
		{str("ALL"), "HOME=/home/alice PATH=/bin SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10 EDITOR=vi"},
		{str("NONE"), "SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10"},
		{str("EDITOR,ARG1=test"), "SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10 EDITOR=vi ARG1=test"},
		{str("MISSING"), "SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10"},
		{str("PATH=/opt/bin"), "SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10 PATH=/opt/bin"},
		// The value given wins over the caller's, as in Slurm 22.05
		// (the runtime differential suite checks it against real Slurm).
		{str("ALL,EDITOR=/bin/emacs,NEW=1"), "HOME=/home/alice PATH=/bin SLURM_CONF=/etc/slurm.conf SBATCH_TIMELIMIT=10 EDITOR=/bin/emacs NEW=1"},
	}
	for _, c := range cases {
		got := strings.Join(ExportEnv(env, c.export), " ")
		if got != c.want {
			name := "nil"
			if c.export != nil {
				name = *c.export
			}
			t.Errorf("--export=%s:\n got %s\nwant %s", name, got, c.want)
		}
	}
}

func TestZoneName(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	for _, c := range []struct {
		env  []string
		loc  *time.Location
		want string
	}{
		{[]string{"TZ=Europe/Berlin"}, time.UTC, "Europe/Berlin"},
		{[]string{"TZ=:Europe/Berlin"}, time.UTC, "Europe/Berlin"},
		{nil, berlin, "Europe/Berlin"},
		{[]string{"TZ=Nowhere/Else"}, time.FixedZone("", 5*3600), "+05:00"},
		{nil, time.UTC, "UTC"},
	} {
		if got := ZoneName(c.env, c.loc, now); got != c.want {
			t.Errorf("ZoneName(%v, %v) = %q, want %q", c.env, c.loc, got, c.want)
		}
	}
}

func TestReports(t *testing.T) {
	var b bytes.Buffer
	for _, spec := range []*jobspec.Spec{{}, {Parsable: true}, {Quiet: true}} {
		Submitted(&b, spec, 42)
	}
	if b.String() != "Submitted batch job 42\n42\n" {
		t.Errorf("Submitted: %q", b.String())
	}
	b.Reset()
	SubmitFailed(&b, wire.CodeInvalidScript, "batch job submission failed: 1 error", []string{"job.sh:2:3: error: x\n  line"})
	SubmitFailed(&b, wire.CodeInvalidRequest, `invalid partition name specified: "x"`, nil)
	SubmitFailed(&b, wire.CodeOutcomeUnknown, "leader lost while committing", nil)
	Unreachable(&b, errors.New("dial tcp: refused"))
	want := "sbatch: error: Batch job submission failed: 1 error\n" +
		"sbatch: job.sh:2:3: error: x\nsbatch:   line\n" +
		"sbatch: error: Batch job submission failed: Invalid partition name specified\n" +
		"sbatch: error: Batch job submission failed: Leader lost while committing\n" +
		"sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure): dial tcp: refused\n"
	if b.String() != want {
		t.Errorf("failures:\n%s\nwant\n%s", b.String(), want)
	}
	if !strings.HasPrefix(ErrorMessage(wire.CodeNotFound, "x"), "Invalid job id") {
		t.Error(ErrorMessage(wire.CodeNotFound, "x"))
	}
}

// TestWithUmask: sbatch sends its umask as SLURM_UMASK (four octal
// digits), and keeps one the caller already has.
func TestWithUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	if got := WithUmask([]string{"A=1"}); strings.Join(got, " ") != "A=1 SLURM_UMASK=0027" {
		t.Errorf("WithUmask = %q", got)
	}
	if got := WithUmask([]string{"SLURM_UMASK=0002"}); strings.Join(got, " ") != "SLURM_UMASK=0002" {
		t.Errorf("WithUmask with one set = %q", got)
	}
}
