package main

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// minJobAge is how long a finished job stays visible to squeue and
// scontrol after it ends: Slurm's default MinJobAge (300 s). Older jobs
// are only in the accounting history (sacct), as in Slurm.
const minJobAge = 300 * time.Second

// noValTask is the array index Slurm prints for an array's pending
// remainder in file names (NO_VAL).
const noValTask = 4294967294

// userInfo resolves user names to ids and groups, remembering answers.
type userInfo struct {
	lookup func(name string) (uid, gid int, group string, ok bool)
	cache  map[string]userIDs
}

type userIDs struct {
	uid, gid int
	group    string
	ok       bool
}

// newUserInfo returns a resolver that asks lookup (nil: knows nobody).
func newUserInfo(lookup func(string) (int, int, string, bool)) *userInfo {
	return &userInfo{lookup: lookup, cache: map[string]userIDs{}}
}

// get returns the ids of name; unknown users get Slurm's NO_VAL ids and
// their own name as group.
func (u *userInfo) get(name string) userIDs {
	if ids, ok := u.cache[name]; ok {
		return ids
	}
	ids := userIDs{uid: noValTask, gid: noValTask, group: name}
	if u.lookup != nil {
		if uid, gid, group, ok := u.lookup(name); ok {
			ids = userIDs{uid: uid, gid: gid, group: group, ok: true}
		}
	}
	u.cache[name] = ids
	return ids
}

// jobView computes what the Slurm commands print about one job. The spec
// is the job's parsed submission; jobs without one (never, in practice)
// print Slurm's defaults.
type jobView struct {
	j     *state.Job
	sub   *state.Submission
	spec  *jobspec.Spec
	now   time.Time
	tf    timeFormat
	users *userInfo
}

// configuring reports whether j is a job the coordinator started that no
// node has taken yet (Nomad has not placed it): Slurm's CONFIGURING, a job
// whose nodes are not ready, whose time limit does not run yet.
func configuring(j *state.Job) bool { return j.State == state.StateRunning && j.NodeList == "" }

// stateLong and stateShort are the job's state as squeue's %T and %t and
// scontrol's JobState print it.
func (v jobView) stateLong() string {
	if configuring(v.j) {
		return "CONFIGURING"
	}
	return string(v.j.State)
}

func (v jobView) stateShort() string {
	if configuring(v.j) {
		return "CF"
	}
	return v.j.State.Short()
}

// viewCtx is what every jobView of one command run shares.
type viewCtx struct {
	now   time.Time
	tf    timeFormat
	users *userInfo
}

// view is the printable view of j.
func (c *viewCtx) view(j *state.Job) jobView {
	v := jobView{j: j, sub: j.Submission, now: c.now, tf: c.tf, users: c.users}
	if v.sub != nil {
		v.spec = v.sub.Spec
	}
	return v
}

// visible reports whether squeue and scontrol still show a job: every job
// that has not finished, and finished jobs for minJobAge after their end.
func visible(j *state.Job, now time.Time) bool {
	if !j.State.Terminal() {
		return true
	}
	return j.EndTime.IsZero() || now.Sub(j.EndTime) <= minJobAge
}

// pendingBase reports whether the record is an array's pending remainder.
func (v jobView) pendingBase() bool { return v.j.IsArrayBase() }

// id is the job id as squeue prints it: 123, 123_7 or 123_[1-5%2].
func (v jobView) id() string { return v.j.SlurmID() }

// arrayJobID is %F: the array's job id, or the job id.
func (v jobView) arrayJobID() uint64 {
	if v.j.ArrayJobID != 0 {
		return v.j.ArrayJobID
	}
	return v.j.ID
}

// arrayTaskString is %K: N/A, a task index, or the pending remainder.
func (v jobView) arrayTaskString() string {
	switch {
	case v.j.ArrayJobID == 0:
		return "N/A"
	case v.j.ArrayTaskID != state.NoTask:
		return strconv.Itoa(v.j.ArrayTaskID)
	}
	s := v.j.Pending.String()
	if t := v.j.Throttle(); t > 0 {
		s += fmt.Sprintf("%%%d", t)
	}
	return s
}

// held reports whether the job is (or was, when it ended) held.
func (v jobView) held() bool { return v.j.Hold != state.HoldNone }

// priority is %Q: 0 for held jobs, as Slurm zeroes a held job's priority.
func (v jobView) priority() int64 {
	if v.held() {
		return 0
	}
	return v.j.Priority()
}

