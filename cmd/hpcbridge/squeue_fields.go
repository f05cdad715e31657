package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// squeueCol is one field squeue can print: its header and its value.
type squeueCol struct {
	header string
	value  func(v jobView) cell
}

// squeueLetters are the fields of squeue -o, by letter (squeue(1)).
var squeueLetters = map[byte]squeueCol{
	'a': {"ACCOUNT", func(v jobView) cell { return orNull(v.account()) }},
	'b': {"TRES_PER_NODE", func(v jobView) cell { return naIfEmpty(v.tresPerNode()) }},
	'c': {"MIN_CPUS", func(v jobView) cell { return num(v.minCPUsNode()) }},
	'd': {"MIN_TMP_DISK", func(v jobView) cell { return str(tmpDisk(v)) }},
	'e': {"END_TIME", func(v jobView) cell { return str(endTimeSqueue(v)) }},
	'f': {"FEATURES", func(v jobView) cell { return orNull(v.features()) }},
	'g': {"GROUP", func(v jobView) cell { return str(v.users.get(v.j.User).group) }},
	'h': {"OVER_SUBSCRIBE", func(v jobView) cell { return str(v.overSubscribe()) }},
	'i': {"JOBID", func(v jobView) cell { return str(squeueID(v)) }},
	'j': {"NAME", func(v jobView) cell { return str(v.j.Name) }},
	'k': {"COMMENT", func(v jobView) cell { return orNull(v.comment()) }},
	'l': {"TIME_LIMIT", func(v jobView) cell { return cell{text: limitShort(v.j.TimeLimitMin), keep: true} }},
	'm': {"MIN_MEMORY", func(v jobView) cell { return str(v.minMemory()) }},
	'n': {"REQ_NODES", func(v jobView) cell { return str(v.reqNodes()) }},
	'o': {"COMMAND", func(v jobView) cell { return orNull(v.command()) }},
	'p': {"PRIORITY", func(v jobView) cell { return str(fmt.Sprintf("%.14f", float64(v.priority())/4294967295)) }},
	'q': {"QOS", func(v jobView) cell { return orNull(v.qos()) }},
	'r': {"REASON", func(v jobView) cell { return str(v.reason()) }},
	's': {"", func(v jobView) cell { return str("") }},
	't': {"ST", func(v jobView) cell { return str(v.stateShort()) }},
	'u': {"USER", func(v jobView) cell { return str(v.j.User) }},
	'v': {"RESERVATION", func(v jobView) cell { return orNull(v.reservation()) }},
	'w': {"WCKEY", func(v jobView) cell { return orNull(v.wckey()) }},
	'x': {"EXC_NODES", func(v jobView) cell { return str(v.excNodes()) }},
	'y': {"NICE", func(v jobView) cell { return num(v.j.Nice) }},
	'z': {"S:C:T", func(v jobView) cell { return str("*:*:*") }},
	'A': {"JOBID", func(v jobView) cell { return num(v.j.ID) }},
	'B': {"EXEC_HOST", func(v jobView) cell { return str(v.batchHost()) }},
	'C': {"CPUS", func(v jobView) cell { return num(v.cpus()) }},
	'D': {"NODES", func(v jobView) cell { return str(strconv.Itoa(v.nodes())) }},
	'E': {"DEPENDENCY", func(v jobView) cell { return orNull(v.dependency()) }},
	'F': {"ARRAY_JOB_ID", func(v jobView) cell { return num(v.arrayJobID()) }},
	'G': {"GROUP", func(v jobView) cell { return num(v.users.get(v.j.User).gid) }},
	'H': {"SOCKETS_PER_NODE", func(v jobView) cell { return str("*") }},
	'I': {"CORES_PER_SOCKET", func(v jobView) cell { return str("*") }},
	'J': {"THREADS_PER_CORE", func(v jobView) cell { return str("*") }},
	'K': {"ARRAY_TASK_ID", func(v jobView) cell { return str(v.arrayTaskString()) }},
	'L': {"TIME_LEFT", func(v jobView) cell { return cell{text: v.timeLeft(), keep: true} }},
	'M': {"TIME", func(v jobView) cell { return cell{text: squeueUsed(v), keep: true} }},
	'N': {"NODELIST", func(v jobView) cell { return str(v.j.NodeList) }},
	'O': {"CONTIGUOUS", func(v jobView) cell { return str("0") }},
	'P': {"PARTITION", func(v jobView) cell { return str(v.j.Partition) }},
	'Q': {"PRIORITY", func(v jobView) cell { return num(v.priority()) }},
	'R': {"NODELIST(REASON)", func(v jobView) cell { return str(v.reasonList()) }},
	'S': {"START_TIME", func(v jobView) cell { return str(v.timestamp(v.startTime(), "N/A")) }},
	'T': {"STATE", func(v jobView) cell { return str(v.stateLong()) }},
	'U': {"UID", func(v jobView) cell { return num(v.users.get(v.j.User).uid) }},
	'V': {"SUBMIT_TIME", func(v jobView) cell { return str(v.timestamp(v.j.SubmitTime, "N/A")) }},
	'W': {"LICENSES", func(v jobView) cell { return orNull(v.licenses()) }},
	'X': {"CORE_SPEC", func(v jobView) cell { return str("N/A") }},
	'Y': {"SCHEDNODES", func(v jobView) cell { return orNull("") }},
	'Z': {"WORK_DIR", func(v jobView) cell { return str(v.workDir()) }},
}

