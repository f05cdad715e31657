package squeue

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// squeueCol is one field squeue can print: its header and its value.
type squeueCol struct {
	header string
	value  func(v slurm.JobView) slurm.Cell
}

// squeueLetters are the fields of squeue -o, by letter (squeue(1)).
var squeueLetters = map[byte]squeueCol{
	'a': {"ACCOUNT", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Account()) }},
	'b': {"TRES_PER_NODE", func(v slurm.JobView) slurm.Cell { return naIfEmpty(v.TRESPerNode()) }},
	'c': {"MIN_CPUS", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.MinCPUsNode()) }},
	'd': {"MIN_TMP_DISK", func(v slurm.JobView) slurm.Cell { return slurm.Str(slurm.TmpDisk(v)) }},
	'e': {"END_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(endTimeSqueue(v)) }},
	'f': {"FEATURES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Features()) }},
	'g': {"GROUP", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Users.Get(v.Job.User).Group) }},
	'h': {"OVER_SUBSCRIBE", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.OverSubscribe()) }},
	'i': {"JOBID", func(v slurm.JobView) slurm.Cell { return slurm.Str(squeueID(v)) }},
	'j': {"NAME", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Job.Name) }},
	'k': {"COMMENT", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Comment()) }},
	'l': {"TIME_LIMIT", func(v slurm.JobView) slurm.Cell {
		return slurm.Cell{Text: slurm.LimitShort(v.Job.TimeLimitMin), Keep: true}
	}},
	'm': {"MIN_MEMORY", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.MinMemory()) }},
	'n': {"REQ_NODES", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.ReqNodes()) }},
	'o': {"COMMAND", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Command()) }},
	'p': {"PRIORITY", func(v slurm.JobView) slurm.Cell {
		return slurm.Str(fmt.Sprintf("%.14f", float64(v.Priority())/4294967295))
	}},
	'q': {"QOS", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.QOS()) }},
	'r': {"REASON", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Reason()) }},
	's': {"", func(v slurm.JobView) slurm.Cell { return slurm.Str("") }},
	't': {"ST", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.StateShort()) }},
	'u': {"USER", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Job.User) }},
	'v': {"RESERVATION", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Reservation()) }},
	'w': {"WCKEY", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Wckey()) }},
	'x': {"EXC_NODES", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.ExcNodes()) }},
	'y': {"NICE", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Job.Nice) }},
	'z': {"S:C:T", func(v slurm.JobView) slurm.Cell { return slurm.Str("*:*:*") }},
	'A': {"JOBID", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Job.ID) }},
	'B': {"EXEC_HOST", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.BatchHost()) }},
	'C': {"CPUS", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.CPUs()) }},
	'D': {"NODES", func(v slurm.JobView) slurm.Cell { return slurm.Str(strconv.Itoa(v.Nodes())) }},
	'E': {"DEPENDENCY", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Dependency()) }},
	'F': {"ARRAY_JOB_ID", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.ArrayJobID()) }},
	'G': {"GROUP", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Users.Get(v.Job.User).Gid) }},
	'H': {"SOCKETS_PER_NODE", func(v slurm.JobView) slurm.Cell { return slurm.Str("*") }},
	'I': {"CORES_PER_SOCKET", func(v slurm.JobView) slurm.Cell { return slurm.Str("*") }},
	'J': {"THREADS_PER_CORE", func(v slurm.JobView) slurm.Cell { return slurm.Str("*") }},
	'K': {"ARRAY_TASK_ID", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.ArrayTaskString()) }},
	'L': {"TIME_LEFT", func(v slurm.JobView) slurm.Cell { return slurm.Cell{Text: v.TimeLeft(), Keep: true} }},
	'M': {"TIME", func(v slurm.JobView) slurm.Cell { return slurm.Cell{Text: squeueUsed(v), Keep: true} }},
	'N': {"NODELIST", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Job.NodeList) }},
	'O': {"CONTIGUOUS", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	'P': {"PARTITION", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Job.Partition) }},
	'Q': {"PRIORITY", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Priority()) }},
	'R': {"NODELIST(REASON)", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.ReasonList()) }},
	'S': {"START_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Timestamp(v.StartTime(), "N/A")) }},
	'T': {"STATE", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.StateLong()) }},
	'U': {"UID", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Users.Get(v.Job.User).Uid) }},
	'V': {"SUBMIT_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Timestamp(v.Job.SubmitTime, "N/A")) }},
	'W': {"LICENSES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.Licenses()) }},
	'X': {"CORE_SPEC", func(v slurm.JobView) slurm.Cell { return slurm.Str("N/A") }},
	'Y': {"SCHEDNODES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	'Z': {"WORK_DIR", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.WorkDir()) }},
}

// squeueID is %i, the job id as v.id() prints it; a plain job's without
// fmt, since queues are mostly plain jobs.
func squeueID(v slurm.JobView) string {
	if v.Job.ArrayJobID == 0 {
		return strconv.FormatUint(v.Job.ID, 10)
	}
	return v.ID()
}

// squeueUsed is %M, the run time so far; pending jobs, the most of a long
// queue, all print 0:00.
func squeueUsed(v slurm.JobView) string {
	if u := v.Used(); u != 0 {
		return slurm.DurationShort(u)
	}
	return "0:00"
}

// endTimeSqueue is %e: the end, expected or past; NONE for a running job
// without a time limit, N/A when unknown.
func endTimeSqueue(v slurm.JobView) string {
	if t := v.EndTime(); !t.IsZero() {
		return v.Timestamp(t, "N/A")
	}
	if !v.Job.State.Terminal() && v.Job.State != state.StatePending {
		return "NONE"
	}
	return "N/A"
}

// naIfEmpty is s, or N/A.
func naIfEmpty(s string) slurm.Cell {
	if s == "" {
		return slurm.Str("N/A")
	}
	return slurm.Str(s)
}

// squeueAllFormat is the format "%all" stands for: every letter, with
// "|" between fields.
func squeueAllFormat() string {
	var b strings.Builder
	letters := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i < len(letters); i++ {
		b.WriteString("%" + letters[i:i+1])
		if i < len(letters)-1 {
			b.WriteString("|")
		}
	}
	return b.String()
}

// squeueNames are the fields of squeue -O, by canonical name.
var squeueNames = map[string]squeueCol{
	"Account":          squeueLetters['a'],
	"AccrueTime":       {"ACCRUE_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Timestamp(v.EligibleTime(), "Unknown")) }},
	"admin_comment":    {"ADMIN_COMMENT", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"AllocNodes":       {"ALLOC_NODES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(slurm.SubmitHost(v)) }},
	"AllocSID":         {"ALLOC_SID", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"ArrayJobID":       squeueLetters['F'],
	"ArrayTaskID":      squeueLetters['K'],
	"AssocID":          {"ASSOC_ID", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"BatchFlag":        {"BATCH_FLAG", func(v slurm.JobView) slurm.Cell { return slurm.Str("1") }},
	"BatchHost":        squeueLetters['B'],
	"BoardsPerNode":    {"BOARDS_PER_NODE", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"BurstBuffer":      {"BURST_BUFFER", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"BurstBufferState": {"BURST_BUFFER_STATE", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Cluster":          {"CLUSTER", func(v slurm.JobView) slurm.Cell { return slurm.Str(slurm.ClusterName) }},
	"ClusterFeature":   {"CLUSTER_FEATURES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Command":          squeueLetters['o'],
	"Comment":          squeueLetters['k'],
	"Contiguous":       squeueLetters['O'],
	"Container":        {"CONTAINER", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Cores":            squeueLetters['I'],
	"CoreSpec":         squeueLetters['X'],
	"cpus-per-task":    {"CPUS_PER_TASK", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.CPUsPerTask()) }},
	"cpus-per-tres":    {"CPUS_PER_TRES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.CPUsPerTRES()) }},
	"Deadline":         {"DEADLINE", func(v slurm.JobView) slurm.Cell { return slurm.Str("N/A") }},
	"DelayBoot":        {"DELAY_BOOT", func(v slurm.JobView) slurm.Cell { return slurm.Str("00:00:00") }},
	"Dependency":       squeueLetters['E'],
	"DerivedEC":        {"DERIVED_EC", func(v slurm.JobView) slurm.Cell { return slurm.Str("0:0") }},
	"EligibleTime":     {"ELIGIBLE_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Timestamp(v.EligibleTime(), "N/A")) }},
	"EndTime":          squeueLetters['e'],
	"exit_code":        {"EXIT_CODE", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.ExitStatus()) }},
	"Feature":          squeueLetters['f'],
	"GroupID":          squeueLetters['G'],
	"GroupName":        squeueLetters['g'],
	"JobArrayID":       squeueLetters['i'],
	"JobID":            squeueLetters['A'],
	"LastSchedEval":    {"LAST_SCHED_EVAL", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.Timestamp(v.Job.SubmitTime, "Unknown")) }},
	"Licenses":         squeueLetters['W'],
	"MaxCPUs":          {"MAX_CPUS", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"MaxNodes":         {"MAX_NODES", func(v slurm.JobView) slurm.Cell { return slurm.Num(maxNodes(v)) }},
	"MCSLabel":         {"MCSLABEL", func(v slurm.JobView) slurm.Cell { return slurm.Str("N/A") }},
	"mem-per-tres":     {"MEM_PER_TRES", func(v slurm.JobView) slurm.Cell { return slurm.OrNull(v.MemPerTRES()) }},
	"MinCpus":          squeueLetters['c'],
	"MinMemory":        squeueLetters['m'],
	"MinTime":          {"MIN_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str(minTime(v)) }},
	"MinTmpDisk":       squeueLetters['d'],
	"Name":             squeueLetters['j'],
	"Network":          {"NETWORK", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Nice":             squeueLetters['y'],
	"NodeList":         squeueLetters['N'],
	"NumCPUs":          squeueLetters['C'],
	"NumNodes":         squeueLetters['D'],
	"NumTasks":         {"TASKS", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Tasks()) }},
	"OverSubscribe":    squeueLetters['h'],
	"Partition":        squeueLetters['P'],
	"PendingTime":      {"PENDING_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Num(pendingSecs(v)) }},
	"PreemptTime":      {"PREEMPT_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str("N/A") }},
	"Prefer":           {"PREFER", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Priority":         squeueLetters['p'],
	"PriorityLong":     squeueLetters['Q'],
	"Profile":          {"PROFILE", func(v slurm.JobView) slurm.Cell { return slurm.Str("NotSet") }},
	"QOS":              squeueLetters['q'],
	"Reason":           squeueLetters['r'],
	"ReasonList":       squeueLetters['R'],
	"Reboot":           {"REBOOT", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"ReqNodes":         squeueLetters['n'],
	"ReqSwitch":        {"REQ_SWITCH", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"Requeue":          {"REQUEUE", func(v slurm.JobView) slurm.Cell { return slurm.Str(slurm.BoolDigit(v.Job.Requeue)) }},
	"Reservation":      squeueLetters['v'],
	"ResizeTime":       {"RESIZE_TIME", func(v slurm.JobView) slurm.Cell { return slurm.Str("0") }},
	"RestartCnt":       {"RESTART_COUNT", func(v slurm.JobView) slurm.Cell { return slurm.Num(v.Job.RestartCount) }},
	"SchedNodes":       squeueLetters['Y'],
	"SCT":              squeueLetters['z'],
	"Sockets":          squeueLetters['H'],
	"StartTime":        squeueLetters['S'],
	"State":            squeueLetters['T'],
	"StateCompact":     squeueLetters['t'],
	"STDERR":           {"STDERR", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.StdPattern("err")) }},
	"STDIN":            {"STDIN", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.StdPattern("in")) }},
	"STDOUT":           {"STDOUT", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.StdPattern("out")) }},
	"SubmitTime":       squeueLetters['V'],
	"system_comment":   {"SYSTEM_COMMENT", func(v slurm.JobView) slurm.Cell { return slurm.OrNull("") }},
	"Threads":          squeueLetters['J'],
	"TimeLeft":         squeueLetters['L'],
	"TimeLimit":        squeueLetters['l'],
	"TimeUsed":         squeueLetters['M'],
	"tres-alloc":       {"TRES_ALLOC", func(v slurm.JobView) slurm.Cell { return slurm.Str(v.TRES()) }},
	"tres-per-job":     {"TRES_PER_JOB", func(v slurm.JobView) slurm.Cell { return naIfEmpty(v.TRESPerJob()) }},
	"tres-per-node":    squeueLetters['b'],
	"tres-per-task":    {"TRES_PER_TASK", func(v slurm.JobView) slurm.Cell { return naIfEmpty(v.TRESPerTask()) }},
	"UserID":           squeueLetters['U'],
	"UserName":         squeueLetters['u'],
	"WCKey":            squeueLetters['w'],
	"WorkDir":          squeueLetters['Z'],
}

// squeueCanonical maps an -O name in any case to its canonical spelling.
func squeueCanonical(name string) string {
	for k := range squeueNames {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

// maxNodes is the upper end of -N, or 0.
func maxNodes(v slurm.JobView) int {
	if v.Spec != nil && v.Spec.NodesMax != nil {
		return *v.Spec.NodesMax
	}
	return 0
}

// minTime is --time-min.
func minTime(v slurm.JobView) string {
	if v.Spec == nil || v.Spec.TimeMin == nil || v.Spec.TimeMin.Unlimited {
		return "0"
	}
	return slurm.LimitShort(v.Spec.TimeMin.Minutes)
}

// pendingSecs is how long the job waited (or has waited so far).
func pendingSecs(v slurm.JobView) int64 {
	end := v.Now
	if !v.Job.StartTime.IsZero() && v.Job.State != state.StatePending {
		end = v.Job.StartTime
	}
	if end.Before(v.Job.SubmitTime) {
		return 0
	}
	return int64(end.Sub(v.Job.SubmitTime).Seconds())
}
