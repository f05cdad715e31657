package slurm

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// MinJobAge is how long a finished job stays visible to squeue and
// scontrol after it ends: Slurm's default MinJobAge (300 s). Older jobs
// are only in the accounting history (sacct), as in Slurm.
const MinJobAge = 300 * time.Second

// noValTask is the array index Slurm prints for an array's pending
// remainder in file names (NO_VAL).
const noValTask = 4294967294

// UserInfo resolves user names to ids and groups, remembering answers.
type UserInfo struct {
	lookup func(name string) (uid, gid int, group string, ok bool)
	cache  map[string]userIDs
}

type userIDs struct {
	Uid, Gid int
	Group    string
	ok       bool
}

// NewUserInfo returns a resolver that asks lookup (nil: knows nobody).
func NewUserInfo(lookup func(string) (int, int, string, bool)) *UserInfo {
	return &UserInfo{lookup: lookup, cache: map[string]userIDs{}}
}

// Get returns the ids of name; unknown users get Slurm's NO_VAL ids and
// their own name as group.
func (u *UserInfo) Get(name string) userIDs {
	if ids, ok := u.cache[name]; ok {
		return ids
	}
	ids := userIDs{Uid: noValTask, Gid: noValTask, Group: name}
	if u.lookup != nil {
		if uid, gid, group, ok := u.lookup(name); ok {
			ids = userIDs{Uid: uid, Gid: gid, Group: group, ok: true}
		}
	}
	u.cache[name] = ids
	return ids
}

// JobView computes what the Slurm commands print about one job. The spec
// is the job's parsed submission; jobs without one (never, in practice)
// print Slurm's defaults.
type JobView struct {
	Job   *state.Job
	Sub   *state.Submission
	Spec  *jobspec.Spec
	Now   time.Time
	tf    timeFormat
	Users *UserInfo
	prios map[uint64]int64
}

// Configuring reports whether j is a job the coordinator started that no
// node has taken yet (Nomad has not placed it): Slurm's CONFIGURING, a job
// whose nodes are not ready, whose time limit does not run yet.
func Configuring(j *state.Job) bool { return j.State == state.StateRunning && j.NodeList == "" }

// StateLong and stateShort are the job's state as squeue's %T and %t and
// scontrol's JobState print it.
func (v JobView) StateLong() string {
	if Configuring(v.Job) {
		return "CONFIGURING"
	}
	return string(v.Job.State)
}

// StateShort is the state's short code (squeue %t).
func (v JobView) StateShort() string {
	if Configuring(v.Job) {
		return "CF"
	}
	return v.Job.State.Short()
}

// ViewCtx is what every jobView of one command run shares.
type ViewCtx struct {
	Now   time.Time
	TF    timeFormat
	Users *UserInfo
	// Priorities are the scheduler's priorities by job id
	// (SchedulerPriorities); nil: priority/basic's.
	Priorities map[uint64]int64
}

// View is the printable view of j.
func (c *ViewCtx) View(j *state.Job) JobView {
	v := JobView{Job: j, Sub: j.Submission, Now: c.Now, tf: c.TF, Users: c.Users, prios: c.Priorities}
	if v.Sub != nil {
		v.Spec = v.Sub.Spec
	}
	return v
}

// Visible reports whether squeue and scontrol still show a job: every job
// that has not finished, and finished jobs for minJobAge after their end.
func Visible(j *state.Job, now time.Time) bool {
	if !j.State.Terminal() {
		return true
	}
	return j.EndTime.IsZero() || now.Sub(j.EndTime) <= MinJobAge
}

// PendingBase reports whether the record is an array's pending remainder.
func (v JobView) PendingBase() bool { return v.Job.IsArrayBase() }

// ID is the job id as squeue prints it: 123, 123_7 or 123_[1-5%2].
func (v JobView) ID() string { return v.Job.SlurmID() }

// ArrayJobID is %F: the array's job id, or the job id.
func (v JobView) ArrayJobID() uint64 {
	if v.Job.ArrayJobID != 0 {
		return v.Job.ArrayJobID
	}
	return v.Job.ID
}

// ArrayTaskString is %K: N/A, a task index, or the pending remainder.
func (v JobView) ArrayTaskString() string {
	switch {
	case v.Job.ArrayJobID == 0:
		return "N/A"
	case v.Job.ArrayTaskID != state.NoTask:
		return strconv.Itoa(v.Job.ArrayTaskID)
	}
	s := v.Job.Pending.String()
	if t := v.Job.Throttle(); t > 0 {
		s += fmt.Sprintf("%%%d", t)
	}
	return s
}

