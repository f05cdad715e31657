package main

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

const scontrolUsage = `scontrol [<OPTION>] [<COMMAND>]
    Valid <OPTION> values are:
     -a or --all: equivalent to "all" command
     -d or --details: equivalent to "details" command
     -h or --help: equivalent to "help" command
     -o or --oneliner: equivalent to "oneliner" command
     -Q or --quiet: equivalent to "quiet" command
     -v or --verbose: equivalent to "verbose" command
     -V or --version: equivalent to "version" command

  <keyword> may be omitted from the execute line and scontrol will execute
  in interactive mode. It will process commands as entered until explicitly
  terminated.

    Valid <COMMAND> values are:
     exit                     terminate scontrol
     help                     print this description of use.
     hold <job_list>          prevent specified job from starting.
     oneliner                 report output one record per line.
     quiet                    print no messages other than error messages.
     quit                     terminate this command.
     release <job_list>       permit specified job to start (see hold).
     requeue <job_id>         re-queue a batch job.
     requeuehold <job_id>     re-queue and hold a batch job.
     show <ENTITY> [<ID>]     display state of identified entity, default
                              is all records.
     uhold <job_list>         place user hold on specified job (see hold).
     update <SPECIFICATIONS>  update job or partition configuration.
     verbose                  enable detailed logging.
     version                  display tool version number.

  <ENTITY> may be "config", "job", "node" or "partition".

  <SPECIFICATIONS> for "update job" are JobId=<job_id> followed by any of
  TimeLimit=<time>, Partition=<name>, Dependency=<dependency_list>,
  Nice[=value], JobName=<name> (hpcbridge changes these on pending jobs).
`

// scontrolOptions are the inputs of one scontrol run.
type scontrolOptions struct {
	Client interface {
		jobLister
		jobGetter
		jobHolder
		jobUpdater
		partitionLister
		nodeLister
	}
	Words    []string // the command and its arguments
	OneLiner bool
	Details  bool
	Quiet    bool
	Now      time.Time
	Loc      *time.Location
	Env      []string
	users    *userInfo
}

// scontrolMain parses scontrol's options and runs its command, or reads
// commands from standard input when none is given.
func scontrolMain(args []string, s streams, d slurmDeps) int {
	o := scontrolOptions{Now: d.now(), Loc: d.loc, Env: s.env, users: newUserInfo(d.lookupUser)}
	var help, version bool
	var verbose int
	fs := &flagSet{prog: "scontrol", defs: []flagDef{
		{'a', "all", noArg, ignoreFlag},
		{'d', "details", noArg, setBool(&o.Details)},
		{'h', "help", noArg, setBool(&help)},
		{'M', "clusters", requiredArg, ignoreFlag},
		{'o', "oneliner", noArg, setBool(&o.OneLiner)},
		{'Q', "quiet", noArg, setBool(&o.Quiet)},
		{'u', "uid", requiredArg, ignoreFlag},
		{'v', "verbose", noArg, countUp(&verbose)},
		{'V', "version", noArg, setBool(&version)},
	}}
	// scontrol's options come before the command; the command's own words
	// (update Nice=-5, hold 12) are not options.
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		i++
		if args[i-1] == "--" {
			break
		}
	}
	if _, err := fs.parse(args[:i]); err != nil {
		return reportUsage(s, "scontrol", err)
	}
	switch {
	case help:
		fmt.Fprint(s.out, scontrolUsage)
		return exitOK
	case version:
		fmt.Fprintf(s.out, "slurm %s\n", slurmVersion)
		return exitOK
	}
	client, err := d.connect(s.env)
	if err != nil {
		fmt.Fprintln(s.err, connectError("scontrol", "slurm_load_jobs error", err))
		return exitRejected
	}
	o.Client = client
	if i < len(args) {
		o.Words = args[i:]
		return runScontrol(o, s)
	}
	return scontrolInteractive(o, s, d.isTerminal(s.in))
}

