// Package stepd is the batch-step shim of the hpcbridge task driver: what
// Nomad's executor starts for a job, in the role slurmstepd plays for a
// Slurm batch job. It runs as root inside the task's cgroups and:
//
//   - picks the working directory and opens the job's output, error and
//     input files with the run-as user's permissions;
//   - starts the batch script as that user, in a session (and process
//     group) of its own, through its #! interpreter (/bin/sh without one);
//   - copies the script's stdout and stderr into the Slurm files and to its
//     own stdout and stderr, which the executor connects to Nomad's logs;
//   - delivers the driver's signal and stop requests to the batch shell,
//     the srun steps or the whole job (see jobdir.Scope);
//   - when the script ends, kills what is left of the job (as Slurm does at
//     the end of a batch step), reports out-of-memory kills, and ends the
//     way the script ended: the same exit code, or killed by the same
//     signal, so that Nomad's exit result carries it.
package stepd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// Arg is the first argument that selects this personality of the plugin
// binary: `hpcbridge-driver stepd CONFIG`.
const Arg = "stepd"

const (
	// DefaultKillWait is how long a job stopped by a plain signal to stepd
	// (not a driver request) has between SIGTERM and SIGKILL: Slurm's
	// default KillWait.
	DefaultKillWait = 30 * time.Second
	// timeLimitSlack is how early before the time limit a stop still
	// counts as the time limit (the coordinator's clock and Nomad's
	// start time are not ours).
	timeLimitSlack = 5 * time.Second
	// drainWait bounds the wait for the job's output after the script
	// ended and its leftovers were killed (a process that left the job's
	// session may still hold the pipes).
	drainWait = 5 * time.Second
	// logQueueBytes is how much output waits for Nomad's log reader.
	logQueueBytes = 4 << 20
)

// caught are the signals stepd handles. WakeSignal announces requests,
// SIGPIPE is caught so that a vanished Nomad log reader costs output, not
// the job; the others stop the job. Signals stepd does not catch keep
// their default action, and the script gets every disposition at default.
var caught = []os.Signal{
	jobdir.WakeSignal, syscall.SIGPIPE,
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM,
}

// Main runs the shim with the arguments after Arg (the config path). It
// returns the exit code for the caller to exit with, unless the script was
// killed by a signal: then the process dies by that signal first.
func Main(args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "hpcbridge stepd: want one argument, the config file; got %q\n", args)
		return 2
	}
	var c jobdir.StepdConfig
	if err := jobdir.ReadJSON(args[0], &c); err != nil {
		fmt.Fprintf(os.Stderr, "hpcbridge stepd: %v\n", err)
		return 1
	}
	res := run(&c)
	if res.Signal != 0 {
		proc.DieBySignal(syscall.Signal(res.Signal))
		return 128 + res.Signal
	}
	return res.ExitCode
}

// shim is one run of the batch script.
type shim struct {
	cfg    *jobdir.StepdConfig
	layout jobdir.Layout

	// nomadOut and nomadErr feed Nomad's log fifos.
	nomadOut, nomadErr *logQueue
	// msgs carries slurmstepd's messages: the job's error file and Nomad's
	// stderr.
	msgs io.Writer

	batchPID int
	// jobScore is the OOM score the job's processes get (protectSelf).
	jobScore string
	// server is the step service of a multi-node job (nil otherwise).
	server *stepServer
	// stopping is set by the first stop; kill fires SIGKILL at killAt.
	stopping bool
	kill     *time.Timer
	killAt   time.Time
}

func run(c *jobdir.StepdConfig) jobdir.Result {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, caught...)
	applyUmask(c.Umask)

	s := &shim{
		cfg:      c,
		layout:   jobdir.Layout{TaskDir: c.TaskDir},
		nomadOut: newLogQueue(os.Stdout, logQueueBytes),
		nomadErr: newLogQueue(os.Stderr, logQueueBytes),
	}
	defer s.nomadOut.Close(2 * time.Second)
	defer s.nomadErr.Close(2 * time.Second)

	res := s.execute(sigs)
	if err := jobdir.WriteJSON(s.layout.ResultFile(), res); err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: record the result: %v\n", err)
	}
	return res
}