// held reports whether the job is (or was, when it ended) held.
func (v JobView) held() bool { return v.Job.Hold != state.HoldNone }

// Priority is %Q: 0 for held jobs, as Slurm zeroes a held job's priority;
// the scheduler's when the view has it (SchedulerPriorities).
func (v JobView) Priority() int64 {
	if v.held() {
		return 0
	}
	if p, ok := v.prios[v.Job.ID]; ok {
		return p
	}
	return v.Job.Priority()
}

// Reason is %r: why a pending job waits, or why a finished one failed.
func (v JobView) Reason() string {
	switch v.Job.State {
	case state.StateFailed:
		if v.Job.Reason != "" && v.Job.Reason != state.ReasonNone {
			return v.Job.Reason // what the node said: it could not start the job
		}
		if v.Job.ExitCode == 0 && v.Job.ExitSignal != 0 {
			return fmt.Sprintf("RaisedSignal:%d(%s)", v.Job.ExitSignal, signalName(v.Job.ExitSignal))
		}
		return "NonZeroExitCode"
	case state.StateTimeout:
		return "TimeLimit"
	case state.StateNodeFail:
		return "NodeDown"
	case state.StateOutOfMemory:
		return "OutOfMemory"
	case state.StateCancelled:
		// A job cancelled while held keeps the hold as its reason.
		switch v.Job.Hold {
		case state.HoldUser:
			return state.ReasonHeldUser
		case state.HoldAdmin:
			return state.ReasonHeldAdmin
		}
	}
	if v.Job.Reason == "" {
		return state.ReasonNone
	}
	return v.Job.Reason
}

// ReasonList is %R: "(reason)" for pending, failed and timed-out jobs,
// otherwise the nodes.
func (v JobView) ReasonList() string {
	switch v.Job.State {
	case state.StatePending, state.StateFailed, state.StateTimeout:
		return "(" + v.Reason() + ")"
	}
	return v.Job.NodeList
}

// Used is the run time so far, in seconds.
func (v JobView) Used() int64 {
	if v.Job.StartTime.IsZero() || v.Job.State == state.StatePending {
		return 0
	}
	end := v.Now
	if !v.Job.EndTime.IsZero() {
		end = v.Job.EndTime
	}
	if end.Before(v.Job.StartTime) {
		return -1
	}
	return int64(end.Sub(v.Job.StartTime) / time.Second)
}

// TimeLeft is %L.
func (v JobView) TimeLeft() string {
	if v.Job.TimeLimitMin <= 0 {
		return "UNLIMITED"
	}
	left := int64(v.Job.TimeLimitMin)*60 - v.Used()
	if left < 0 {
		left = 0
	}
	return DurationShort(left)
}

// StartTime is %S: when the job started, or is expected to (its --begin).
func (v JobView) StartTime() time.Time {
	if v.Job.State == state.StatePending {
		if v.Job.Begin.After(v.Now) {
			return v.Job.Begin
		}
		return time.Time{}
	}
	return v.Job.StartTime
}

// EndTime is %e: when the job ended, or is expected to end.
func (v JobView) EndTime() time.Time {
	if v.Job.State.Terminal() {
		return v.Job.EndTime
	}
	start := v.StartTime()
	if start.IsZero() || v.Job.TimeLimitMin <= 0 {
		return time.Time{}
	}
	return start.Add(time.Duration(v.Job.TimeLimitMin) * time.Minute)
}

// EligibleTime is when the job could first run, as slurmctld records it:
// its --begin time when it has one; unknown while it is held, waits for
// a dependency or its array's task limit (and for a job cancelled while
// held); otherwise its submit time.
func (v JobView) EligibleTime() time.Time {
	if v.Job.Begin.After(v.Job.SubmitTime) {
		return v.Job.Begin
	}
	if v.held() {
		return time.Time{}
	}
	if v.Job.State == state.StatePending {
		switch v.Job.Reason {
		case state.ReasonDependency, state.ReasonDependencyNeverSatisfied, state.ReasonArrayTaskLimit:
			return time.Time{}
		}
	}
	return v.Job.SubmitTime
}

// NodesMin is the requested node count: -N, or, without it, the count of
// nodes --nodelist names (Slurm's minimum then).
func (v JobView) NodesMin() int {
	if v.Spec != nil && v.Spec.NodesMin == nil && v.Spec.Nodelist != nil && *v.Spec.Nodelist != "" {
		if names, err := hostlist.Expand(*v.Spec.Nodelist); err == nil && len(names) > 1 {
			return len(names)
		}
	}
	return v.Spec.MinNodes()
}

