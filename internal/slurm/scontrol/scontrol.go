package scontrol

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
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
		slurm.JobLister
		slurm.JobGetter
		slurm.JobHolder
		slurm.JobUpdater
		slurm.PartitionLister
		slurm.NodeLister
	}
	Words    []string // the command and its arguments
	OneLiner bool
	Details  bool
	Quiet    bool
	// Locale is the clock, time zone, environment and user database
	// the report is printed with.
	slurm.Locale
}

// Main parses scontrol's options and runs its command, or reads
// commands from standard input when none is given.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	o := scontrolOptions{Locale: slurm.NewLocale(s, d)}
	var info slurm.InfoFlags
	var verbose int
	fs := &slurm.FlagSet{Prog: "scontrol", Defs: []slurm.FlagDef{
		{Short: 'a', Long: "all", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'd', Long: "details", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Details)},
		{Short: 'h', Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Help)},
		{Short: 'M', Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 'o', Long: "oneliner", Arg: slurm.NoArg, Set: slurm.SetBool(&o.OneLiner)},
		{Short: 'Q', Long: "quiet", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Quiet)},
		{Short: 'u', Long: "uid", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.CountUp(&verbose)},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Version)},
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
	if _, err := fs.Parse(args[:i]); err != nil {
		return slurm.ReportUsage(s, "scontrol", err)
	}
	if info.Answer(s, scontrolUsage, scontrolUsage) {
		return slurm.ExitOK
	}
	client, ok := slurm.Open(s, d, "scontrol", "slurm_load_jobs error")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = client
	if i < len(args) {
		o.Words = args[i:]
		return runScontrol(o, s)
	}
	return scontrolInteractive(o, s, d.IsTerminal(s.In))
}