// reason is %r: why a pending job waits, or why a finished one failed.
func (v jobView) reason() string {
	switch v.j.State {
	case state.StateFailed:
		if v.j.Reason != "" && v.j.Reason != state.ReasonNone {
			return v.j.Reason // what the node said: it could not start the job
		}
		if v.j.ExitCode == 0 && v.j.ExitSignal != 0 {
			return fmt.Sprintf("RaisedSignal:%d(%s)", v.j.ExitSignal, signalName(v.j.ExitSignal))
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
		switch v.j.Hold {
		case state.HoldUser:
			return state.ReasonHeldUser
		case state.HoldAdmin:
			return state.ReasonHeldAdmin
		}
	}
	if v.j.Reason == "" {
		return state.ReasonNone
	}
	return v.j.Reason
}

// reasonList is %R: "(reason)" for pending, failed and timed-out jobs,
// otherwise the nodes.
func (v jobView) reasonList() string {
	switch v.j.State {
	case state.StatePending, state.StateFailed, state.StateTimeout:
		return "(" + v.reason() + ")"
	}
	return v.j.NodeList
}

// used is the run time so far, in seconds.
func (v jobView) used() int64 {
	if v.j.StartTime.IsZero() || v.j.State == state.StatePending {
		return 0
	}
	end := v.now
	if !v.j.EndTime.IsZero() {
		end = v.j.EndTime
	}
	if end.Before(v.j.StartTime) {
		return -1
	}
	return int64(end.Sub(v.j.StartTime) / time.Second)
}

// timeLeft is %L.
func (v jobView) timeLeft() string {
	if v.j.TimeLimitMin <= 0 {
		return "UNLIMITED"
	}
	left := int64(v.j.TimeLimitMin)*60 - v.used()
	if left < 0 {
		left = 0
	}
	return durationShort(left)
}

// startTime is %S: when the job started, or is expected to (its --begin).
func (v jobView) startTime() time.Time {
	if v.j.State == state.StatePending {
		if v.j.Begin.After(v.now) {
			return v.j.Begin
		}
		return time.Time{}
	}
	return v.j.StartTime
}

// endTime is %e: when the job ended, or is expected to end.
func (v jobView) endTime() time.Time {
	if v.j.State.Terminal() {
		return v.j.EndTime
	}
	start := v.startTime()
	if start.IsZero() || v.j.TimeLimitMin <= 0 {
		return time.Time{}
	}
	return start.Add(time.Duration(v.j.TimeLimitMin) * time.Minute)
}

// eligibleTime is when the job could first run, as slurmctld records it:
// its --begin time when it has one; unknown while it is held, waits for
// a dependency or its array's task limit (and for a job cancelled while
// held); otherwise its submit time.
func (v jobView) eligibleTime() time.Time {
	if v.j.Begin.After(v.j.SubmitTime) {
		return v.j.Begin
	}
	if v.held() {
		return time.Time{}
	}
	if v.j.State == state.StatePending {
		switch v.j.Reason {
		case state.ReasonDependency, state.ReasonDependencyNeverSatisfied, state.ReasonArrayTaskLimit:
			return time.Time{}
		}
	}
	return v.j.SubmitTime
}

// nodesMin is the requested node count.
func (v jobView) nodesMin() int { return v.spec.MinNodes() }

// nodes is %D: the nodes allocated, or the minimum requested.
func (v jobView) nodes() int {
	if v.j.NodeList != "" {
		return hostCount(v.j.NodeList)
	}
	return v.nodesMin()
}

// cpusPerTask is -c (default 1).
func (v jobView) cpusPerTask() int { return v.spec.TaskCPUs() }

// tasks is the task count.
func (v jobView) tasks() int { return v.spec.TaskCount() }

// cpus is %C: the CPUs the job asks for.
func (v jobView) cpus() int { return v.spec.CPUCount() }

// gpus is the job's GPU count.
func (v jobView) gpus() int { return v.spec.GPUCount() }

// minCPUsNode is %c: the CPUs each node must have.
func (v jobView) minCPUsNode() int { return v.spec.MinCPUsPerNode() }

// minMemory is %m: the memory per node (or per CPU, or per GPU) asked for.
func (v jobView) minMemory() string {
	if v.spec != nil {
		switch {
		case v.spec.MemPerNodeMiB != nil:
			return memString(*v.spec.MemPerNodeMiB)
		case v.spec.MemPerCPUMiB != nil:
			return memString(*v.spec.MemPerCPUMiB)
		case v.spec.MemPerGPUMiB != nil:
			return memString(*v.spec.MemPerGPUMiB)
		}
	}
	return "0"
}

// memTotal is the memory of the job's TRES: per node times nodes, or per
// CPU times CPUs; 0 when none was asked for.
func (v jobView) memTotal() int64 {
	if v.spec == nil {
		return 0
	}
	switch {
	case v.spec.MemPerNodeMiB != nil:
		return *v.spec.MemPerNodeMiB * int64(v.nodesMin())
	case v.spec.MemPerCPUMiB != nil:
		return *v.spec.MemPerCPUMiB * int64(v.cpus())
	case v.spec.MemPerGPUMiB != nil:
		return *v.spec.MemPerGPUMiB * int64(v.gpus())
	}
	return 0
}

// gpuTres renders a GPU count with the job's GPU type: gres:gpu[:type]:N.
func (v jobView) gpuTres(n int) string {
	if v.spec != nil && v.spec.GPUType != nil && !strings.Contains(*v.spec.GPUType, ",") {
		return fmt.Sprintf("gres:gpu:%s:%d", *v.spec.GPUType, n)
	}
	return fmt.Sprintf("gres:gpu:%d", n)
}

// tresPerNode is %b: the generic resources asked for per node.
func (v jobView) tresPerNode() string {
	if v.spec == nil {
		return ""
	}
	var parts []string
	gresGPU := false
	for _, g := range v.spec.Gres {
		if strings.HasPrefix(g, "gpu") {
			gresGPU = true
		}
		parts = append(parts, "gres:"+g)
	}
	if !gresGPU && v.spec.GPUsPerNode != nil {
		parts = append(parts, v.gpuTres(*v.spec.GPUsPerNode))
	}
	return strings.Join(parts, ",")
}

// tresPerJob is the --gpus request.
func (v jobView) tresPerJob() string {
	if v.spec == nil || v.spec.GPUsPerJob == nil {
		return ""
	}
	return v.gpuTres(*v.spec.GPUsPerJob)
}

// tresPerTask is the --gpus-per-task request.
func (v jobView) tresPerTask() string {
	if v.spec == nil || v.spec.GPUsPerTask == nil {
		return ""
	}
	return v.gpuTres(*v.spec.GPUsPerTask)
}

// tres is the job's trackable resources: cpu=8,mem=8G,node=1,billing=8.
func (v jobView) tres() string {
	s := fmt.Sprintf("cpu=%d", v.cpus())
	if m := v.memTotal(); m > 0 {
		s += ",mem=" + memString(m)
	}
	return s + fmt.Sprintf(",node=%d,billing=%d", v.nodes(), v.cpus())
}

// other returns an option kept in Spec.Other.
func (v jobView) other(name string) string {
	if v.spec == nil {
		return ""
	}
	return v.spec.Other[name]
}

// specString returns *p, or "".
func specString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// features is %f: the --constraint.
func (v jobView) features() string {
	if v.spec == nil {
		return ""
	}
	return specString(v.spec.Constraint)
}

// comment is %k.
func (v jobView) comment() string {
	if v.spec == nil {
		return ""
	}
	return specString(v.spec.Comment)
}

// reqNodes is --nodelist (%n).
func (v jobView) reqNodes() string {
	if v.spec == nil {
		return ""
	}
	return specString(v.spec.Nodelist)
}

// excNodes is --exclude (%x).
func (v jobView) excNodes() string {
	if v.spec == nil {
		return ""
	}
	return specString(v.spec.Exclude)
}

// overSubscribe is %h.
func (v jobView) overSubscribe() string {
	if v.spec != nil && v.spec.Exclusive != nil {
		switch v.spec.Exclusive.Mode {
		case "user":
			return "USER"
		case "mcs":
			return "MCS"
		}
		return "NO"
	}
	if v.spec != nil {
		if _, ok := v.spec.Other["oversubscribe"]; ok {
			return "YES"
		}
	}
	return "OK"
}

// workDir is %Z: --chdir, or where sbatch ran.
func (v jobView) workDir() string {
	if v.sub == nil {
		return ""
	}
	if v.spec != nil && v.spec.Chdir != nil && *v.spec.Chdir != "" {
		d := *v.spec.Chdir
		if !path.IsAbs(d) {
			d = path.Join(v.sub.Cwd, d)
		}
		return d
	}
	return v.sub.Cwd
}

// command is %o: the script's path and arguments; "" for --wrap and
// scripts read from standard input.
func (v jobView) command() string {
	if v.sub == nil || (v.spec != nil && v.spec.Wrap != nil) {
		return ""
	}
	name := v.sub.ScriptName
	if name == "" || name == "-" || name == "<stdin>" {
		return ""
	}
	if !path.IsAbs(name) {
		name = path.Join(v.sub.Cwd, name)
	}
	return strings.Join(append([]string{name}, v.sub.ScriptArgs...), " ")
}

// stdPattern is the --output, --error or --input pattern, made absolute:
// what squeue -O STDOUT prints.
func (v jobView) stdPattern(which string) string {
	var p *string
	if v.spec != nil {
		switch which {
		case "out":
			p = v.spec.Output
		case "err":
			p = v.spec.Error
			if p == nil {
				p = v.spec.Output
			}
		case "in":
			p = v.spec.Input
		}
	}
	pat := specString(p)
	switch {
	case pat == "" && which == "in":
		return "/dev/null"
	case pat == "" && v.j.ArrayJobID != 0:
		pat = "slurm-%A_%a.out"
	case pat == "":
		pat = "slurm-%j.out"
	}
	if !path.IsAbs(pat) && v.workDir() != "" {
		pat = path.Join(v.workDir(), pat)
	}
	return pat
}

// stdPath is the expanded --output, --error or --input file: what scontrol
// show job prints.
func (v jobView) stdPath(which string) string {
	pat := v.stdPattern(which)
	if pat == "/dev/null" {
		return pat
	}
	vars := jobspec.PatternVars{
		JobID:       int64(v.j.ID),
		ArrayJobID:  int64(v.j.ArrayJobID),
		ArrayTaskID: -1,
		JobName:     v.j.Name,
		User:        v.j.User,
		Node:        firstHost(v.j.NodeList),
		StepID:      jobspec.BatchStepID,
	}
	if v.j.ArrayJobID != 0 {
		vars.ArrayTaskID = v.j.ArrayTaskID
		if v.pendingBase() {
			vars.ArrayTaskID = noValTask
		}
	}
	return jobspec.ExpandPattern(pat, vars)
}

// dependency is %E: the dependencies still unmet, each marked
// (unfulfilled), or (failed) when they can never be met; (null) when none
// remain.
func (v jobView) dependency() string {
	if v.j.Dependency == "" || v.j.State != state.StatePending {
		return ""
	}
	mark := "(unfulfilled)"
	switch v.j.Reason {
	case state.ReasonDependency, state.ReasonHeldUser, state.ReasonHeldAdmin:
	case state.ReasonDependencyNeverSatisfied:
		mark = "(failed)"
	default:
		return ""
	}
	var b strings.Builder
	for i, term := range splitKeep(v.j.Dependency, ",?") {
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

// batchHost is %B: the first node of a started job.
func (v jobView) batchHost() string {
	if h := firstHost(v.j.NodeList); h != "" {
		return h
	}
	return "n/a"
}

// licenses is --licenses (kept in Spec.Other).
func (v jobView) licenses() string { return v.other("licenses") }

// reservation is --reservation (kept in Spec.Other).
func (v jobView) reservation() string { return v.other("reservation") }

// wckey is --wckey (kept in Spec.Other).
func (v jobView) wckey() string { return v.other("wckey") }

// qos is the job's QOS ("" when none; printed as (null)).
func (v jobView) qos() string { return v.j.QOS }

// account is the job's account ("" when none; printed as (null)).
func (v jobView) account() string { return v.j.Account }

// exitStatus is the job's exit as a wait(2) status (code << 8 | signal),
// as squeue --json and -O exit_code print it.
func (v jobView) exitStatus() int { return v.j.ExitCode<<8 | v.j.ExitSignal }

// timestamp renders t with the command's time format; none when zero.
func (v jobView) timestamp(t time.Time, none string) string { return v.tf.format(t, none) }

// firstHost returns the first host of a Slurm host list ("n[1-3],m" is n1).
func firstHost(list string) string {
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
	for _, item := range splitJobArgs(list) {
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