// Nodes is %D: the nodes allocated, or the minimum requested.
func (v JobView) Nodes() int {
	if v.Job.NodeList != "" {
		return hostCount(v.Job.NodeList)
	}
	return v.NodesMin()
}

// CPUsPerTask is -c (default 1).
func (v JobView) CPUsPerTask() int { return v.Spec.TaskCPUs() }

// Tasks is the task count.
func (v JobView) Tasks() int { return v.Spec.TaskCount() }

// CPUs is %C: the CPUs the job asks for. A pending job's leave out what
// --cpus-per-gpu adds, which Slurm 22.05 counts only when it allocates
// the job (the oracle: --gres=gpu:2 --cpus-per-gpu=4 is NumCPUs=1
// pending, 8 running; sbatch --test-only says 8).
func (v JobView) CPUs() int {
	if v.Job != nil && v.Job.State == state.StatePending && v.Spec != nil && v.Spec.CPUsPerGPU != nil {
		s := *v.Spec
		s.CPUsPerGPU = nil
		return s.CPUCount()
	}
	return v.Spec.CPUCount()
}

// gpus is the job's GPU count.
func (v JobView) gpus() int { return v.Spec.GPUCount() }

// MinCPUsNode is %c: the CPUs each node must have.
func (v JobView) MinCPUsNode() int { return v.Spec.MinCPUsPerNode() }

// MinMemory is %m: the memory per node (or per CPU) asked for; 0 for
// memory per GPU, which Slurm 22.05 shows in MEM_PER_TRES instead (the
// oracle: squeue %m is 0 and scontrol MinMemoryNode=0 with --mem-per-gpu).
func (v JobView) MinMemory() string {
	if v.Spec != nil {
		switch {
		case v.Spec.MemPerNodeMiB != nil:
			return MemString(*v.Spec.MemPerNodeMiB)
		case v.Spec.MemPerCPUMiB != nil:
			return MemString(*v.Spec.MemPerCPUMiB)
		}
	}
	return "0"
}

// MemTotal is the memory of the job's TRES: per node times nodes, or per
// CPU times CPUs; 0 when none was asked for.
func (v JobView) MemTotal() int64 {
	if v.Spec == nil {
		return 0
	}
	switch {
	case v.Spec.MemPerNodeMiB != nil:
		return *v.Spec.MemPerNodeMiB * int64(v.NodesMin())
	case v.Spec.MemPerCPUMiB != nil:
		return *v.Spec.MemPerCPUMiB * int64(v.CPUs())
	case v.Spec.MemPerGPUMiB != nil:
		return *v.Spec.MemPerGPUMiB * int64(v.gpus())
	}
	return 0
}

// gpuTres renders a GPU count with the job's GPU type: gres:gpu[:type]:N.
func (v JobView) gpuTres(n int) string {
	if v.Spec != nil && v.Spec.GPUType != nil && !strings.Contains(*v.Spec.GPUType, ",") {
		return fmt.Sprintf("gres:gpu:%s:%d", *v.Spec.GPUType, n)
	}
	return fmt.Sprintf("gres:gpu:%d", n)
}

// TRESPerNode is %b: the generic resources asked for per node.
func (v JobView) TRESPerNode() string {
	if v.Spec == nil {
		return ""
	}
	var parts []string
	gresGPU := false
	for _, g := range v.Spec.Gres {
		if strings.HasPrefix(g, "gpu") {
			gresGPU = true
		}
		parts = append(parts, "gres:"+g)
	}
	if !gresGPU && v.Spec.GPUsPerNode != nil {
		parts = append(parts, v.gpuTres(*v.Spec.GPUsPerNode))
	}
	return strings.Join(parts, ",")
}

// TRESPerJob is the --gpus request.
func (v JobView) TRESPerJob() string {
	if v.Spec == nil || v.Spec.GPUsPerJob == nil {
		return ""
	}
	return v.gpuTres(*v.Spec.GPUsPerJob)
}

// TRESPerTask is the --gpus-per-task request.
func (v JobView) TRESPerTask() string {
	if v.Spec == nil || v.Spec.GPUsPerTask == nil {
		return ""
	}
	return v.gpuTres(*v.Spec.GPUsPerTask)
}

// TRES is the job's trackable resources in TRES id order:
// cpu=8,mem=8G,node=1,billing=8, then gres/gpu=N for a GPU job, as Slurm
// prints them on a cluster that accounts GPUs (AccountingStorageTRES=
// gres/gpu, the assumption sacct's AllocTRES shares; the oracle's
// slurm.conf does not set it, so its TRES lacks gres/gpu).
func (v JobView) TRES() string {
	s := fmt.Sprintf("cpu=%d", v.CPUs())
	if m := v.MemTotal(); m > 0 {
		s += ",mem=" + MemString(m)
	}
	s += fmt.Sprintf(",node=%d,billing=%d", v.Nodes(), v.CPUs())
	if g := v.gpus(); g > 0 {
		s += fmt.Sprintf(",gres/gpu=%d", g)
	}
	return s
}