// scontrolInteractive runs the commands read from standard input, one per
// line, until "quit" or "exit"; the status is that of the last failure.
func scontrolInteractive(o scontrolOptions, s streams, tty bool) int {
	code := exitOK
	sc := bufio.NewScanner(s.in)
	for {
		if tty {
			fmt.Fprint(s.out, "scontrol: ")
		}
		if !sc.Scan() {
			return code
		}
		words := strings.Fields(sc.Text())
		if len(words) == 0 {
			continue
		}
		switch strings.ToLower(words[0]) {
		case "quit", "exit":
			return code
		case "oneliner":
			o.OneLiner = true
			continue
		case "details":
			o.Details = true
			continue
		case "quiet":
			o.Quiet = true
			continue
		}
		o.Words = words
		if c := runScontrol(o, s); c != exitOK {
			code = c
		}
	}
}

// keyword reports whether word abbreviates name to at least min letters,
// as scontrol accepts "sho" for "show".
func keyword(word, name string, min int) bool {
	w := strings.ToLower(word)
	return len(w) >= min && len(w) <= len(name) && strings.HasPrefix(name, w)
}

// runScontrol runs one scontrol command.
func runScontrol(o scontrolOptions, s streams) int {
	w := o.Words
	ctx := cliContext()
	switch {
	case keyword(w[0], "show", 3):
		return scontrolShow(ctx, o, s, w[1:])
	case keyword(w[0], "hold", 2):
		return scontrolAction(ctx, o, s, "hold", w[1:])
	case keyword(w[0], "uhold", 2):
		return scontrolAction(ctx, o, s, "uhold", w[1:])
	case keyword(w[0], "release", 3):
		return scontrolAction(ctx, o, s, "release", w[1:])
	case keyword(w[0], "requeue", 7):
		return scontrolAction(ctx, o, s, "requeue", w[1:])
	case keyword(w[0], "requeuehold", 8):
		if code := scontrolAction(ctx, o, s, "requeue", w[1:]); code != exitOK {
			return code
		}
		return scontrolAction(ctx, o, s, "hold", w[1:])
	case keyword(w[0], "update", 1):
		return scontrolUpdate(ctx, o, s, w[1:])
	case keyword(w[0], "version", 4):
		fmt.Fprintf(s.out, "slurm %s\n", slurmVersion)
		return exitOK
	case keyword(w[0], "help", 2):
		fmt.Fprint(s.out, scontrolUsage)
		return exitOK
	}
	fmt.Fprintf(s.err, "invalid keyword: %s\n", w[0])
	return exitRejected
}

// scontrolShow is "show job [ID]" and "show partition [NAME]".
func scontrolShow(ctx context.Context, o scontrolOptions, s streams, w []string) int {
	if len(w) == 0 {
		fmt.Fprintln(s.err, "too few arguments for keyword:show")
		return exitRejected
	}
	entity, id, hasID := strings.Cut(w[0], "=")
	if !hasID && len(w) > 1 {
		id, hasID = w[1], true
	}
	switch {
	case keyword(entity, "jobs", 1), strings.EqualFold(entity, "jobid"):
		return scontrolShowJob(ctx, o, s, id, hasID)
	case keyword(entity, "partitions", 2):
		return scontrolShowPartition(ctx, o, s, id, hasID)
	case keyword(entity, "nodes", 1):
		return scontrolShowNode(ctx, o, s, id, hasID)
	case keyword(entity, "config", 1):
		return scontrolShowConfig(ctx, o, s)
	}
	fmt.Fprintf(s.err, "invalid entity:%s for keyword:show \n", entity)
	return exitRejected
}

