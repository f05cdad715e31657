package slurmtest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// Main is a Slurm command's entry point (squeue.Main, ...).
type Main func(args []string, s slurm.Streams, d slurm.Deps) int

// Run runs the command named argv[0] among cmds in-process, with stdin,
// env and d, and returns its exit status and output.
func Run(t testing.TB, cmds map[string]Main, d slurm.Deps, stdin string, env []string, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd, ok := cmds[argv[0]]
	if !ok {
		t.Fatalf("slurmtest.Run: no command %q", argv[0])
	}
	var out, errb bytes.Buffer
	code = cmd(argv[1:], slurm.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb, Env: env}, d)
	return code, out.String(), errb.String()
}