// scontrolInteractive runs the commands read from standard input, one per
// line, until "quit" or "exit"; the status is that of the last failure.
func scontrolInteractive(o scontrolOptions, s slurm.Streams, tty bool) int {
	code := slurm.ExitOK
	sc := bufio.NewScanner(s.In)
	for {
		if tty {
			fmt.Fprint(s.Out, "scontrol: ")
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
		if c := runScontrol(o, s); c != slurm.ExitOK {
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
func runScontrol(o scontrolOptions, s slurm.Streams) int {
	w := o.Words
	ctx := slurm.Context()
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
		if code := scontrolAction(ctx, o, s, "requeue", w[1:]); code != slurm.ExitOK {
			return code
		}
		return scontrolAction(ctx, o, s, "hold", w[1:])
	case keyword(w[0], "update", 1):
		return scontrolUpdate(ctx, o, s, w[1:])
	case keyword(w[0], "version", 4):
		fmt.Fprintf(s.Out, "slurm %s\n", slurm.Version)
		return slurm.ExitOK
	case keyword(w[0], "help", 2):
		fmt.Fprint(s.Out, scontrolUsage)
		return slurm.ExitOK
	}
	fmt.Fprintf(s.Err, "invalid keyword: %s\n", w[0])
	return slurm.ExitRejected
}

// scontrolShow is "show job [ID]" and "show partition [NAME]".
func scontrolShow(ctx context.Context, o scontrolOptions, s slurm.Streams, w []string) int {
	if len(w) == 0 {
		fmt.Fprintln(s.Err, "too few arguments for keyword:show")
		return slurm.ExitRejected
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
	if code, ok := scontrolShowHosts(s, entity, id, hasID); ok {
		return code
	}
	fmt.Fprintf(s.Err, "invalid entity:%s for keyword:show \n", entity)
	return slurm.ExitRejected
}

// scontrolShowJob prints one job (and, for an array, its tasks) or every
// job still in the queue.
func scontrolShowJob(ctx context.Context, o scontrolOptions, s slurm.Streams, id string, hasID bool) int {
	q := &api.JobsQuery{States: []string{"all"}}
	var arg slurm.JobArg
	if hasID {
		var err error
		arg, err = slurm.ParseJobArg(id)
		if err != nil || len(arg.Tasks) > 1 || len(arg.Tasks) == 1 && arg.Tasks[0].First != arg.Tasks[0].Last || arg.Empty || arg.Step != "" {
			fmt.Fprintln(s.Err, "scontrol_print_job error: Invalid job id specified")
			return slurm.ExitRejected
		}
		q.Jobs = []string{arg.Ref()}
	}
	jobs, _, err := o.Client.JobsAll(ctx, q)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_load_jobs error: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	jobs = slices.DeleteFunc(jobs, func(j *state.Job) bool { return !slurm.Visible(j, o.Now) })
	if len(jobs) == 0 && hasID {
		if arg.Tasks != nil {
			base, _, err := o.Client.Job(ctx, strconv.FormatUint(arg.JobID, 10), nil)
			if err == nil && slurm.Visible(base, o.Now) {
				fmt.Fprintf(s.Out, "Job %s not found\n", id)
				return slurm.ExitRejected
			}
		}
		fmt.Fprintln(s.Err, "slurm_load_jobs error: Invalid job id specified")
		return slurm.ExitRejected
	}
	if len(jobs) == 0 {
		fmt.Fprintln(s.Out, "No jobs in the system")
		return slurm.ExitOK
	}
	orderShowJobs(jobs)
	o.Priorities = slurm.SchedulerPriorities(ctx, o.Client, jobs)
	fmt.Fprint(s.Out, formatShowJobs(jobs, o))
	return slurm.ExitOK
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
	vc := o.ViewCtx(o.Now)
	var b strings.Builder
	for _, j := range jobs {
		writeRecord(&b, showJobLines(vc.View(j)), o.OneLiner)
	}
	return b.String()
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
func showJobLines(v slurm.JobView) []string {
	j := v.Job
	ids := v.Users.Get(j.User)
	first := fmt.Sprintf("JobId=%d", j.ID)
	if j.ArrayJobID != 0 {
		first += fmt.Sprintf(" ArrayJobId=%d ArrayTaskId=%s", j.ArrayJobID, v.ArrayTaskString())
		if t := j.Throttle(); t > 0 {
			first += fmt.Sprintf(" ArrayTaskThrottle=%d", t)
		}
	}
	first += " JobName=" + j.Name
	ts := func(t time.Time) string { return v.Timestamp(t, "Unknown") }
	start, end := v.StartTime(), v.EndTime()
	lines := []string{
		first,
		fmt.Sprintf("UserId=%s(%d) GroupId=%s(%d) MCS_label=N/A", j.User, ids.Uid, ids.Group, ids.Gid),
		fmt.Sprintf("Priority=%d Nice=%d Account=%s QOS=%s", v.Priority(), j.Nice, slurm.CmpOr(j.Account, slurm.NullString), slurm.CmpOr(j.QOS, slurm.NullString)),
		// scontrol writes a reason's blanks as '_', for easier parsing.
		fmt.Sprintf("JobState=%s Reason=%s Dependency=%s", v.StateLong(), strings.Join(strings.Fields(v.Reason()), "_"), slurm.CmpOr(v.Dependency(), slurm.NullString)),
		fmt.Sprintf("Requeue=%s Restarts=%d BatchFlag=1 Reboot=0 ExitCode=%s", slurm.BoolDigit(j.Requeue), j.RestartCount, j.ExitString()),
	}
	if cp := j.Checkpoints; cp != nil && cp.Count > 0 {
		// hpcbridge's own: the job's committed checkpoints (checkpoints.md).
		lines = append(lines, fmt.Sprintf("Checkpoints=%d LastCheckpoint=%s CheckpointSize=%d", cp.Count, ts(cp.Time), cp.Size))
	}
	lines = append(lines,
		fmt.Sprintf("RunTime=%s TimeLimit=%s TimeMin=%s", slurm.DurationLong(v.Used()), slurm.LimitLong(j.TimeLimitMin), timeMinLong(v)),
		fmt.Sprintf("SubmitTime=%s EligibleTime=%s", ts(j.SubmitTime), ts(v.EligibleTime())),
		fmt.Sprintf("AccrueTime=%s", ts(accrueTime(v))),
		fmt.Sprintf("StartTime=%s EndTime=%s Deadline=N/A", ts(start), ts(end)),
		fmt.Sprintf("SuspendTime=None SecsPreSuspend=0 LastSchedEval=%s Scheduler=Main", ts(j.SubmitTime)),
		fmt.Sprintf("Partition=%s AllocNode:Sid=%s:0", j.Partition, slurm.CmpOr(slurm.SubmitHost(v), slurm.NullString)),
		fmt.Sprintf("ReqNodeList=%s ExcNodeList=%s", slurm.CmpOr(v.ReqNodes(), slurm.NullString), slurm.CmpOr(v.ExcNodes(), slurm.NullString)),
		"NodeList="+j.NodeList,
	)
	if j.NodeList != "" {
		lines = append(lines, "BatchHost="+slurm.FirstHost(j.NodeList))
	}
	lines = append(lines,
		fmt.Sprintf("NumNodes=%s NumCPUs=%d NumTasks=%s CPUs/Task=%d ReqB:S:C:T=0:0:*:*", numNodesShow(v), v.CPUs(), numTasksShow(v), v.CPUsPerTask()),
		"TRES="+v.TRES(),
		"Socks/Node=* NtasksPerN:B:S:C="+ntasksPerNode(v)+":0:*:* CoreSpec=*",
		fmt.Sprintf("MinCPUsNode=%d %s MinTmpDiskNode=%s", v.MinCPUsNode(), minMemoryShow(v), slurm.TmpDisk(v)),
		fmt.Sprintf("Features=%s DelayBoot=00:00:00", slurm.CmpOr(v.Features(), slurm.NullString)),
		fmt.Sprintf("OverSubscribe=%s Contiguous=0 Licenses=%s Network=(null)", v.OverSubscribe(), slurm.CmpOr(v.Licenses(), slurm.NullString)),
		"Command="+slurm.CmpOr(v.Command(), slurm.NullString),
		"WorkDir="+v.WorkDir(),
	)
	if c := v.Comment(); c != "" {
		lines = append(lines, "Comment="+c+" ")
	}
	lines = append(lines,
		"StdErr="+v.StdPath("err"),
		"StdIn="+v.StdPath("in"),
		"StdOut="+v.StdPath("out"),
		"Power=",
	)
	if t := v.CPUsPerTRES(); t != "" {
		lines = append(lines, "CpusPerTres="+t)
	}
	if t := v.MemPerTRES(); t != "" {
		lines = append(lines, "MemPerTres="+t)
	}
	if t := v.TRESPerJob(); t != "" {
		lines = append(lines, "TresPerJob="+t)
	}
	if t := v.TRESPerNode(); t != "" {
		lines = append(lines, "TresPerNode="+t)
	}
	if t := v.TRESPerTask(); t != "" {
		lines = append(lines, "TresPerTask="+t)
	}
	if v.Spec != nil && v.Spec.MailUser != nil {
		lines = append(lines, "MailUser="+*v.Spec.MailUser+" MailType="+strings.Join(mailTypes(v.Spec), ","))
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
func numNodesShow(v slurm.JobView) string {
	if v.Job.NodeList != "" || v.Spec == nil || v.Spec.NodesMin == nil {
		return strconv.Itoa(v.Nodes())
	}
	hi := v.NodesMin()
	if v.Spec.NodesMax != nil {
		hi = *v.Spec.NodesMax
	}
	return fmt.Sprintf("%d-%d", v.NodesMin(), hi)
}

// numTasksShow is NumTasks: N/A for a job that ended without running.
func numTasksShow(v slurm.JobView) string {
	if v.Job.State.Terminal() && v.Job.NodeList == "" {
		return "N/A"
	}
	return strconv.Itoa(v.Tasks())
}

// ntasksPerNode is --ntasks-per-node, or 0.
func ntasksPerNode(v slurm.JobView) string {
	if v.Spec != nil && v.Spec.NtasksPerNode != nil {
		return strconv.Itoa(*v.Spec.NtasksPerNode)
	}
	return "0"
}

// minMemoryShow is MinMemoryNode=, MinMemoryCPU= or MinMemoryGPU=.
func minMemoryShow(v slurm.JobView) string {
	if v.Spec != nil {
		switch {
		case v.Spec.MemPerCPUMiB != nil:
			return "MinMemoryCPU=" + slurm.MemString(*v.Spec.MemPerCPUMiB)
		case v.Spec.MemPerGPUMiB != nil:
			return "MinMemoryNode=0"
		}
	}
	return "MinMemoryNode=" + v.MinMemory()
}

// timeMinLong is TimeMin: --time-min, or N/A.
func timeMinLong(v slurm.JobView) string {
	if v.Spec == nil || v.Spec.TimeMin == nil || v.Spec.TimeMin.Unlimited {
		return "N/A"
	}
	return slurm.LimitLong(v.Spec.TimeMin.Minutes)
}

// accrueTime is when the job started to accrue age priority: as the
// eligible time, except that an array throttled by its limit accrues
// from submission.
func accrueTime(v slurm.JobView) time.Time {
	if v.Job.State == state.StatePending && v.Job.Reason == state.ReasonArrayTaskLimit {
		return v.Job.SubmitTime
	}
	return v.EligibleTime()
}

// scontrolShowPartition prints partitions as "scontrol show partition".
func scontrolShowPartition(ctx context.Context, o scontrolOptions, s slurm.Streams, name string, hasName bool) int {
	parts, err := o.Client.Partitions(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_load_partitions error: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	list, err := o.Client.Nodes(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_load_node error: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
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
			fmt.Fprintf(s.Out, "Partition %s not found\n", name)
			return slurm.ExitRejected
		}
		fmt.Fprintln(s.Out, "No partitions in the system")
		return slurm.ExitOK
	}
	out := b.String()
	if !o.OneLiner {
		// A partition record ends with one blank line, not an indented one.
		out = strings.ReplaceAll(out, "\n   \n\n", "\n\n")
	}
	fmt.Fprint(s.Out, out)
	return slurm.ExitOK
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
func scontrolAction(ctx context.Context, o scontrolOptions, s slurm.Streams, what string, w []string) int {
	if len(w) == 0 {
		fmt.Fprintf(s.Err, "too few arguments for keyword:%s\n", what)
		return slurm.ExitRejected
	}
	var refs []string
	for _, word := range w {
		for _, it := range slurm.SplitJobArgs(word) {
			if it = strings.TrimPrefix(it, "jobid="); it != "" {
				refs = append(refs, it)
			}
		}
	}
	code := slurm.ExitOK
	var valid []string
	for _, r := range refs {
		a, err := slurm.ParseJobArg(r)
		if err != nil || a.Empty || a.Step != "" {
			reportActionFailure(s, what, r, "Invalid job id specified", o.Quiet)
			code = slurm.ExitRejected
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
	if c := reportAction(s, what, valid, resp, err, o.Quiet); c != slurm.ExitOK {
		code = c
	}
	return code
}

// reportAction prints the failures of an action, one per job, as
// scontrol does ("Invalid job id specified for job 12").
func reportAction(s slurm.Streams, what string, refs []string, resp *api.ActionResponse, err error, quiet bool) int {
	errs, err := slurm.RefErrors(resp, err)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_%s error: Unable to contact slurm controller (connect failure): %v\n", what, err)
		return slurm.ExitRejected
	}
	for _, e := range errs {
		ref := e.Ref
		if ref == "" && len(refs) == 1 {
			ref = refs[0]
		}
		reportActionFailure(s, what, ref, slurm.CodeMessage(e.Code, e.Message), quiet)
	}
	if len(errs) > 0 {
		return slurm.ExitRejected
	}
	return slurm.ExitOK
}

// reportActionFailure prints one job's failure; hold and release also
// print slurm_suspend's summary line, as scontrol does.
func reportActionFailure(s slurm.Streams, what, ref, msg string, quiet bool) {
	if quiet {
		return
	}
	if ref != "" {
		fmt.Fprintf(s.Err, "%s for job %s\n", msg, ref)
	} else {
		fmt.Fprintln(s.Err, msg)
	}
	if what == "hold" || what == "release" {
		fmt.Fprintf(s.Err, "slurm_suspend error: %s\n", msg)
	}
}

// scontrolUpdate is "update JobId=ID[,ID...] KEY=VALUE...".
func scontrolUpdate(ctx context.Context, o scontrolOptions, s slurm.Streams, w []string) int {
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
				fmt.Fprintln(s.Err, "scontrol: error: Invalid TimeLimit value")
				return slurm.ExitRejected
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
					fmt.Fprintf(s.Err, "Invalid nice value: %s\n", val)
					return slurm.ExitRejected
				}
				n = v
			}
			req.Nice = &n
			changes++
		default:
			fmt.Fprintf(s.Err, "Update of this parameter is not supported: %s\n", word)
			fmt.Fprintln(s.Err, "Request aborted")
			return slurm.ExitRejected
		}
	}
	if jobIDs == "" {
		fmt.Fprintln(s.Err, "No valid entity in update command")
		fmt.Fprintln(s.Err, "Input line must include \"NodeName\", \"PartitionName\", \"Reservation\", \"JobId\", or \"SlurmctldDebug\"")
		return slurm.ExitRejected
	}
	if changes == 0 {
		fmt.Fprintln(s.Err, "No changes specified")
		return slurm.ExitRejected
	}
	for _, r := range slurm.SplitJobArgs(jobIDs) {
		a, err := slurm.ParseJobArg(r)
		if err != nil || a.Empty || a.Step != "" {
			fmt.Fprintf(s.Err, "Invalid job id specified for job %s\n", r)
			return slurm.ExitRejected
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
func relativeUpdate(ctx context.Context, o scontrolOptions, s slurm.Streams, req *api.UpdateRequest) int {
	sign, amount := (*req.TimeLimit)[0], (*req.TimeLimit)[1:]
	delta, _ := jobspec.ParseTime(amount)
	code := slurm.ExitOK
	for _, ref := range req.Refs {
		j, _, err := o.Client.Job(ctx, ref, nil)
		if err != nil {
			reportActionFailure(s, "update", ref, slurm.APIMessage(err), o.Quiet)
			code = slurm.ExitRejected
			continue
		}
		if j.TimeLimitMin == 0 || delta.Unlimited {
			reportActionFailure(s, "update", ref, "Requested time limit is invalid (missing or exceeds some limit)", o.Quiet)
			code = slurm.ExitRejected
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
		if c := reportAction(s, "update", one.Refs, resp, err, o.Quiet); c != slurm.ExitOK {
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