// scontrolShowJob prints one job (and, for an array, its tasks) or every
// job still in the queue.
func scontrolShowJob(ctx context.Context, o scontrolOptions, s streams, id string, hasID bool) int {
	q := &api.JobsQuery{States: []string{"all"}}
	var arg jobArg
	if hasID {
		var err error
		arg, err = parseJobArg(id)
		if err != nil || len(arg.Tasks) > 1 || len(arg.Tasks) == 1 && arg.Tasks[0].First != arg.Tasks[0].Last || arg.Empty || arg.Step != "" {
			fmt.Fprintln(s.err, "scontrol_print_job error: Invalid job id specified")
			return exitRejected
		}
		q.Jobs = []string{arg.Ref()}
	}
	jobs, _, err := o.Client.JobsAll(ctx, q)
	if err != nil {
		fmt.Fprintf(s.err, "slurm_load_jobs error: %s\n", apiMessage(err))
		return exitRejected
	}
	jobs = slices.DeleteFunc(jobs, func(j *state.Job) bool { return !visible(j, o.Now) })
	if len(jobs) == 0 && hasID {
		if arg.Tasks != nil {
			base, _, err := o.Client.Job(ctx, strconv.FormatUint(arg.JobID, 10), nil)
			if err == nil && visible(base, o.Now) {
				fmt.Fprintf(s.out, "Job %s not found\n", id)
				return exitRejected
			}
		}
		fmt.Fprintln(s.err, "slurm_load_jobs error: Invalid job id specified")
		return exitRejected
	}
	if len(jobs) == 0 {
		fmt.Fprintln(s.out, "No jobs in the system")
		return exitOK
	}
	orderShowJobs(jobs)
	fmt.Fprint(s.out, formatShowJobs(jobs, o))
	return exitOK
}