// CPUsPerTRES is CPUS_PER_TRES (scontrol's CpusPerTres): the
// --cpus-per-gpu request, gres:gpu:N; "" when none.
func (v JobView) CPUsPerTRES() string {
	if v.Spec == nil || v.Spec.CPUsPerGPU == nil {
		return ""
	}
	return fmt.Sprintf("gres:gpu:%d", *v.Spec.CPUsPerGPU)
}

// MemPerTRES is MEM_PER_TRES (scontrol's MemPerTres): the --mem-per-gpu
// request in MiB, gres:gpu:N; "" when none.
func (v JobView) MemPerTRES() string {
	if v.Spec == nil || v.Spec.MemPerGPUMiB == nil {
		return ""
	}
	return fmt.Sprintf("gres:gpu:%d", *v.Spec.MemPerGPUMiB)
}

// other returns an option kept in Spec.Other.
func (v JobView) other(name string) string {
	if v.Spec == nil {
		return ""
	}
	return v.Spec.Other[name]
}

// SpecString returns *p, or "".
func SpecString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Features is %f: the --constraint.
func (v JobView) Features() string {
	if v.Spec == nil {
		return ""
	}
	return SpecString(v.Spec.Constraint)
}

// Comment is %k.
func (v JobView) Comment() string {
	if v.Spec == nil {
		return ""
	}
	return SpecString(v.Spec.Comment)
}

// ReqNodes is --nodelist (%n).
func (v JobView) ReqNodes() string {
	if v.Spec == nil {
		return ""
	}
	return SpecString(v.Spec.Nodelist)
}

// ExcNodes is --exclude (%x).
func (v JobView) ExcNodes() string {
	if v.Spec == nil {
		return ""
	}
	return SpecString(v.Spec.Exclude)
}

// OverSubscribe is %h.
func (v JobView) OverSubscribe() string {
	if v.Spec != nil && v.Spec.Exclusive != nil {
		switch v.Spec.Exclusive.Mode {
		case "user":
			return "USER"
		case "mcs":
			return "MCS"
		}
		return "NO"
	}
	if v.Spec != nil {
		if _, ok := v.Spec.Other["oversubscribe"]; ok {
			return "YES"
		}
	}
	return "OK"
}

// WorkDir is %Z: --chdir, or where sbatch ran.
func (v JobView) WorkDir() string {
	if v.Sub == nil {
		return ""
	}
	if v.Spec != nil && v.Spec.Chdir != nil && *v.Spec.Chdir != "" {
		d := *v.Spec.Chdir
		if !path.IsAbs(d) {
			d = path.Join(v.Sub.Cwd, d)
		}
		return d
	}
	return v.Sub.Cwd
}

// Command is %o: the script's path and arguments; "" for --wrap and
// scripts read from standard input.
func (v JobView) Command() string {
	if v.Sub == nil || (v.Spec != nil && v.Spec.Wrap != nil) {
		return ""
	}
	name := v.Sub.ScriptName
	if name == "" || name == "-" || name == "<stdin>" {
		return ""
	}
	if !path.IsAbs(name) {
		name = path.Join(v.Sub.Cwd, name)
	}
	return strings.Join(append([]string{name}, v.Sub.ScriptArgs...), " ")
}

// StdPattern is the --output, --error or --input pattern, made absolute:
// what squeue -O STDOUT prints.
func (v JobView) StdPattern(which string) string {
	var p *string
	if v.Spec != nil {
		switch which {
		case "out":
			p = v.Spec.Output
		case "err":
			p = v.Spec.Error
			if p == nil {
				p = v.Spec.Output
			}
		case "in":
			p = v.Spec.Input
		}
	}
	pat := SpecString(p)
	switch {
	case pat == "" && which == "in":
		return "/dev/null"
	case pat == "" && v.Job.ArrayJobID != 0:
		pat = "slurm-%A_%a.out"
	case pat == "":
		pat = "slurm-%j.out"
	}
	if !path.IsAbs(pat) && v.WorkDir() != "" {
		pat = path.Join(v.WorkDir(), pat)
	}
	return pat
}

