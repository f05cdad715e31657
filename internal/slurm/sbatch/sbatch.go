package sbatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
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
		slurm.JobSubmitter
		slurm.JobLister
	}
	// Submission is what is submitted; both sbatch programs submit it
	// with the same code (slurmcli.Submission).
	slurmcli.Submission
	// Sleep waits between polls of --wait when the API cannot block.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Main is the sbatch personality: it parses the submission locally
// (precise errors, no round trip), then submits it to the coordinator.
// --parse-only prints the parsed spec instead (see hpcbridge jobspec).
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	opts, script, scriptArgs := jobspec.SplitCommandLine(args)
	var rest []string
	parseOnly := false
	for _, a := range opts {
		switch a {
		case "--parse-only":
			parseOnly = true
			continue
		case "-h", "--help":
			fmt.Fprint(s.Out, sbatchUsage)
			return slurm.ExitOK
		case "--usage":
			fmt.Fprint(s.Out, sbatchUsage)
			return slurm.ExitOK
		case "-V", "--version":
			fmt.Fprintf(s.Out, "slurm %s\n", slurm.Version)
			return slurm.ExitOK
		}
		rest = append(rest, a)
	}
	if parseOnly {
		if script != "" {
			rest = append(append(rest, "--", script), scriptArgs...)
		}
		return RunJobspec(JobspecOptions{Args: rest, Now: d.Now()}, s)
	}
	o := sbatchOptions{Submission: slurmcli.Submission{Args: rest, ScriptArgs: scriptArgs, Env: s.Env, Now: d.Now(), Loc: d.Loc}, Sleep: d.Sleep}
	if !slurmcli.HasWrap(rest) {
		if script == "" && d.IsTerminal(s.In) {
			fmt.Fprintln(s.Err, "sbatch: error: no batch script given, and standard input is a terminal")
			return slurm.ExitRejected
		}
		body, name, err := readScript(script, s.In)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				fmt.Fprintf(s.Err, "sbatch: error: Unable to open file %s\n", script)
			} else {
				fmt.Fprintf(s.Err, "sbatch: error: %v\n", err)
			}
			return slurm.ExitRejected
		}
		o.Script, o.ScriptName = body, name
		if name == "<stdin>" {
			o.ScriptName = ""
		}
	}
	var err error
	if o.Cwd, err = d.Getwd(); err != nil {
		fmt.Fprintf(s.Err, "sbatch: error: getcwd failed: %v\n", err)
		return slurm.ExitRejected
	}
	o.Host, _ = d.Hostname()
	o.User, _ = d.CurrentUser()
	client, ok := slurm.Open(s, d, "sbatch", "Batch job submission failed")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = client
	return runSbatch(o, s)
}

// runSbatch parses, submits and reports one batch job; with --wait it
// returns the job's exit status.
func runSbatch(o sbatchOptions, s slurm.Streams) int {
	spec, diags := o.Parse()
	printDiagnostics(s.Err, diags)
	if spec == nil {
		return slurm.ExitSbatchOptions
	}
	req := o.Request(spec)
	ctx := slurm.Context()
	resp, err := o.submit(ctx, req, s) // staged.go: uploads for a staged partition
	if err != nil {
		reportSubmitError(s.Err, err)
		return slurm.ExitRejected
	}
	switch {
	case resp.TestOnly || spec.TestOnly:
		fmt.Fprintf(s.Err, "sbatch: Job %d to start at %s using %d processors on nodes %s in partition %s\n",
			resp.JobID, o.Now.In(o.Location()).Format("2006-01-02T15:04:05"), testOnlyCPUs(spec), "(any)", partitionOf(spec))
		return slurm.ExitOK
	default:
		slurmcli.Submitted(s.Out, spec, resp.JobID)
	}
	if !spec.Wait {
		return slurm.ExitOK
	}
	rc, jobs := waitForJob(ctx, o, s, resp.JobID)
	if !o.fetchOutputs(ctx, s, jobs) && rc == slurm.ExitOK { // staged.go
		// The job succeeded, but its outputs are not here: whatever
		// runs after sbatch --wait would read what is not there.
		rc = slurm.ExitRejected
	}
	return rc
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
	v := slurm.JobView{Job: &state.Job{}, Spec: spec}
	return v.CPUs()
}

// partitionOf is the partition a spec names, or the default's marker.
func partitionOf(spec *jobspec.Spec) string {
	if spec.Partition != nil {
		return *spec.Partition
	}
	return "(default)"
}

// waitForJob follows a job until it and all its array tasks ended, and
// returns its exit status as sbatch --wait does (the highest exit code of
// its tasks, 1 for a task killed by a signal) and its records.
func waitForJob(ctx context.Context, o sbatchOptions, s slurm.Streams, id uint64) (int, []*state.Job) {
	var last uint64
	for {
		q := &api.JobsQuery{Jobs: []string{fmt.Sprint(id)}, States: []string{"all"}}
		q.WaitIndex, q.WaitTime = last, time.Minute
		jobs, meta, err := o.Client.JobsAll(ctx, q)
		if err != nil {
			if slurm.IsTransport(err) {
				if o.Sleep(ctx, 2*time.Second) == nil {
					continue
				}
			}
			fmt.Fprintf(s.Err, "sbatch: error: slurm_load_job: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected, nil
		}
		if rc, done := jobsExit(jobs); done {
			return rc, jobs
		}
		if meta == nil || meta.LastIndex == last {
			if err := o.Sleep(ctx, time.Second); err != nil {
				return slurm.ExitRejected, nil
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