// orderShowJobs puts each array's pending remainder first, then its tasks
// newest first, as scontrol lists an array.
func orderShowJobs(jobs []*state.Job) {
	slices.SortStableFunc(jobs, func(a, b *state.Job) int {
		ka, kb := a.ID, b.ID
		if a.ArrayJobID != 0 {
			ka = a.ArrayJobID
		}
		if b.ArrayJobID != 0 {
			kb = b.ArrayJobID
		}
		if ka != kb {
			if ka < kb {
				return -1
			}
			return 1
		}
		switch {
		case a.IsArrayBase():
			return -1
		case b.IsArrayBase():
			return 1
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
}

// formatShowJobs renders jobs as "scontrol show job" does.
func formatShowJobs(jobs []*state.Job, o scontrolOptions) string {
	vc := &viewCtx{now: o.Now, tf: newTimeFormat(o.Env, o.loc(), o.Now), users: o.userDB()}
	var b strings.Builder
	for _, j := range jobs {
		writeRecord(&b, showJobLines(vc.view(j)), o.OneLiner)
	}
	return b.String()
}

// loc is the time zone timestamps are printed in (UTC when unset).
func (o scontrolOptions) loc() *time.Location {
	if o.Loc == nil {
		return time.UTC
	}
	return o.Loc
}

// userDB resolves user names (to nothing when unset).
func (o scontrolOptions) userDB() *userInfo {
	if o.users == nil {
		return newUserInfo(nil)
	}
	return o.users
}

// writeRecord writes scontrol's key=value record: the first line, then
// the others indented by three spaces, then an empty indented line and a
// blank line; or all of it on one line with -o.
func writeRecord(b *strings.Builder, lines []string, oneLiner bool) {
	if oneLiner {
		b.WriteString(strings.Join(lines, " "))
		b.WriteString(" \n")
		return
	}
	for i, l := range lines {
		if i > 0 {
			b.WriteString("   ")
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("   \n\n")
}

// showJobLines are the lines of one job's record.
func showJobLines(v jobView) []string {
	j := v.j
	ids := v.users.get(j.User)
	first := fmt.Sprintf("JobId=%d", j.ID)
	if j.ArrayJobID != 0 {
		first += fmt.Sprintf(" ArrayJobId=%d ArrayTaskId=%s", j.ArrayJobID, v.arrayTaskString())
		if t := j.Throttle(); t > 0 {
			first += fmt.Sprintf(" ArrayTaskThrottle=%d", t)
		}
	}
	first += " JobName=" + j.Name
	or := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	ts := func(t time.Time) string { return v.timestamp(t, "Unknown") }
	start, end := v.startTime(), v.endTime()
	lines := []string{
		first,
		fmt.Sprintf("UserId=%s(%d) GroupId=%s(%d) MCS_label=N/A", j.User, ids.uid, ids.group, ids.gid),
		fmt.Sprintf("Priority=%d Nice=%d Account=%s QOS=%s", v.priority(), j.Nice, or(j.Account, nullString), or(j.QOS, nullString)),
		// scontrol writes a reason's blanks as '_', for easier parsing.
		fmt.Sprintf("JobState=%s Reason=%s Dependency=%s", v.stateLong(), strings.Join(strings.Fields(v.reason()), "_"), or(v.dependency(), nullString)),
		fmt.Sprintf("Requeue=%s Restarts=%d BatchFlag=1 Reboot=0 ExitCode=%s", boolDigit(j.Requeue), j.RestartCount, j.ExitString()),
		fmt.Sprintf("RunTime=%s TimeLimit=%s TimeMin=%s", durationLong(v.used()), limitLong(j.TimeLimitMin), timeMinLong(v)),
		fmt.Sprintf("SubmitTime=%s EligibleTime=%s", ts(j.SubmitTime), ts(v.eligibleTime())),
		fmt.Sprintf("AccrueTime=%s", ts(accrueTime(v))),
		fmt.Sprintf("StartTime=%s EndTime=%s Deadline=N/A", ts(start), ts(end)),
		fmt.Sprintf("SuspendTime=None SecsPreSuspend=0 LastSchedEval=%s Scheduler=Main", ts(j.SubmitTime)),
		fmt.Sprintf("Partition=%s AllocNode:Sid=%s:0", j.Partition, or(submitHost(v), "(null)")),
		fmt.Sprintf("ReqNodeList=%s ExcNodeList=%s", or(v.reqNodes(), nullString), or(v.excNodes(), nullString)),
		"NodeList=" + j.NodeList,
	}
	if j.NodeList != "" {
		lines = append(lines, "BatchHost="+firstHost(j.NodeList))
	}
	lines = append(lines,
		fmt.Sprintf("NumNodes=%s NumCPUs=%d NumTasks=%s CPUs/Task=%d ReqB:S:C:T=0:0:*:*", numNodesShow(v), v.cpus(), numTasksShow(v), v.cpusPerTask()),
		"TRES="+v.tres(),
		"Socks/Node=* NtasksPerN:B:S:C="+ntasksPerNode(v)+":0:*:* CoreSpec=*",
		fmt.Sprintf("MinCPUsNode=%d %s MinTmpDiskNode=%s", v.minCPUsNode(), minMemoryShow(v), tmpDisk(v)),
		fmt.Sprintf("Features=%s DelayBoot=00:00:00", or(v.features(), nullString)),
		fmt.Sprintf("OverSubscribe=%s Contiguous=0 Licenses=%s Network=(null)", v.overSubscribe(), or(v.licenses(), nullString)),
		"Command="+or(v.command(), nullString),
		"WorkDir="+v.workDir(),
	)
	if c := v.comment(); c != "" {
		lines = append(lines, "Comment="+c+" ")
	}
	lines = append(lines,
		"StdErr="+v.stdPath("err"),
		"StdIn="+v.stdPath("in"),
		"StdOut="+v.stdPath("out"),
		"Power=",
	)
	if t := v.tresPerJob(); t != "" {
		lines = append(lines, "TresPerJob="+t)
	}
	if t := v.tresPerNode(); t != "" {
		lines = append(lines, "TresPerNode="+t)
	}
	if t := v.tresPerTask(); t != "" {
		lines = append(lines, "TresPerTask="+t)
	}
	if v.spec != nil && v.spec.MailUser != nil {
		lines = append(lines, "MailUser="+*v.spec.MailUser+" MailType="+strings.Join(mailTypes(v.spec), ","))
	}
	return lines
}

// mailTypes lists the --mail-type values as scontrol prints them.
func mailTypes(spec *jobspec.Spec) []string {
	if len(spec.MailType) == 0 {
		return []string{"NONE"}
	}
	return spec.MailType
}

// numNodesShow is NumNodes: the nodes allocated, or the requested range
// (min-max when -N was given).
func numNodesShow(v jobView) string {
	if v.j.NodeList != "" || v.spec == nil || v.spec.NodesMin == nil {
		return strconv.Itoa(v.nodes())
	}
	hi := v.nodesMin()
	if v.spec.NodesMax != nil {
		hi = *v.spec.NodesMax
	}
	return fmt.Sprintf("%d-%d", v.nodesMin(), hi)
}

// numTasksShow is NumTasks: N/A for a job that ended without running.
func numTasksShow(v jobView) string {
	if v.j.State.Terminal() && v.j.NodeList == "" {
		return "N/A"
	}
	return strconv.Itoa(v.tasks())
}

// ntasksPerNode is --ntasks-per-node, or 0.
func ntasksPerNode(v jobView) string {
	if v.spec != nil && v.spec.NtasksPerNode != nil {
		return strconv.Itoa(*v.spec.NtasksPerNode)
	}
	return "0"
}

// minMemoryShow is MinMemoryNode=, MinMemoryCPU= or MinMemoryGPU=.
func minMemoryShow(v jobView) string {
	if v.spec != nil {
		switch {
		case v.spec.MemPerCPUMiB != nil:
			return "MinMemoryCPU=" + memString(*v.spec.MemPerCPUMiB)
		case v.spec.MemPerGPUMiB != nil:
			return "MinMemoryNode=0"
		}
	}
	return "MinMemoryNode=" + v.minMemory()
}

// timeMinLong is TimeMin: --time-min, or N/A.
func timeMinLong(v jobView) string {
	if v.spec == nil || v.spec.TimeMin == nil || v.spec.TimeMin.Unlimited {
		return "N/A"
	}
	return limitLong(v.spec.TimeMin.Minutes)
}

// accrueTime is when the job started to accrue age priority: as the
// eligible time, except that an array throttled by its limit accrues
// from submission.
func accrueTime(v jobView) time.Time {
	if v.j.State == state.StatePending && v.j.Reason == state.ReasonArrayTaskLimit {
		return v.j.SubmitTime
	}
	return v.eligibleTime()
}

// scontrolShowPartition prints partitions as "scontrol show partition".
func scontrolShowPartition(ctx context.Context, o scontrolOptions, s streams, name string, hasName bool) int {
	parts, err := o.Client.Partitions(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "slurm_load_partitions error: %s\n", apiMessage(err))
		return exitRejected
	}
	list, err := o.Client.Nodes(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "slurm_load_node error: %s\n", apiMessage(err))
		return exitRejected
	}
	var b strings.Builder
	for _, p := range parts {
		if hasName && p.Name != name {
			continue
		}
		writeRecord(&b, partitionLines(p, list.Nodes), o.OneLiner)
	}
	if b.Len() == 0 {
		if hasName {
			fmt.Fprintf(s.out, "Partition %s not found\n", name)
			return exitRejected
		}
		fmt.Fprintln(s.out, "No partitions in the system")
		return exitOK
	}
	out := b.String()
	if !o.OneLiner {
		// A partition record ends with one blank line, not an indented one.
		out = strings.ReplaceAll(out, "\n   \n\n", "\n\n")
	}
	fmt.Fprint(s.out, out)
	return exitOK
}

// partitionLines are the lines of one partition's record, with the Nomad
// nodes that serve it (see sinfo).
func partitionLines(p api.Partition, nodes []api.Node) []string {
	yes := func(b bool) string {
		if b {
			return "YES"
		}
		return "NO"
	}
	st := strings.ToUpper(p.State)
	if st == "" {
		st = "UP"
	}
	return []string{
		"PartitionName=" + p.Name,
		"AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL",
		"AllocNodes=ALL Default=" + yes(p.Default) + " QoS=N/A",
		"DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO",
		"MaxNodes=UNLIMITED MaxTime=UNLIMITED MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED",
		"Nodes=" + partitionNodes(p.Name, nodes),
		"PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO",
		"OverTimeLimit=NONE PreemptMode=OFF",
		"State=" + st + " " + partitionTotals(p.Name, nodes) + " SelectTypeParameters=NONE",
		"JobDefaults=(null)",
		"DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED",
	}
}

// scontrolAction is hold, release and requeue of job lists.
func scontrolAction(ctx context.Context, o scontrolOptions, s streams, what string, w []string) int {
	if len(w) == 0 {
		fmt.Fprintf(s.err, "too few arguments for keyword:%s\n", what)
		return exitRejected
	}
	var refs []string
	for _, word := range w {
		for _, it := range splitJobArgs(word) {
			if it = strings.TrimPrefix(it, "jobid="); it != "" {
				refs = append(refs, it)
			}
		}
	}
	code := exitOK
	var valid []string
	for _, r := range refs {
		a, err := parseJobArg(r)
		if err != nil || a.Empty || a.Step != "" {
			reportActionFailure(s, what, r, "Invalid job id specified", o.Quiet)
			code = exitRejected
			continue
		}
		valid = append(valid, a.Ref())
	}
	if len(valid) == 0 {
		return code
	}
	var do func(context.Context, *api.RefsRequest) (*api.ActionResponse, error)
	req := &api.RefsRequest{Refs: valid}
	switch what {
	case "hold", "uhold":
		// uhold: a user hold, which the owner may release, even from an
		// administrator.
		do, req.UserHold, what = o.Client.Hold, what == "uhold", "hold"
	case "release":
		do = o.Client.Release
	default:
		do = o.Client.Requeue
	}
	resp, err := do(ctx, req)
	if c := reportAction(s, what, valid, resp, err, o.Quiet); c != exitOK {
		code = c
	}
	return code
}

// reportAction prints the failures of an action, one per job, as
// scontrol does ("Invalid job id specified for job 12").
func reportAction(s streams, what string, refs []string, resp *api.ActionResponse, err error, quiet bool) int {
	errs, err := refErrors(resp, err)
	if err != nil {
		fmt.Fprintf(s.err, "slurm_%s error: Unable to contact slurm controller (connect failure): %v\n", what, err)
		return exitRejected
	}
	for _, e := range errs {
		ref := e.Ref
		if ref == "" && len(refs) == 1 {
			ref = refs[0]
		}
		reportActionFailure(s, what, ref, codeMessage(e.Code, e.Message), quiet)
	}
	if len(errs) > 0 {
		return exitRejected
	}
	return exitOK
}

// reportActionFailure prints one job's failure; hold and release also
// print slurm_suspend's summary line, as scontrol does.
func reportActionFailure(s streams, what, ref, msg string, quiet bool) {
	if quiet {
		return
	}
	if ref != "" {
		fmt.Fprintf(s.err, "%s for job %s\n", msg, ref)
	} else {
		fmt.Fprintln(s.err, msg)
	}
	if what == "hold" || what == "release" {
		fmt.Fprintf(s.err, "slurm_suspend error: %s\n", msg)
	}
}

// scontrolUpdate is "update JobId=ID[,ID...] KEY=VALUE...".
func scontrolUpdate(ctx context.Context, o scontrolOptions, s streams, w []string) int {
	req := &api.UpdateRequest{}
	var jobIDs string
	changes := 0
	for _, word := range w {
		key, val, hasVal := strings.Cut(word, "=")
		switch k := strings.ToLower(key); {
		case k == "jobid" && hasVal:
			jobIDs = val
		case k == "timelimit" && hasVal:
			if !validTimeLimit(val) {
				fmt.Fprintln(s.err, "scontrol: error: Invalid TimeLimit value")
				return exitRejected
			}
			req.TimeLimit = &val
			changes++
		case k == "partition" && hasVal:
			req.Partition = &val
			changes++
		case k == "dependency" && hasVal:
			req.Dependency = &val
			changes++
		case (k == "jobname" || k == "name") && hasVal:
			req.Name = &val
			changes++
		case k == "nice":
			n := 100
			if hasVal {
				v, err := strconv.Atoi(val)
				if err != nil {
					fmt.Fprintf(s.err, "Invalid nice value: %s\n", val)
					return exitRejected
				}
				n = v
			}
			req.Nice = &n
			changes++
		default:
			fmt.Fprintf(s.err, "Update of this parameter is not supported: %s\n", word)
			fmt.Fprintln(s.err, "Request aborted")
			return exitRejected
		}
	}
	if jobIDs == "" {
		fmt.Fprintln(s.err, "No valid entity in update command")
		fmt.Fprintln(s.err, "Input line must include \"NodeName\", \"PartitionName\", \"Reservation\", \"JobId\", or \"SlurmctldDebug\"")
		return exitRejected
	}
	if changes == 0 {
		fmt.Fprintln(s.err, "No changes specified")
		return exitRejected
	}
	for _, r := range splitJobArgs(jobIDs) {
		a, err := parseJobArg(r)
		if err != nil || a.Empty || a.Step != "" {
			fmt.Fprintf(s.err, "Invalid job id specified for job %s\n", r)
			return exitRejected
		}
		req.Refs = append(req.Refs, a.Ref())
	}
	if req.TimeLimit != nil && strings.ContainsAny((*req.TimeLimit)[:1], "+-") {
		return relativeUpdate(ctx, o, s, req)
	}
	resp, err := o.Client.Update(ctx, req)
	return reportAction(s, "update", req.Refs, resp, err, o.Quiet)
}

// relativeUpdate applies TimeLimit=+TIME or -TIME: each job's limit is
// read, moved by TIME, and written back.
func relativeUpdate(ctx context.Context, o scontrolOptions, s streams, req *api.UpdateRequest) int {
	sign, amount := (*req.TimeLimit)[0], (*req.TimeLimit)[1:]
	delta, _ := jobspec.ParseTime(amount)
	code := exitOK
	for _, ref := range req.Refs {
		j, _, err := o.Client.Job(ctx, ref, nil)
		if err != nil {
			reportActionFailure(s, "update", ref, apiMessage(err), o.Quiet)
			code = exitRejected
			continue
		}
		if j.TimeLimitMin == 0 || delta.Unlimited {
			reportActionFailure(s, "update", ref, "Requested time limit is invalid (missing or exceeds some limit)", o.Quiet)
			code = exitRejected
			continue
		}
		min := j.TimeLimitMin + delta.Minutes
		if sign == '-' {
			min = j.TimeLimitMin - delta.Minutes
		}
		if min < 1 {
			min = 1
		}
		one := *req
		one.Refs = []string{ref}
		tl := strconv.Itoa(min)
		one.TimeLimit = &tl
		resp, err := o.Client.Update(ctx, &one)
		if c := reportAction(s, "update", one.Refs, resp, err, o.Quiet); c != exitOK {
			code = c
		}
	}
	return code
}

// validTimeLimit accepts what scontrol update TimeLimit= takes: a Slurm
// time, UNLIMITED, or +TIME/-TIME to extend or shorten.
func validTimeLimit(v string) bool {
	v = strings.TrimLeft(v, "+-")
	_, err := jobspec.ParseTime(v)
	return v != "" && err == nil
}
