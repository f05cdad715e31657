package srun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/getopt"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// srun on the submit host. Outside an allocation Slurm's srun creates a
// job allocation and runs one step in it, streaming the tasks' output to
// the terminal, and exits with the step's exit code. hpcbridge's does the
// same through the coordinator: it submits a one-step batch job whose
// script runs the driver's srun with the step's options, follows the
// job's stdout and stderr (the coordinator's output stream) while it runs,
// and returns its exit code. Standard input is not forwarded (the job's
// is /dev/null, or -i's file). Inside a job the srun on the job's PATH
// (the driver's) launches steps; this one refuses to run there.

// srunWhere says where an srun option goes.
type srunWhere int

const (
	srunJob    srunWhere = iota // an sbatch option of the allocation
	srunStep                    // an option of the step (the job's srun)
	srunBoth                    // both
	srunIgnore                  // accepted, no effect
)

// srunOpt is one srun option hpcbridge's srun maps.
type srunOpt struct {
	long  string
	short byte
	arg   bool
	where srunWhere
}

// srunOpts are the options srun maps onto the job and its step; the
// others are refused with a clear message.
var srunOpts = []srunOpt{
	{"ntasks", 'n', true, srunBoth}, {"cpus-per-task", 'c', true, srunBoth}, {"nodes", 'N', true, srunJob},
	{"job-name", 'J', true, srunJob}, {"time", 't', true, srunJob}, {"partition", 'p', true, srunJob},
	{"account", 'A', true, srunJob}, {"qos", 'q', true, srunJob}, {"mem", 0, true, srunJob},
	{"mem-per-cpu", 0, true, srunJob}, {"mem-per-gpu", 0, true, srunJob}, {"gpus", 'G', true, srunJob},
	{"gres", 0, true, srunJob}, {"gpus-per-node", 0, true, srunJob}, {"gpus-per-task", 0, true, srunJob},
	{"cpus-per-gpu", 0, true, srunJob}, {"constraint", 'C', true, srunJob}, {"nodelist", 'w', true, srunJob},
	{"exclude", 'x', true, srunJob}, {"exclusive", 0, false, srunJob}, {"begin", 'b', true, srunJob},
	{"dependency", 'd', true, srunJob}, {"nice", 0, true, srunJob}, {"comment", 0, true, srunJob},
	{"reservation", 0, true, srunJob}, {"licenses", 'L', true, srunJob}, {"mail-type", 0, true, srunJob},
	{"mail-user", 0, true, srunJob}, {"time-min", 0, true, srunJob}, {"signal", 0, true, srunJob},
	{"wckey", 0, true, srunJob}, {"ntasks-per-node", 0, true, srunJob}, {"chdir", 'D', true, srunJob},
	{"export", 0, true, srunBoth},
	{"label", 'l', false, srunStep}, {"kill-on-bad-exit", 'K', false, srunStep}, {"output", 'o', true, srunStep},
	{"error", 'e', true, srunStep}, {"input", 'i', true, srunStep}, {"open-mode", 0, true, srunStep},
	{"overcommit", 'O', false, srunStep},
	{"unbuffered", 'u', false, srunIgnore}, {"quiet", 'Q', false, srunIgnore}, {"verbose", 'v', false, srunIgnore},
	{"mpi", 0, true, srunIgnore}, {"cpu-bind", 0, true, srunIgnore}, {"distribution", 'm', true, srunIgnore},
	{"exact", 0, false, srunIgnore}, {"overlap", 0, false, srunIgnore},
}

// srunOptions is a parsed srun command line.
type srunOptions struct {
	JobArgs  []string // sbatch options, --long=value
	StepArgs []string // the job's srun options, --long=value
	command  []string
	jobName  bool
	help     bool
	version  bool
}

// errInfo stops the parse at -h, --help, --usage, -V or --version.
var errInfo = errors.New("srun: help or version asked for")

// srunGetopt is srun's option table for getopt: exact names (no
// abbreviations), options up to the command; then the information options.
func srunGetopt() getopt.Config {
	cfg := getopt.Config{Exact: true, InOrder: true}
	for _, o := range srunOpts {
		kind := getopt.NoArg
		if o.arg {
			kind = getopt.Required
		}
		cfg.Options = append(cfg.Options, getopt.Option{Short: o.short, Long: o.long, Kind: kind})
	}
	cfg.Options = append(cfg.Options, getopt.Option{Short: 'h', Long: "help"}, getopt.Option{Long: "usage"}, getopt.Option{Short: 'V', Long: "version"})
	return cfg
}