// execute starts the script, serves requests and signals until it ends,
// and cleans up after it.
func (s *shim) execute(sigs <-chan os.Signal) jobdir.Result {
	c := s.cfg
	if err := joinDeviceCgroup(c.DeviceCgroup); err != nil {
		s.msgs = s.nomadErr
		msg := fmt.Sprintf("GPU device isolation: cannot join the job's devices cgroup, so the job is not started: %v", err)
		s.errorf("%s", msg)
		return jobdir.Result{ExitCode: 1, Error: msg}
	}
	s.jobScore = protectSelf()
	// A sandboxed job's limits hold before its first process exists.
	if err := applyLimits(c.Limits); err != nil {
		s.msgs = s.nomadErr
		msg := fmt.Sprintf("%v, so the job is not started", err)
		s.errorf("%s", msg)
		return jobdir.Result{ExitCode: 1, Error: msg}
	}
	if c.Multi != nil {
		res, batch := s.multiStart(sigs)
		if !batch {
			return res
		}
		defer s.server.close()
	}
	id := identity{uid: c.UID, gid: c.GID, groups: c.Groups}
	files, err := openStdio(c, id)
	if err != nil {
		s.msgs = s.nomadErr
		s.errorf("%s", err)
		return jobdir.Result{ExitCode: 1, Error: err.Error()}
	}
	defer files.close()

	errFile := &lockedWriter{w: files.err}
	outFile := errFile
	if files.err != files.out {
		outFile = &lockedWriter{w: files.out}
	}
	fail := func(name string) func(error) {
		return func(err error) {
			fmt.Fprintf(s.nomadErr, "%s: error: write %s file: %s (output continues in the Nomad log only)\n",
				proc.StepdName(c.Node), name, proc.Strerror(err))
		}
	}
	s.msgs = &tee{file: errFile, nomad: s.nomadErr, fail: fail("stderr")}
	if files.warning != "" {
		s.errorf("%s", files.warning)
	}

	oom := newOOMCounter()
	oomBefore := oom.kills()

	cmd, pipes, err := s.start(files, id, s.jobScore)
	if err != nil {
		msg := fmt.Sprintf("cannot start the batch script as user %s: %s", c.User, startHint(err))
		s.errorf("%s", msg)
		return jobdir.Result{ExitCode: 1, Error: msg}
	}
	s.batchPID = cmd.Process.Pid

	var copiers sync.WaitGroup
	copyTo := func(r *os.File, w io.Writer) {
		copiers.Add(1)
		go func() {
			defer copiers.Done()
			_, _ = io.Copy(w, r)
		}()
	}
	copyTo(pipes.out, &tee{file: outFile, nomad: s.nomadOut, fail: fail("stdout")})
	if pipes.err != nil {
		copyTo(pipes.err, &tee{file: errFile, nomad: s.nomadErr, fail: fail("stderr")})
	}

	// The shell is not reaped until its leftovers are killed: its pid,
	// which numbers the job's session, stays reserved meanwhile.
	exited := make(chan struct{})
	go func() {
		_, _ = proc.WaitExited(s.batchPID)
		close(exited)
	}()

	s.supervise(sigs, exited)

	// The batch script is over: like Slurm at the end of a batch step,
	// kill whatever it left running, then collect its last output.
	s.signalSession(syscall.SIGKILL)
	_ = cmd.Wait()
	state := cmd.ProcessState
	drained := make(chan struct{})
	go func() { copiers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainWait):
		pipes.close() // a process outside the session holds the pipe
		<-drained
	}
	pipes.close()

	res := jobdir.Result{OOMKills: oom.kills() - oomBefore}
	if res.OOMKills < 0 {
		res.OOMKills = 0
	}
	if res.OOMKills > 0 {
		s.errorf("Detected %d oom-kill event(s) in StepId=%s.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.",
			res.OOMKills, c.JobID)
	}
	ws := state.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		res.Signal = int(ws.Signal())
		res.ExitCode = 128 + res.Signal
	default:
		res.ExitCode = ws.ExitStatus()
	}
	return res
}

