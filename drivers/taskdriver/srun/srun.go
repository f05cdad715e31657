// Package srun is the srun command inside an hpcbridge batch job: the
// plugin binary started under the name srun (a link in the job's PATH). It
// launches one job step on the job's node: --ntasks copies of a command,
// each with Slurm's step and task variables, in a process group of their
// own that the driver's "steps" signals reach, with -o/-e/-i naming files
// by Slurm's patterns (per task with %t) or "none" or one task's id, and
// exits as Slurm's srun
// does: 0 when every task succeeded, 128+N when a task was killed by signal
// N, else the highest exit code.
package srun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// Name is argv[0] (base name) that selects this personality.
const Name = "srun"

// Version is printed by srun --version.
var Version = "hpcbridge"

// Main runs srun with its arguments (without argv[0]) and returns its exit
// status.
func Main(args []string) int {
	return run(args, os.Stdin, os.Stdout, os.Stderr)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "srun: %v\nTry \"srun --help\" for more information\n", err)
			return 255
		}
		fmt.Fprintf(stderr, "srun: error: %v\n", err)
		return 1
	}
	switch {
	case o.help:
		fmt.Fprintf(stdout, "Usage: srun [OPTIONS...] executable [args...]\n\nhpcbridge's srun runs one job step on the job's node. Options:\n%s", supported())
		return 0
	case o.version:
		fmt.Fprintf(stdout, "slurm %s\n", Version)
		return 0
	case len(o.command) == 0:
		fmt.Fprintf(stderr, "srun: fatal: No command given to execute.\n")
		return 1
	}
	job := os.Getenv("SLURM_JOB_ID")
	stepsDir := os.Getenv(jobdir.EnvStepsDir)
	if job == "" || stepsDir == "" {
		fmt.Fprintf(stderr, "srun: error: not inside an hpcbridge batch job (SLURM_JOB_ID or %s unset): srun here only launches steps of a running job\n", jobdir.EnvStepsDir)
		return 1
	}
	if sn, multi, err := readStepNet(stepsDir); multi {
		if err != nil {
			fmt.Fprintf(stderr, "srun: error: %v\n", err)
			return 1
		}
		return runMulti(o, job, stepsDir, sn, stdin, stdout, stderr)
	}
	if err := o.checkOneNode(); err != nil {
		fmt.Fprintf(stderr, "srun: error: %v\n", err)
		return 1
	}
	st, err := newStep(o, job)
	if err != nil {
		fmt.Fprintf(stderr, "srun: error: %v\n", err)
		return 1
	}
	if st.id, err = jobdir.NextStepID(stepsDir); err != nil {
		fmt.Fprintf(stderr, "srun: error: Unable to create step for job %s: %v\n", job, err)
		return 1
	}
	writeStart(stepsDir, st.id, o.stepName(), st.node, 1, st.ntasks)
	code := st.launch(stepsDir, stdin, stdout, stderr)
	writeEnd(stepsDir, st.id, code, false)
	return code
}

// step is one srun invocation.
type step struct {
	opts   *options
	job    string
	node   string
	id     int
	ntasks int
	cpus   int // per task
	gpus   gpuPlan
	// rankNode and nodeNames, in a multi-node step: each rank's node
	// index in the step, and the step's node names.
	rankNode  []int
	nodeNames []string
}

// newStep fills in the defaults from the job and checks that the step fits
// the CPUs the job has on the node, as slurmctld does.
func newStep(o *options, job string) (*step, error) {
	st := &step{opts: o, job: job, node: os.Getenv("SLURMD_NODENAME")}
	st.ntasks = o.ntasks
	if st.ntasks == 0 {
		st.ntasks = envInt("SLURM_NTASKS", 1)
	}
	st.cpus = o.cpusPerTask
	if st.cpus == 0 {
		st.cpus = envInt("SLURM_CPUS_PER_TASK", 1)
	}
	if have := envInt("SLURM_CPUS_ON_NODE", 0); have > 0 && !o.overcommit && st.ntasks*st.cpus > have {
		// slurmctld's words, to the letter: tools and users match them.
		return nil, fmt.Errorf("Unable to create step for job %s: More processors requested than permitted", job)
	}
	var err error
	if st.gpus, err = planGPUs(o, st.ntasks, job, os.Getenv); err != nil {
		return nil, err
	}
	return st, nil
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// launch starts the tasks, forwards signals to them, waits for them and
// reports as srun does.
func (st *step) launch(stepsDir string, stdin io.Reader, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "srun: error: cannot find own executable: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 8)
	forwarded := []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGCONT}
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)

	tio := newTaskIO(st.ntasks, st.opts.label, stdin, stdout, stderr)
	tio.unbuffered = st.opts.unbuffered
	dir := st.opts.chdir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	tio.redirect(st.opts.input, st.opts.output, st.opts.errorPat, st.fileVars, newStepFiles(dir, openAppend(st.opts.openMode)))
	cmds := make([]*exec.Cmd, 0, st.ntasks)
	pgid := 0
	for rank := 0; rank < st.ntasks; rank++ {
		cmd := &exec.Cmd{
			Path:        exe,
			Args:        append([]string{proc.ExecName}, proc.ExecArgs(proc.ExecTask, "", "", st.opts.command)...),
			Env:         st.env(rank),
			Dir:         st.opts.chdir,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pgid: pgid},
		}
		err := tio.attach(cmd, rank)
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			var oe *openError
			if errors.As(err, &oe) {
				fmt.Fprintf(stderr, "srun: error: %v\n", err)
			} else {
				fmt.Fprintf(stderr, "srun: error: task %d launch failed: %v\n", rank, err)
			}
			if pgid != 0 {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
			for _, c := range cmds {
				_ = c.Wait()
			}
			tio.close()
			return 1
		}
		if pgid == 0 {
			pgid = cmd.Process.Pid
		}
		cmds = append(cmds, cmd)
	}
	if err := jobdir.RegisterStep(stepsDir, st.id, pgid); err != nil {
		fmt.Fprintf(stderr, "srun: warning: %v (signals to the job's steps will miss this one)\n", err)
	}
	defer jobdir.UnregisterStep(stepsDir, st.id)
	tio.started()

	// Task 0 leads the step's process group: it is reaped only after the
	// last signal to the group, so that the group's number stays reserved.
	type exit struct {
		rank int
		ok   bool
	}
	exits := make(chan exit, len(cmds))
	for rank, cmd := range cmds {
		go func() {
			if rank == 0 {
				ok, _ := proc.WaitExited(cmd.Process.Pid)
				exits <- exit{rank, ok}
				return
			}
			_ = cmd.Wait()
			exits <- exit{rank, cmd.ProcessState.Success()}
		}()
	}
	for left := len(cmds); left > 0; {
		select {
		case sig := <-sigs:
			_ = syscall.Kill(-pgid, sig.(syscall.Signal))
		case e := <-exits:
			left--
			if st.opts.killOnBad && !e.ok {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
		}
	}
	// Like a step's slurmstepd, end what the tasks left behind in their
	// process group, so that their output pipes close.
	jobdir.UnregisterStep(stepsDir, st.id)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = cmds[0].Wait()
	tio.close()
	states := make([]*os.ProcessState, len(cmds))
	for rank, cmd := range cmds {
		states[rank] = cmd.ProcessState
	}
	return st.report(states, stderr)
}