// StdPath is the expanded --output, --error or --input file: what scontrol
// show job prints.
func (v JobView) StdPath(which string) string {
	pat := v.StdPattern(which)
	if pat == "/dev/null" {
		return pat
	}
	vars := jobspec.PatternVars{
		JobID:       int64(v.Job.ID),
		ArrayJobID:  int64(v.Job.ArrayJobID),
		ArrayTaskID: -1,
		JobName:     v.Job.Name,
		User:        v.Job.User,
		Node:        FirstHost(v.Job.NodeList),
		StepID:      jobspec.BatchStepID,
	}
	if v.Job.ArrayJobID != 0 {
		vars.ArrayTaskID = v.Job.ArrayTaskID
		if v.PendingBase() {
			vars.ArrayTaskID = noValTask
		}
	}
	return jobspec.ExpandPattern(pat, vars)
}

// Dependency is %E: the dependencies still unmet, each marked
// (unfulfilled), or (failed) when they can never be met; (null) when none
// remain.
func (v JobView) Dependency() string {
	if v.Job.Dependency == "" || v.Job.State != state.StatePending {
		return ""
	}
	mark := "(unfulfilled)"
	switch v.Job.Reason {
	case state.ReasonDependency, state.ReasonHeldUser, state.ReasonHeldAdmin:
	case state.ReasonDependencyNeverSatisfied:
		mark = "(failed)"
	default:
		return ""
	}
	var b strings.Builder
	for i, term := range splitKeep(v.Job.Dependency, ",?") {
		if i%2 == 1 {
			b.WriteString(term) // the separator
			continue
		}
		b.WriteString(term + mark)
	}
	return b.String()
}

// splitKeep splits s at any of seps, keeping the separators as items.
func splitKeep(s, seps string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(seps, s[i]) >= 0 {
			out = append(out, s[start:i], s[i:i+1])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// BatchHost is %B: the first node of a started job.
func (v JobView) BatchHost() string {
	if h := FirstHost(v.Job.NodeList); h != "" {
		return h
	}
	return "n/a"
}

// Licenses is --licenses (kept in Spec.Other).
func (v JobView) Licenses() string { return v.other("licenses") }

// Reservation is --reservation (kept in Spec.Other).
func (v JobView) Reservation() string { return v.other("reservation") }

// Wckey is --wckey (kept in Spec.Other).
func (v JobView) Wckey() string { return v.other("wckey") }

// QOS is the job's QOS ("" when none; printed as (null)).
func (v JobView) QOS() string { return v.Job.QOS }

// Account is the job's account ("" when none; printed as (null)).
func (v JobView) Account() string { return v.Job.Account }

// ExitStatus is the job's exit as a wait(2) status (code << 8 | signal),
// as squeue --json and -O exit_code print it.
func (v JobView) ExitStatus() int { return v.Job.ExitCode<<8 | v.Job.ExitSignal }

// Timestamp renders t with the command's time format; none when zero.
func (v JobView) Timestamp(t time.Time, none string) string { return v.tf.format(t, none) }

// FirstHost returns the first host of a Slurm host list ("n[1-3],m" is n1).
func FirstHost(list string) string {
	if list == "" {
		return ""
	}
	name := list
	if i := strings.IndexAny(list, ",["); i >= 0 {
		name = list[:i]
		if list[i] == '[' {
			inner := list[i+1:]
			if j := strings.IndexAny(inner, ",-]"); j >= 0 {
				name += inner[:j]
			}
		}
	}
	return name
}

// hostCount counts the hosts of a Slurm host list (n[1-3,7],m is 5).
func hostCount(list string) int {
	n := 0
	for _, item := range SplitJobArgs(list) {
		if item == "" {
			continue
		}
		open := strings.IndexByte(item, '[')
		if open < 0 || !strings.HasSuffix(item, "]") {
			n++
			continue
		}
		for _, r := range strings.Split(item[open+1:len(item)-1], ",") {
			lo, hi, isRange := strings.Cut(r, "-")
			a, errA := strconv.Atoi(lo)
			b, errB := strconv.Atoi(hi)
			if isRange && errA == nil && errB == nil && b >= a {
				n += b - a + 1
			} else {
				n++
			}
		}
	}
	return n
}

// signalNames are the names of the common signals, for RaisedSignal.
var signalNames = map[int]string{
	1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction", 6: "Aborted",
	7: "Bus error", 8: "Floating point exception", 9: "Killed", 10: "User defined signal 1",
	11: "Segmentation fault", 12: "User defined signal 2", 13: "Broken pipe", 14: "Alarm clock",
	15: "Terminated",
}

// signalName is the C library's description of a signal.
func signalName(n int) string {
	if s, ok := signalNames[n]; ok {
		return s
	}
	return "Signal " + strconv.Itoa(n)
}
