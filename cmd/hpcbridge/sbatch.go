package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

const sbatchUsage = `Usage: sbatch [-N nnodes] [-n ntasks]
              [-c ncpus] [-r n] [-p partition] [--hold] [--parsable] [-t minutes]
              [-D path] [--no-kill] [--overcommit]
              [--input file] [--output file] [--error file]
              [--time-min=minutes] [--licenses=names] [--clusters=cluster_names]
              [--chdir=directory] [--oversubscribe] [-m dist] [-J jobname]
              [--mail-type=type] [--mail-user=user] [--nice[=value]] [--wait]
              [--requeue] [--no-requeue] [--ntasks-per-node=n] [--propagate]
              [--nodefile=file] [--nodelist=hosts] [--exclude=hosts]
              [--network=type] [--mem-per-cpu=MB] [--qos=qos] [--gres=list]
              [--mem-bind=...] [--reservation=name] [--mcs-label=mcs]
              [--cpu-freq=min[-max[:gov]]] [--power=flags] [--gres-flags=opts]
              [--switches=max-switches{@max-time-to-wait}] [--reboot]
              [--core-spec=cores] [--thread-spec=threads]
              [--bb=burst_buffer_spec] [--bbf=burst_buffer_file]
              [--array=index_values] [--profile=...] [--ignore-pbs] [--spread-job]
              [--export[=names]] [--export-file=file|fd] [--delay-boot=mins]
              [--use-min-nodes]
              [--cpus-per-gpu=n] [--gpus=n] [--gpu-bind=...] [--gpu-freq=...]
              [--gpus-per-node=n] [--gpus-per-socket=n] [--gpus-per-task=n]
              [--mem-per-gpu=MB] [--tres-per-task=list]
              executable [args...]
`

// sbatchOptions are the inputs of one submission.
type sbatchOptions struct {
	Client interface {
		jobSubmitter
		jobLister
	}
	Args       []string // sbatch's options, as typed
	Script     []byte   // nil with --wrap
	ScriptName string
	ScriptArgs []string
	Env        []string // the caller's environment
	Cwd        string
	Host       string
	// User is the local caller, who owns the job (see docs/slurm-commands.md,
	// "Who owns a job"); empty: the token's user.
	User string
	Now  time.Time
	Loc  *time.Location
	// Sleep waits between polls of --wait when the API cannot block.
	Sleep func(ctx context.Context, d time.Duration) error
}

// sbatchMain is the sbatch personality: it parses the submission locally
// (precise errors, no round trip), then submits it to the coordinator.
// --parse-only prints the parsed spec instead (see hpcbridge jobspec).
func sbatchMain(args []string, s streams, d slurmDeps) int {
	opts, script, scriptArgs := jobspec.SplitCommandLine(args)
	var rest []string
	parseOnly := false
	for _, a := range opts {
		switch a {
		case "--parse-only":
			parseOnly = true
			continue
		case "-h", "--help":
			fmt.Fprint(s.out, sbatchUsage)
			return exitOK
		case "--usage":
			fmt.Fprint(s.out, sbatchUsage)
			return exitOK
		case "-V", "--version":
			fmt.Fprintf(s.out, "slurm %s\n", slurmVersion)
			return exitOK
		}
		rest = append(rest, a)
	}
	if parseOnly {
		if script != "" {
			rest = append(append(rest, "--", script), scriptArgs...)
		}
		return runJobspec(jobspecOptions{args: rest, now: d.now()}, s)
	}
	o := sbatchOptions{Args: rest, ScriptArgs: scriptArgs, Env: s.env, Now: d.now(), Loc: d.loc, Sleep: d.sleep}
	if !slurmcli.HasWrap(rest) {
		if script == "" && d.isTerminal(s.in) {
			fmt.Fprintln(s.err, "sbatch: error: no batch script given, and standard input is a terminal")
			return exitRejected
		}
		body, name, err := readScript(script, s.in)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				fmt.Fprintf(s.err, "sbatch: error: Unable to open file %s\n", script)
			} else {
				fmt.Fprintf(s.err, "sbatch: error: %v\n", err)
			}
			return exitRejected
		}
		o.Script, o.ScriptName = body, name
		if name == "<stdin>" {
			o.ScriptName = ""
		}
	}
	var err error
	if o.Cwd, err = d.getwd(); err != nil {
		fmt.Fprintf(s.err, "sbatch: error: getcwd failed: %v\n", err)
		return exitRejected
	}
	o.Host, _ = d.hostname()
	o.User, _ = d.currentUser()
	client, err := d.connect(s.env)
	if err != nil {
		fmt.Fprintln(s.err, connectError("sbatch", "Batch job submission failed", err))
		return exitRejected
	}
	o.Client = client
	return runSbatch(o, s)
}