// env is task rank's environment: srun's own, filtered by --export, with
// the step's and the task's Slurm variables.
func (st *step) env(rank int) []string {
	env := exportEnv(os.Environ(), st.opts.export)
	n := strconv.Itoa(st.ntasks)
	gtids := make([]string, st.ntasks)
	for i := range gtids {
		gtids[i] = strconv.Itoa(i)
	}
	// As Slurm 22.05 sets them (checked against its srun): the CPU and
	// task counts of the node are the step's; the distribution is block
	// for several tasks on the one node, cyclic for one.
	dist := "cyclic"
	if st.ntasks > 1 {
		dist = "block"
	}
	set := map[string]string{
		"SLURM_STEP_ID":             strconv.Itoa(st.id),
		"SLURM_STEPID":              strconv.Itoa(st.id),
		"SLURM_STEP_NUM_TASKS":      n,
		"SLURM_STEP_NUM_NODES":      "1",
		"SLURM_STEP_NODELIST":       st.node,
		"SLURM_STEP_TASKS_PER_NODE": n,
		"SLURM_TASKS_PER_NODE":      n,
		"SLURM_NTASKS":              n,
		"SLURM_NPROCS":              n,
		"SLURM_CPUS_ON_NODE":        strconv.Itoa(st.ntasks * st.cpus),
		"SLURM_PROCID":              strconv.Itoa(rank),
		"SLURM_LOCALID":             strconv.Itoa(rank),
		"SLURM_NODEID":              "0",
		"SLURM_GTIDS":               strings.Join(gtids, ","),
		"SLURM_DISTRIBUTION":        dist,
		"SLURM_UMASK":               umask(),
	}
	if st.opts.cpusPerTask > 0 || os.Getenv("SLURM_CPUS_PER_TASK") != "" {
		set["SLURM_CPUS_PER_TASK"] = strconv.Itoa(st.cpus)
	}
	if v := os.Getenv("SLURM_JOB_CPUS_PER_NODE"); v != "" {
		set["SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0"] = v
	}
	if st.opts.label {
		set["SLURM_LABELIO"] = "1"
	}
	if st.opts.jobName != "" {
		set["SLURM_JOB_NAME"] = st.opts.jobName
	}
	unset := map[string]bool{"SLURM_TASK_PID": true}
	for _, k := range st.gpus.env(rank, set) {
		unset[k] = true
	}
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok && !unset[k] {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

// exportEnv applies srun's --export to env: ALL (the default) keeps all of
// it; NONE keeps only the SLURM_* variables; otherwise a comma-separated
// list of NAME (kept from env) and NAME=value (set), preceded by ALL to
// keep everything else too.
func exportEnv(env []string, export string) []string {
	if export == "" || strings.EqualFold(export, "ALL") {
		return env
	}
	items := strings.Split(export, ",")
	keepAll := false
	if strings.EqualFold(items[0], "ALL") {
		keepAll, items = true, items[1:]
	} else if strings.EqualFold(items[0], "NONE") {
		items = items[1:]
	}
	have := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		have[k] = v
	}
	out := make(map[string]string)
	for k, v := range have {
		if keepAll || strings.HasPrefix(k, "SLURM_") || k == jobdir.EnvStepsDir {
			out[k] = v
		}
	}
	for _, it := range items {
		if k, v, ok := strings.Cut(it, "="); ok {
			out[k] = v
		} else if v, ok := have[it]; ok {
			out[it] = v
		}
	}
	list := make([]string, 0, len(out))
	for k, v := range out {
		list = append(list, k+"="+v)
	}
	return list
}

// umask reads the process umask as srun reports it (four octal digits).
func umask() string {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fmt.Sprintf("%04o", m)
}