// supervise serves requests and signals until the batch script exits.
func (s *shim) supervise(sigs <-chan os.Signal, exited <-chan struct{}) {
	s.serveRequests() // those queued before stepd listened
	var killC <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case jobdir.WakeSignal:
				s.serveRequests()
			case syscall.SIGPIPE:
			default:
				s.stop(sig.(syscall.Signal), DefaultKillWait)
			}
		case <-killC:
			s.signalSession(syscall.SIGKILL)
			s.server.signalAll(syscall.SIGKILL)
			killC = nil
		case <-exited:
			return
		}
		if s.kill != nil && killC == nil {
			killC = s.kill.C
		}
	}
}

// pipes are the read ends of the script's stdout and stderr (err is nil
// when both go to one file).
type pipes struct {
	out, err *os.File
}

func (p pipes) close() {
	p.out.Close()
	if p.err != nil {
		p.err.Close()
	}
}

// start starts the batch script through the exec trampoline, as the run-as
// user, in a new session, in the chosen working directory.
func (s *shim) start(files *stdio, id identity, oomScore string) (*exec.Cmd, pipes, error) {
	c := s.cfg
	var p pipes
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, p, err
	}
	p.out = outR
	stderrW := outW
	if files.err != files.out {
		if p.err, stderrW, err = os.Pipe(); err != nil {
			p.close()
			outW.Close()
			return nil, p, err
		}
	}
	argv := append(append([]string(nil), c.Interpreter...), c.Script)
	argv = append(argv, c.Args...)
	cmd := &exec.Cmd{
		Path:   c.Exec,
		Env:    withEnv(c.Env, "PWD", files.workdir),
		Dir:    files.workdir,
		Stdin:  files.in,
		Stdout: outW,
		Stderr: stderrW,
		SysProcAttr: &syscall.SysProcAttr{
			Setsid: true,
		},
	}
	closePayload, err := viaTrampoline(c, cmd, proc.ExecBatch, c.Script, oomScore, argv, id.groups)
	if err == nil {
		err = cmd.Start()
		closePayload()
	}
	outW.Close()
	if stderrW != outW {
		stderrW.Close()
	}
	if err != nil {
		p.close()
		return nil, pipes{}, err
	}
	return cmd, p, nil
}

// startHint explains a failure to start the trampoline, which is almost
// always a directory on the way to the task directory that the run-as user
// cannot enter.
func startHint(err error) string {
	msg := proc.Strerror(err)
	if errors.Is(err, syscall.EACCES) {
		msg += " (every directory above the Nomad task directory must be searchable by the run-as user: check the mode of the client's data_dir, e.g. 0711)"
	}
	return msg
}

// errorf writes one of slurmstepd's error lines.
func (s *shim) errorf(format string, args ...any) {
	fmt.Fprintf(s.msgs, "%s: error: %s\n", proc.StepdName(s.cfg.Node), fmt.Sprintf(format, args...))
}

// withEnv sets key=value in env, replacing an earlier setting.
func withEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// joinDeviceCgroup moves stepd into the devices cgroup (v1) the driver
// made for the job, before anything of the job runs: the job's processes
// are born in it and, unprivileged, cannot leave it. "" is none (cgroup v2,
// where the driver attached the rule to the task's cgroup itself).
func joinDeviceCgroup(dir string) error {
	if dir == "" {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0)
}

// applyUmask sets the umask the job was submitted with (SLURM_UMASK, as
// sbatch records it, from stepd's configuration: stepd reads nothing from
// its environment); files stepd creates and the script inherit it. A
// negative mask means none was given.
func applyUmask(m int) {
	if m >= 0 && m <= 0o777 {
		syscall.Umask(m)
	}
}

// protectSelf keeps the out-of-memory killer away from stepd, which must
// outlive the job to report how it ended, and returns the score the job
// should have (the one the executor gave stepd); the exec trampoline
// restores it for the script. It returns "" when the score is unknown.
func protectSelf() string {
	const file = "/proc/self/oom_score_adj"
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	if err := os.WriteFile(file, []byte("-1000"), 0o644); err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