// runSbatch parses, submits and reports one batch job; with --wait it
// returns the job's exit status.
func runSbatch(o sbatchOptions, s streams) int {
	spec, diags := jobspec.Parse(jobspec.Input{
		File:         o.ScriptName,
		Script:       o.Script,
		Args:         o.Args,
		ScriptArgs:   o.ScriptArgs,
		Env:          o.Env,
		Now:          o.Now.In(o.loc()),
		MaxArraySize: slurmcli.MaxArraySize,
	})
	printDiagnostics(s.err, diags)
	if spec == nil {
		return exitSbatchOptions
	}
	req := &api.SubmitRequest{
		Script:     o.Script,
		ScriptName: o.ScriptName,
		Args:       o.Args,
		ScriptArgs: o.ScriptArgs,
		Env:        slurmcli.ExportEnv(o.Env, spec.Export),
		Cwd:        o.Cwd,
		SubmitHost: o.Host,
		TimeZone:   slurmcli.ZoneName(o.Env, o.loc(), o.Now),
		User:       o.User,
	}
	ctx := cliContext()
	resp, err := o.Client.Submit(ctx, req)
	if err != nil {
		reportSubmitError(s.err, err)
		return exitRejected
	}
	switch {
	case resp.TestOnly || spec.TestOnly:
		fmt.Fprintf(s.err, "sbatch: Job %d to start at %s using %d processors on nodes %s in partition %s\n",
			resp.JobID, o.Now.In(o.loc()).Format("2006-01-02T15:04:05"), testOnlyCPUs(spec), "(any)", partitionOf(spec))
		return exitOK
	default:
		slurmcli.Submitted(s.out, spec, resp.JobID)
	}
	if !spec.Wait {
		return exitOK
	}
	return waitForJob(ctx, o, s, resp.JobID)
}

// loc is the submitter's time zone (local when unset).
func (o sbatchOptions) loc() *time.Location {
	if o.Loc == nil {
		return time.Local
	}
	return o.Loc
}

// printDiagnostics writes the parser's findings as sbatch reports them,
// each with its position and, for option values, the offending line.
func printDiagnostics(w io.Writer, diags jobspec.Diagnostics) {
	for _, d := range diags {
		lines := strings.Split(d.Render(), "\n")
		fmt.Fprintf(w, "sbatch: %s: %s: %s\n", d.Severity, d.Pos, d.Msg)
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "sbatch: %s\n", l)
		}
	}
}

// reportSubmitError prints a failed submission the way sbatch does.
func reportSubmitError(w io.Writer, err error) {
	var ae *api.Error
	if errors.As(err, &ae) {
		slurmcli.SubmitFailed(w, ae.Code, ae.Message, ae.Diagnostics)
		return
	}
	slurmcli.Unreachable(w, err)
}

// testOnlyCPUs is the processor count --test-only reports.
func testOnlyCPUs(spec *jobspec.Spec) int {
	v := jobView{j: &state.Job{}, spec: spec}
	return v.cpus()
}

// partitionOf is the partition a spec names, or the default's marker.
func partitionOf(spec *jobspec.Spec) string {
	if spec.Partition != nil {
		return *spec.Partition
	}
	return "(default)"
}

// waitForJob follows a job until it and all its array tasks ended, and
// returns its exit status as sbatch --wait does: the highest exit code of
// its tasks, 1 for a task killed by a signal.
func waitForJob(ctx context.Context, o sbatchOptions, s streams, id uint64) int {
	var last uint64
	for {
		q := &api.JobsQuery{Jobs: []string{fmt.Sprint(id)}, States: []string{"all"}}
		q.WaitIndex, q.WaitTime = last, time.Minute
		jobs, meta, err := o.Client.JobsAll(ctx, q)
		if err != nil {
			if isTransport(err) {
				if o.Sleep(ctx, 2*time.Second) == nil {
					continue
				}
			}
			fmt.Fprintf(s.err, "sbatch: error: slurm_load_job: %s\n", apiMessage(err))
			return exitRejected
		}
		if rc, done := jobsExit(jobs); done {
			return rc
		}
		if meta == nil || meta.LastIndex == last {
			if err := o.Sleep(ctx, time.Second); err != nil {
				return exitRejected
			}
		}
		if meta != nil {
			last = meta.LastIndex
		}
	}
}

// jobsExit reports whether every record has ended and the exit status of
// sbatch --wait.
func jobsExit(jobs []*state.Job) (rc int, done bool) {
	if len(jobs) == 0 {
		return 0, false
	}
	for _, j := range jobs {
		if j.IsArrayBase() && !j.Pending.Empty() || !j.State.Terminal() {
			return 0, false
		}
		code := j.ExitCode
		if j.ExitSignal != 0 && code == 0 {
			code = 1
		}
		rc = max(rc, code)
	}
	return rc, true
}