// ParseArgs reads srun's options up to the command (the first
// operand, or what follows "--").
func ParseArgs(args []string) (*srunOptions, error) {
	o := &srunOptions{}
	add := func(opt *srunOpt, val string) {
		a := "--" + opt.long
		if opt.arg {
			a += "=" + val
		}
		switch opt.where {
		case srunJob:
			o.JobArgs = append(o.JobArgs, a)
		case srunStep:
			o.StepArgs = append(o.StepArgs, a)
		case srunBoth:
			o.JobArgs = append(o.JobArgs, a)
			o.StepArgs = append(o.StepArgs, a)
		}
		if opt.long == "job-name" {
			o.jobName = true
		}
	}
	// -h, --help, --usage, -V and --version count only as words of their own.
	info := map[string]func(){
		"-h": func() { o.help = true }, "--help": func() { o.help = true }, "--usage": func() { o.help = true },
		"-V": func() { o.version = true }, "--version": func() { o.version = true },
	}
	cfg := srunGetopt()
	res, err := cfg.Parse(args, func(g getopt.Opt) error {
		if g.Index >= len(srunOpts) {
			if set, ok := info[args[g.Word]]; ok && args[g.Word] == g.Name {
				set()
				return errInfo
			}
			if g.Col > 0 {
				return fmt.Errorf("invalid option -- '%c'", args[g.Word][g.Col])
			}
			return fmt.Errorf("unrecognized option '%s'", args[g.Word])
		}
		add(&srunOpts[g.Index], g.Value)
		return nil
	}, nil)
	var ge *getopt.Error
	switch {
	case errors.Is(err, errInfo):
		return o, nil
	case errors.As(err, &ge) && (ge.Kind == getopt.Unrecognized && !ge.Short || ge.Kind == getopt.NoArgAllowed && ge.Option >= len(srunOpts)):
		return nil, fmt.Errorf("unrecognized option '%s'", ge.Text)
	case err != nil:
		return nil, err
	}
	o.command = args[res.Rest:]
	if res.Rest == len(args) && !res.DashDash {
		o.command = nil
	}
	return o, nil
}