// squeueID is %i, the job id as v.id() prints it; a plain job's without
// fmt, since queues are mostly plain jobs.
func squeueID(v jobView) string {
	if v.j.ArrayJobID == 0 {
		return strconv.FormatUint(v.j.ID, 10)
	}
	return v.id()
}

// squeueUsed is %M, the run time so far; pending jobs, the most of a long
// queue, all print 0:00.
func squeueUsed(v jobView) string {
	if u := v.used(); u != 0 {
		return durationShort(u)
	}
	return "0:00"
}

// endTimeSqueue is %e: the end, expected or past; NONE for a running job
// without a time limit, N/A when unknown.
func endTimeSqueue(v jobView) string {
	if t := v.endTime(); !t.IsZero() {
		return v.timestamp(t, "N/A")
	}
	if !v.j.State.Terminal() && v.j.State != state.StatePending {
		return "NONE"
	}
	return "N/A"
}

// naIfEmpty is s, or N/A.
func naIfEmpty(s string) cell {
	if s == "" {
		return str("N/A")
	}
	return str(s)
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
	"AccrueTime":       {"ACCRUE_TIME", func(v jobView) cell { return str(v.timestamp(v.eligibleTime(), "Unknown")) }},
	"admin_comment":    {"ADMIN_COMMENT", func(v jobView) cell { return orNull("") }},
	"AllocNodes":       {"ALLOC_NODES", func(v jobView) cell { return orNull(submitHost(v)) }},
	"AllocSID":         {"ALLOC_SID", func(v jobView) cell { return str("0") }},
	"ArrayJobID":       squeueLetters['F'],
	"ArrayTaskID":      squeueLetters['K'],
	"AssocID":          {"ASSOC_ID", func(v jobView) cell { return str("0") }},
	"BatchFlag":        {"BATCH_FLAG", func(v jobView) cell { return str("1") }},
	"BatchHost":        squeueLetters['B'],
	"BoardsPerNode":    {"BOARDS_PER_NODE", func(v jobView) cell { return str("0") }},
	"BurstBuffer":      {"BURST_BUFFER", func(v jobView) cell { return orNull("") }},
	"BurstBufferState": {"BURST_BUFFER_STATE", func(v jobView) cell { return orNull("") }},
	"Cluster":          {"CLUSTER", func(v jobView) cell { return str(clusterName) }},
	"ClusterFeature":   {"CLUSTER_FEATURES", func(v jobView) cell { return orNull("") }},
	"Command":          squeueLetters['o'],
	"Comment":          squeueLetters['k'],
	"Contiguous":       squeueLetters['O'],
	"Container":        {"CONTAINER", func(v jobView) cell { return orNull("") }},
	"Cores":            squeueLetters['I'],
	"CoreSpec":         squeueLetters['X'],
	"cpus-per-task":    {"CPUS_PER_TASK", func(v jobView) cell { return num(v.cpusPerTask()) }},
	"cpus-per-tres":    {"CPUS_PER_TRES", func(v jobView) cell { return orNull(cpusPerTres(v)) }},
	"Deadline":         {"DEADLINE", func(v jobView) cell { return str("N/A") }},
	"DelayBoot":        {"DELAY_BOOT", func(v jobView) cell { return str("00:00:00") }},
	"Dependency":       squeueLetters['E'],
	"DerivedEC":        {"DERIVED_EC", func(v jobView) cell { return str("0:0") }},
	"EligibleTime":     {"ELIGIBLE_TIME", func(v jobView) cell { return str(v.timestamp(v.eligibleTime(), "N/A")) }},
	"EndTime":          squeueLetters['e'],
	"exit_code":        {"EXIT_CODE", func(v jobView) cell { return num(v.exitStatus()) }},
	"Feature":          squeueLetters['f'],
	"GroupID":          squeueLetters['G'],
	"GroupName":        squeueLetters['g'],
	"JobArrayID":       squeueLetters['i'],
	"JobID":            squeueLetters['A'],
	"LastSchedEval":    {"LAST_SCHED_EVAL", func(v jobView) cell { return str(v.timestamp(v.j.SubmitTime, "Unknown")) }},
	"Licenses":         squeueLetters['W'],
	"MaxCPUs":          {"MAX_CPUS", func(v jobView) cell { return str("0") }},
	"MaxNodes":         {"MAX_NODES", func(v jobView) cell { return num(maxNodes(v)) }},
	"MCSLabel":         {"MCSLABEL", func(v jobView) cell { return str("N/A") }},
	"mem-per-tres":     {"MEM_PER_TRES", func(v jobView) cell { return orNull(memPerTres(v)) }},
	"MinCpus":          squeueLetters['c'],
	"MinMemory":        squeueLetters['m'],
	"MinTime":          {"MIN_TIME", func(v jobView) cell { return str(minTime(v)) }},
	"MinTmpDisk":       squeueLetters['d'],
	"Name":             squeueLetters['j'],
	"Network":          {"NETWORK", func(v jobView) cell { return orNull("") }},
	"Nice":             squeueLetters['y'],
	"NodeList":         squeueLetters['N'],
	"NumCPUs":          squeueLetters['C'],
	"NumNodes":         squeueLetters['D'],
	"NumTasks":         {"TASKS", func(v jobView) cell { return num(v.tasks()) }},
	"OverSubscribe":    squeueLetters['h'],
	"Partition":        squeueLetters['P'],
	"PendingTime":      {"PENDING_TIME", func(v jobView) cell { return num(pendingSecs(v)) }},
	"PreemptTime":      {"PREEMPT_TIME", func(v jobView) cell { return str("N/A") }},
	"Prefer":           {"PREFER", func(v jobView) cell { return orNull("") }},
	"Priority":         squeueLetters['p'],
	"PriorityLong":     squeueLetters['Q'],
	"Profile":          {"PROFILE", func(v jobView) cell { return str("NotSet") }},
	"QOS":              squeueLetters['q'],
	"Reason":           squeueLetters['r'],
	"ReasonList":       squeueLetters['R'],
	"Reboot":           {"REBOOT", func(v jobView) cell { return str("0") }},
	"ReqNodes":         squeueLetters['n'],
	"ReqSwitch":        {"REQ_SWITCH", func(v jobView) cell { return str("0") }},
	"Requeue":          {"REQUEUE", func(v jobView) cell { return str(boolDigit(v.j.Requeue)) }},
	"Reservation":      squeueLetters['v'],
	"ResizeTime":       {"RESIZE_TIME", func(v jobView) cell { return str("0") }},
	"RestartCnt":       {"RESTART_COUNT", func(v jobView) cell { return num(v.j.RestartCount) }},
	"SchedNodes":       squeueLetters['Y'],
	"SCT":              squeueLetters['z'],
	"Sockets":          squeueLetters['H'],
	"StartTime":        squeueLetters['S'],
	"State":            squeueLetters['T'],
	"StateCompact":     squeueLetters['t'],
	"STDERR":           {"STDERR", func(v jobView) cell { return str(v.stdPattern("err")) }},
	"STDIN":            {"STDIN", func(v jobView) cell { return str(v.stdPattern("in")) }},
	"STDOUT":           {"STDOUT", func(v jobView) cell { return str(v.stdPattern("out")) }},
	"SubmitTime":       squeueLetters['V'],
	"system_comment":   {"SYSTEM_COMMENT", func(v jobView) cell { return orNull("") }},
	"Threads":          squeueLetters['J'],
	"TimeLeft":         squeueLetters['L'],
	"TimeLimit":        squeueLetters['l'],
	"TimeUsed":         squeueLetters['M'],
	"tres-alloc":       {"TRES_ALLOC", func(v jobView) cell { return str(v.tres()) }},
	"tres-per-job":     {"TRES_PER_JOB", func(v jobView) cell { return naIfEmpty(v.tresPerJob()) }},
	"tres-per-node":    squeueLetters['b'],
	"tres-per-task":    {"TRES_PER_TASK", func(v jobView) cell { return naIfEmpty(v.tresPerTask()) }},
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

// cpusPerTres is the --cpus-per-gpu request.
func cpusPerTres(v jobView) string {
	if v.spec == nil || v.spec.CPUsPerGPU == nil {
		return ""
	}
	return fmt.Sprintf("gres:gpu:%d", *v.spec.CPUsPerGPU)
}

// memPerTres is the --mem-per-gpu request.
func memPerTres(v jobView) string {
	if v.spec == nil || v.spec.MemPerGPUMiB == nil {
		return ""
	}
	return fmt.Sprintf("gres:gpu:%d", *v.spec.MemPerGPUMiB)
}

// maxNodes is the upper end of -N, or 0.
func maxNodes(v jobView) int {
	if v.spec != nil && v.spec.NodesMax != nil {
		return *v.spec.NodesMax
	}
	return 0
}

// minTime is --time-min.
func minTime(v jobView) string {
	if v.spec == nil || v.spec.TimeMin == nil || v.spec.TimeMin.Unlimited {
		return "0"
	}
	return limitShort(v.spec.TimeMin.Minutes)
}

// pendingSecs is how long the job waited (or has waited so far).
func pendingSecs(v jobView) int64 {
	end := v.now
	if !v.j.StartTime.IsZero() && v.j.State != state.StatePending {
		end = v.j.StartTime
	}
	if end.Before(v.j.SubmitTime) {
		return 0
	}
	return int64(end.Sub(v.j.SubmitTime).Seconds())
}
