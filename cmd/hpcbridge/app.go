package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/sacct"
	"github.com/hpcbridge/hpcbridge/internal/slurm/sbatch"
	"github.com/hpcbridge/hpcbridge/internal/slurm/scancel"
	"github.com/hpcbridge/hpcbridge/internal/slurm/scontrol"
	"github.com/hpcbridge/hpcbridge/internal/slurm/sinfo"
	"github.com/hpcbridge/hpcbridge/internal/slurm/sprio"
	"github.com/hpcbridge/hpcbridge/internal/slurm/squeue"
	"github.com/hpcbridge/hpcbridge/internal/slurm/srun"
	"github.com/hpcbridge/hpcbridge/internal/slurm/sshare"
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a process exit status out of a command; only main exits.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// streams are the standard streams and environment of the hpcbridge
// subcommands (jobspec, server, acl, ...), so that they run in-process in
// tests; the Slurm commands take the same as slurm.Streams.
type streams struct {
	in       io.Reader
	out, err io.Writer
	env      []string
}

// slurm is s as the Slurm commands take it.
func (s streams) slurm() slurm.Streams {
	return slurm.Streams{In: s.in, Out: s.out, Err: s.err, Env: s.env}
}

// Exit codes shared by every command (see slurm.ExitOK).
const (
	exitOK       = slurm.ExitOK
	exitRejected = slurm.ExitRejected
	exitUsage    = slurm.ExitUsage
)

// run dispatches on the program name and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	return runWith(args, streams{in: stdin, out: stdout, err: stderr, env: env}, slurm.DefaultDeps())
}

// runWith is run with the command's surroundings given (tests pass fakes).
func runWith(args []string, io streams, deps slurm.Deps) int {
	if cmd, ok := slurmCommandByName[filepath.Base(args[0])]; ok {
		return cmd(args[1:], io.slurm(), deps)
	}
	// Busybox style: "hpcbridge squeue ..." is squeue, for when the links
	// are not on PATH.
	if len(args) > 1 {
		if cmd, ok := slurmCommandByName[args[1]]; ok {
			return cmd(args[2:], io.slurm(), deps)
		}
	}
	app := newApp(io)
	if err := app.Run(args); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintln(io.err, ee.err)
			}
			return ee.code
		}
		fmt.Fprintln(io.err, "hpcbridge:", err)
		return exitUsage
	}
	return exitOK
}

func newApp(s streams) *cli.App {
	return &cli.App{
		Name:    "hpcbridge",
		Usage:   "run Slurm batch scripts on Nomad clusters of donated GPU machines",
		Version: version,
		Description: "hpcbridge is one binary. Linked as sbatch, squeue, scancel, sacct, sinfo, scontrol or srun it\n" +
			"behaves as that Slurm command (make build creates the links in bin/); \"hpcbridge squeue ...\"\n" +
			"(and so on for each of them) does the same without the link.",
		Reader:          s.in,
		Writer:          s.out,
		ErrWriter:       s.err,
		HideHelpCommand: false,
		ExitErrHandler:  func(*cli.Context, error) {},
		Commands: []*cli.Command{
			jobspecCommand(s),
			explainCommand(s),
			serverCommand(s),
			aclCommand(s),
			operatorCommand(s),
			outputCommand(s),
			fetchCommand(s),
			checkpointCommand(s),
			receiptsCommand(s),
			nodeCommand(s),
			donorCommand(s),
			rewardsCommand(s),
			devCommand(s),
			agentCommand(s),
		},
	}
}

// slurmCommand is one Slurm personality of the binary.
type slurmCommand func(args []string, s slurm.Streams, d slurm.Deps) int

// slurmCommandByName maps the names of the links to the commands.
var slurmCommandByName = map[string]slurmCommand{
	"sbatch":   sbatch.Main,
	"squeue":   squeue.Main,
	"scancel":  scancel.Main,
	"sacct":    sacct.Main,
	"sinfo":    sinfo.Main,
	"scontrol": scontrol.Main,
	"srun":     srun.Main,
	"sprio":    sprio.Main,
	"sshare":   sshare.Main,
}