// Script is the batch script that runs the step: the job's srun
// with the step's options and the command, each word quoted.
func Script(o *srunOptions) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# This script was created by hpcbridge srun.\n\nexec srun")
	for _, w := range append(append(o.StepArgs, "--"), o.command...) {
		b.WriteByte(' ')
		b.WriteString(shellQuote(w))
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// shellQuote quotes w for sh when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./,:@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

const srunUsage = `Usage: srun [OPTIONS...] executable [args...]

hpcbridge's srun outside a job submits a one-step job, streams its output
and exits with its exit code; inside a job, the srun on the job's PATH
launches steps. Standard input is not forwarded (use -i FILE).
`

// Main is the srun personality of the binary (the submit host's srun).
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	o, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintf(s.Err, "srun: %v\nTry \"srun --help\" for more information\n", err)
		return slurm.ExitSbatchOptions
	}
	switch {
	case o.help:
		fmt.Fprint(s.Out, srunUsage)
		for _, opt := range srunOpts {
			if opt.short != 0 {
				fmt.Fprintf(s.Out, "  -%c, --%s\n", opt.short, opt.long)
			} else {
				fmt.Fprintf(s.Out, "      --%s\n", opt.long)
			}
		}
		return slurm.ExitOK
	case o.version:
		fmt.Fprintf(s.Out, "slurm %s\n", slurm.Version)
		return slurm.ExitOK
	case len(o.command) == 0:
		fmt.Fprintln(s.Err, "srun: fatal: No command given to execute.")
		return slurm.ExitRejected
	}
	if job, ok := slurm.LookupEnv(s.Env, "SLURM_JOB_ID"); ok && job != "" {
		fmt.Fprintf(s.Err, "srun: error: inside job %s (SLURM_JOB_ID is set) this srun cannot add a step to it: "+
			"hpcbridge jobs launch steps with the srun on the job's PATH; unset SLURM_JOB_ID to submit a new job\n", job)
		return slurm.ExitRejected
	}
	client, ok := slurm.Open(s, d, "srun", "Unable to allocate resources")
	if !ok {
		return slurm.ExitRejected
	}
	cwd, err := d.Getwd()
	if err != nil {
		fmt.Fprintf(s.Err, "srun: error: getcwd failed: %v\n", err)
		return slurm.ExitRejected
	}
	host, _ := d.Hostname()
	ctx, stop := signal.NotifyContext(slurm.Context(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return runSrun(ctx, o, client, s, d, cwd, host)
}

// outputReader streams a job's output (api.Client.Output).
type outputReader interface {
	Output(ctx context.Context, ref, stream string, follow bool, w io.Writer) error
}

// runSrun submits the step's job, streams its output and returns its exit
// status; a cancelled ctx (a signal) cancels the job.
func runSrun(ctx context.Context, o *srunOptions, client slurm.Client, s slurm.Streams, d slurm.Deps, cwd, host string) int {
	args := append([]string(nil), o.JobArgs...)
	if !o.jobName {
		// As srun: the job is named after the command.
		args = append(args, "--job-name="+filepath.Base(o.command[0]))
	}
	// The step's output reaches the coordinator's stdout and stderr
	// streams; no file is left in the working directory. (Two names that
	// discard writes: one name for both would merge stderr into stdout.)
	args = append(args, "--output=/dev/null", "--error=/dev/zero")
	script := Script(o)
	now := d.Now()
	spec, diags := jobspec.Parse(jobspec.Input{Script: script, Args: args, Now: now, MaxArraySize: slurmcli.MaxArraySize})
	for _, dg := range diags {
		fmt.Fprintf(s.Err, "srun: %s: %s\n", dg.Severity, dg.Msg)
	}
	if spec == nil {
		return slurm.ExitRejected
	}
	// srun reads no SBATCH_* variables: the coordinator must not either.
	var env []string
	for _, kv := range slurmcli.ExportEnv(s.Env, spec.Export) {
		if !strings.HasPrefix(kv, "SBATCH_") {
			env = append(env, kv)
		}
	}
	user, _ := d.CurrentUser()
	resp, err := client.Submit(ctx, &api.SubmitRequest{Script: script, Args: args, Env: env, Cwd: cwd, SubmitHost: host,
		TimeZone: slurmcli.ZoneName(s.Env, d.Loc, now), User: user})
	if err != nil {
		fmt.Fprintf(s.Err, "srun: error: Unable to allocate resources: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	ref := fmt.Sprint(resp.JobID)
	w := &srunWaiter{client: client, ref: ref, sleep: d.Sleep}
	// Until the job runs on a node there is no output to follow.
	_, err = w.until(ctx, func(j *state.Job) bool {
		return j.State.Terminal() || j.NodeList != "" && j.State != state.StatePending
	})
	if err != nil {
		return w.abort(ctx, s, err)
	}
	if or, ok := client.(outputReader); ok {
		var wg sync.WaitGroup
		for _, st := range []struct {
			name string
			w    io.Writer
		}{{"stdout", s.Out}, {"stderr", s.Err}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.follow(ctx, or, st.name, st.w)
			}()
		}
		wg.Wait()
	}
	j, err := w.until(ctx, func(j *state.Job) bool { return j.State.Terminal() })
	if err != nil {
		return w.abort(ctx, s, err)
	}
	return srunExit(j, s.Err)
}

// srunExit is srun's exit status for the ended job: the step's exit code
// (the job's batch script is the step), 128+N for a signal, and for a job
// that ended without an exit of its own (cancelled, timed out) a message
// and 1 at least.
func srunExit(j *state.Job, w io.Writer) int {
	switch {
	case j.ExitSignal != 0:
		return 128 + j.ExitSignal
	case j.State == state.StateCompleted || j.State == state.StateFailed:
		return j.ExitCode
	}
	fmt.Fprintf(w, "srun: error: job %s ended %s\n", j.SlurmID(), j.State)
	return max(j.ExitCode, 1)
}

// srunWaiter follows one job.
type srunWaiter struct {
	client slurm.Client
	ref    string
	sleep  func(ctx context.Context, d time.Duration) error
}

// until follows the job with blocking queries until cond holds.
func (w *srunWaiter) until(ctx context.Context, cond func(*state.Job) bool) (*state.Job, error) {
	var idx uint64
	for {
		j, meta, err := w.client.Job(ctx, w.ref, &api.QueryOptions{WaitIndex: idx, WaitTime: 30 * time.Second})
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && slurm.IsTransport(err):
			if err := w.sleep(ctx, time.Second); err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, err
		case cond(j):
			return j, nil
		}
		if meta == nil || meta.LastIndex == idx {
			if err := w.sleep(ctx, 500*time.Millisecond); err != nil {
				return nil, err
			}
		}
		if meta != nil {
			idx = meta.LastIndex
		}
	}
}

// follow copies one output stream until the job ends; it asks again while
// the coordinator has nothing yet (the allocation not known to it).
func (w *srunWaiter) follow(ctx context.Context, or outputReader, stream string, out io.Writer) {
	for ctx.Err() == nil {
		cw := &countingWriter{w: out}
		err := or.Output(ctx, w.ref, stream, true, cw)
		var ae *api.Error
		if err == nil || cw.n > 0 || !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
			return
		}
		j, _, jerr := w.client.Job(ctx, w.ref, nil)
		if jerr != nil || j.State.Terminal() {
			// Once more: the archive may have the ended job's output now.
			_ = or.Output(ctx, w.ref, stream, false, out)
			return
		}
		if w.sleep(ctx, 500*time.Millisecond) != nil {
			return
		}
	}
}

// abort handles a wait that ended early: a signal cancels the job, as
// srun's does; other errors are reported.
func (w *srunWaiter) abort(ctx context.Context, s slurm.Streams, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintf(s.Err, "srun: forcing job termination\nsrun: Job step aborted\n")
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, cerr := w.client.Cancel(cctx, &api.CancelRequest{Refs: []string{w.ref}}); cerr != nil {
			fmt.Fprintf(s.Err, "srun: error: cancel job %s: %s\n", w.ref, slurm.APIMessage(cerr))
		}
		return 128 + int(syscall.SIGINT)
	}
	fmt.Fprintf(s.Err, "srun: error: job %s: %s\n", w.ref, slurm.APIMessage(err))
	return slurm.ExitRejected
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
