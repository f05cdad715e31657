package sacct

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// sacct's default field lists (sacct(1)).
const (
	sacctDefaultFormat = "jobid,jobname,partition,account,alloccpus,state,exitcode"
	sacctBriefFormat   = "jobid,state,exitcode"
	sacctLongFormat    = "jobid,jobidraw,jobname,partition,maxvmsize,maxvmsizenode,maxvmsizetask,avevmsize,maxrss,maxrssnode,maxrsstask,averss,maxpages,maxpagesnode,maxpagestask,avepages,mincpu,mincpunode,mincputask,avecpu,ntasks,alloccpus,elapsed,state,exitcode,avecpufreq,reqcpufreqmin,reqcpufreqmax,reqcpufreqgov,reqmem,consumedenergy,maxdiskread,maxdiskreadnode,maxdiskreadtask,avediskread,maxdiskwrite,maxdiskwritenode,maxdiskwritetask,avediskwrite,reqtres,alloctres,tresusageinave,tresusageinmax,tresusageinmaxn,tresusageinmaxt,tresusageinmin,tresusageinminn,tresusageinmint,tresusageintot,tresusageoutmax,tresusageoutmaxn,tresusageoutmaxt,tresusageoutave,tresusageouttot"
)

const sacctUsage = `Usage: sacct [options]
	Use --help for help
`

const sacctHelp = `sacct [<OPTION>]
    Valid <OPTION> values are:
     -a, --allusers:     display jobs for all users.
     -A, --accounts:     only send data about these accounts.
     -b, --brief:        equivalent to '--format=jobid,state,exitcode'.
     -D, --duplicates:   also list the earlier runs of requeued jobs.
     --delimiter:        ASCII characters used to separate the fields with -p or -P.
     -e, --helpformat:   print a list of fields that can be specified with --format.
     -E, --endtime:      select jobs eligible before this time.
     -h, --help:         print this description of use.
     -j, --jobs:         comma separated list of jobs to print.
     --json:             produce JSON output.
     -l, --long:         equivalent to specifying a long list of fields.
     --name:             only send data about jobs with these names.
     -n, --noheader:     no header will be added to the beginning of output.
     -o, --format:       comma separated list of fields (use -e for a list).
     -p, --parsable:     output will be '|' delimited with a '|' at the end.
     -P, --parsable2:    output will be '|' delimited without a '|' at the end.
     -r, --partition:    only send data about jobs in these partitions.
     -q, --qos:          only send data about jobs using these qos.
     -s, --state:        select jobs based on their state during the time period.
     -S, --starttime:    select jobs eligible after this time.
     -T, --truncate:     truncate start and end times to the time window.
     -u, --user:         display only jobs of these users.
     --usage:            display a brief summary of sacct options.
     -v, --verbose:      report the time window in use.
     -V, --version:      print version.
     -X, --allocations:  only show statistics relevant to the job allocation itself.
`

// sacctFieldDef is one field of sacct's table: its header and default
// width (negative: left-justified).
type sacctFieldDef struct {
	name  string
	width int
}

// sacctFields are the fields sacct --helpformat lists, in its order, with
// sacct's default widths.
var sacctFields = []sacctFieldDef{
	{"Account", 10}, {"AdminComment", 15}, {"AllocCPUS", 10}, {"AllocNodes", 10},
	{"AllocTRES", 10}, {"AssocID", 10}, {"AveCPU", 10}, {"AveCPUFreq", 10},
	{"AveDiskRead", 14}, {"AveDiskWrite", 14}, {"AvePages", 10}, {"AveRSS", 10},
	{"AveVMSize", 10}, {"BlockID", 16}, {"Cluster", 10}, {"Comment", 15},
	{"Constraints", 19}, {"ConsumedEnergy", 14}, {"ConsumedEnergyRaw", 17}, {"Container", 19},
	{"CPUTime", 10}, {"CPUTimeRAW", 10}, {"DBIndex", 9}, {"DerivedExitCode", 15},
	{"Elapsed", 10}, {"ElapsedRaw", 10}, {"Eligible", 19}, {"End", 19},
	{"ExitCode", 8}, {"Flags", 20}, {"GID", 6}, {"Group", 9},
	{"JobID", -12}, {"JobIDRaw", -12}, {"JobName", 10}, {"Layout", 8},
	{"MaxDiskRead", 12}, {"MaxDiskReadNode", 15}, {"MaxDiskReadTask", 15}, {"MaxDiskWrite", 12},
	{"MaxDiskWriteNode", 16}, {"MaxDiskWriteTask", 16}, {"MaxPages", 8}, {"MaxPagesNode", 12},
	{"MaxPagesTask", 12}, {"MaxRSS", 10}, {"MaxRSSNode", 10}, {"MaxRSSTask", 10},
	{"MaxVMSize", 10}, {"MaxVMSizeNode", 13}, {"MaxVMSizeTask", 13}, {"McsLabel", 20},
	{"MinCPU", 10}, {"MinCPUNode", 10}, {"MinCPUTask", 10}, {"NCPUS", 10},
	{"NNodes", 8}, {"NodeList", 15}, {"NTasks", 8}, {"Partition", 10},
	{"Priority", 10}, {"QOS", 10}, {"QOSRAW", 10}, {"Reason", 20},
	{"ReqCPUFreq", 13}, {"ReqCPUFreqGov", 13}, {"ReqCPUFreqMax", 13}, {"ReqCPUFreqMin", 13},
	{"ReqCPUS", 8}, {"ReqMem", 10}, {"ReqNodes", 8}, {"ReqTRES", 10},
	{"Reservation", 20}, {"ReservationId", 20}, {"Reserved", 10}, {"ResvCPU", 10},
	{"ResvCPURAW", 10}, {"Start", 19}, {"State", 10}, {"Submit", 19},
	{"SubmitLine", 20}, {"Suspended", 10}, {"SystemComment", 15}, {"SystemCPU", 10},
	{"Timelimit", 10}, {"TimelimitRaw", 12}, {"TotalCPU", 10}, {"TRESUsageInAve", 14},
	{"TRESUsageInMax", 14}, {"TRESUsageInMaxNode", 18}, {"TRESUsageInMaxTask", 18}, {"TRESUsageInMin", 14},
	{"TRESUsageInMinNode", 18}, {"TRESUsageInMinTask", 18}, {"TRESUsageInTot", 14}, {"TRESUsageOutAve", 15},
	{"TRESUsageOutMax", 15}, {"TRESUsageOutMaxNode", 19}, {"TRESUsageOutMaxTask", 19}, {"TRESUsageOutMin", 15},
	{"TRESUsageOutMinNode", 19}, {"TRESUsageOutMinTask", 19}, {"TRESUsageOutTot", 15}, {"UID", 6},
	{"User", 9}, {"UserCPU", 10}, {"WCKey", 10}, {"WCKeyID", 10},
	{"WorkDir", 15},
}

// lookupSacctField finds a field by name or by a prefix of it, the first
// in table order winning ("ncpu" is NCPUS); "AllocCPUs" matches
// case-insensitively.
func lookupSacctField(name string) *sacctField {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return nil
	}
	all := slices.Concat(sacctFields, sacctExtensions)
	for _, f := range all {
		if strings.ToLower(f.name) == n {
			return &sacctField{name: f.name, width: f.width}
		}
	}
	for _, f := range all {
		if strings.HasPrefix(strings.ToLower(f.name), n) {
			return &sacctField{name: f.name, width: f.width}
		}
	}
	return nil
}

// sacctHelpFormat lists the fields four to a line, as sacct -e does, and
// then hpcbridge's own (sacctExtensions) under their heading.
func sacctHelpFormat() string {
	var b strings.Builder
	list := func(fields []sacctFieldDef) {
		for i, f := range fields {
			if i%4 == 3 || i == len(fields)-1 {
				b.WriteString(f.name + "\n")
			} else {
				fmt.Fprintf(&b, "%-20s", f.name)
			}
		}
	}
	list(sacctFields)
	b.WriteString(sacctExtensionsHeading)
	list(sacctExtensions)
	return b.String()
}

// sacctOptions are the inputs of one sacct run.
type sacctOptions struct {
	Client      slurm.AccountingLister
	Jobs        []slurm.JobArg
	Users       []string
	AllUsers    bool
	Accounts    []string
	Names       []string
	Parts       []string
	QOS         []string
	States      []state.JobState
	StatesGiven bool
	Start, End  time.Time
	Truncate    bool
	Fields      []sacctField
	NoHeader    bool
	Parsable    int // 1: -p, 2: -P
	Delimiter   string
	Allocations bool
	// Duplicates lists every record of a job (sacct -D): the earlier
	// runs of a requeued job too, not only its latest record.
	Duplicates bool
	JSON       bool
	Verbose    int
	// Locale is the clock, time zone, environment and user database
	// the report is printed with.
	slurm.Locale
}

// sacctStates maps sacct -s names and codes to hpcbridge's states; Slurm
// states hpcbridge never uses map to "".
var sacctStates = slurm.StateNames(
	[]state.JobState{state.StatePending, state.StateRunning, state.StateCompleted, state.StateCancelled,
		state.StateFailed, state.StateTimeout, state.StateNodeFail, state.StatePreempted,
		state.StateOutOfMemory, state.StateRequeued},
	"BOOT_FAIL", "BF", "DEADLINE", "DL", "RESIZING", "RS", "REVOKED", "RV", "SUSPENDED", "S",
	// Slurm's accounting stores a job's base state only (slurmdbd masks
	// the CONFIGURING flag off a starting job): sacct shows such a job
	// RUNNING while squeue shows it CF, and -s CF selects nothing.
	"CONFIGURING", "CF",
)

// sacctCLI is what sacct's command line says beyond sacctOptions.
type sacctCLI struct {
	slurm.InfoFlags
	helpFormat, brief, long bool
	jobs, states            []string
	format, start, end      string
}

// sacctFlags wires sacct's options to o and c.
func sacctFlags(o *sacctOptions, c *sacctCLI) *slurm.FlagSet {
	return &slurm.FlagSet{Prog: "sacct", Defs: []slurm.FlagDef{
		{Short: 'A', Long: "accounts", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Accounts)},
		{Short: 'a', Long: "allusers", Arg: slurm.NoArg, Set: slurm.SetBool(&o.AllUsers)},
		{Short: 'L', Long: "allclusters", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'X', Long: "allocations", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Allocations)},
		{Short: 'b', Long: "brief", Arg: slurm.NoArg, Set: slurm.SetBool(&c.brief)},
		{Short: 'M', Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 'c', Long: "completion", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "delimiter", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Delimiter)},
		{Short: 'D', Long: "duplicates", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Duplicates)},
		{Short: 'E', Long: "endtime", Arg: slurm.RequiredArg, Set: slurm.SetString(&c.end)},
		{Short: 'e', Long: "helpformat", Arg: slurm.NoArg, Set: slurm.SetBool(&c.helpFormat)},
		{Short: 0, Long: "federation", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'h', Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Help)},
		{Short: 'j', Long: "jobs", Arg: slurm.RequiredArg, Set: func(v string, _ bool) error { c.jobs = append(c.jobs, v); return nil }},
		{Short: 0, Long: "json", Arg: slurm.NoArg, Set: slurm.SetBool(&o.JSON)},
		{Short: 0, Long: "local", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'l', Long: "long", Arg: slurm.NoArg, Set: slurm.SetBool(&c.long)},
		{Short: 0, Long: "name", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Names)},
		{Short: 0, Long: "noconvert", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'n', Long: "noheader", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NoHeader)},
		{Short: 'o', Long: "format", Arg: slurm.RequiredArg, Set: slurm.SetString(&c.format)},
		{Short: 'p', Long: "parsable", Arg: slurm.NoArg, Set: func(string, bool) error { o.Parsable = 1; return nil }},
		{Short: 'P', Long: "parsable2", Arg: slurm.NoArg, Set: func(string, bool) error { o.Parsable = 2; return nil }},
		{Short: 'r', Long: "partition", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Parts)},
		{Short: 'q', Long: "qos", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.QOS)},
		{Short: 's', Long: "state", Arg: slurm.RequiredArg, Set: slurm.AppendList(&c.states)},
		{Short: 'S', Long: "starttime", Arg: slurm.RequiredArg, Set: slurm.SetString(&c.start)},
		{Short: 'T', Long: "truncate", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Truncate)},
		{Short: 'u', Long: "user", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 0, Long: "uid", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 0, Long: "units", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Usage)},
		{Short: 0, Long: "use-local-uid", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.CountUp(&o.Verbose)},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Version)},
		{Short: 0, Long: "yaml", Arg: slurm.NoArg, Set: func(string, bool) error {
			return fmt.Errorf("sacct: error: --yaml is not supported by hpcbridge; use --json")
		}},
	}}
}

// Main parses sacct's command line and runs it.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	o := sacctOptions{Locale: slurm.NewLocale(s, d), Delimiter: "|"}
	var c sacctCLI
	if v, ok := slurm.LookupEnv(s.Env, "SACCT_FORMAT"); ok && v != "" {
		c.format = v
	}
	operands, err := sacctFlags(&o, &c).Parse(args)
	if err != nil {
		return slurm.ReportUsage(s, "sacct", err)
	}
	if c.Answer(s, sacctHelp, sacctUsage) {
		return slurm.ExitOK
	}
	switch {
	case c.helpFormat:
		fmt.Fprint(s.Out, sacctHelpFormat())
		return slurm.ExitOK
	}
	if len(operands) > 0 {
		fmt.Fprintf(s.Err, "sacct: error: Unknown arguments: %s\n", strings.Join(operands, " "))
		return slurm.ExitRejected
	}
	if err := sacctCheck(&o, &c); err != nil {
		fmt.Fprintf(s.Err, "sacct: error: %v\n", err)
		return slurm.ExitRejected
	}
	if !o.AllUsers && len(o.Users) == 0 {
		// Only root sees every user's jobs by default.
		if u, err := d.CurrentUser(); err == nil && u != "root" {
			o.Users = []string{u}
		}
	}
	if o.Verbose > 0 {
		fmt.Fprintf(s.Err, "sacct: start time: %s\nsacct: end time: %s\n",
			o.Start.In(o.Location()).Format("2006-01-02T15:04:05"), o.End.In(o.Location()).Format("2006-01-02T15:04:05"))
	}
	client, ok := slurm.Open(s, d, "sacct", "Problem talking to the database")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = client
	return runSacct(o, s)
}

// sacctCheck validates the job ids, states, fields and times into o.
func sacctCheck(o *sacctOptions, c *sacctCLI) error {
	for _, l := range c.jobs {
		for _, it := range slurm.SplitJobArgs(l) {
			if it == "" {
				continue
			}
			a, err := slurm.ParseJobArg(it)
			if err != nil {
				return fmt.Errorf("Invalid job id: %s", it)
			}
			o.Jobs = append(o.Jobs, a)
		}
	}
	for _, st := range c.states {
		v, ok := sacctStates[strings.ToUpper(st)]
		if !ok {
			return fmt.Errorf("Invalid state: %s", st)
		}
		o.StatesGiven = true
		if v != "" {
			o.States = append(o.States, v)
		}
	}
	format := c.format
	switch {
	case format != "" && c.brief:
		format = sacctBriefFormat + "," + format
	case c.brief:
		format = sacctBriefFormat
	case c.long:
		format = sacctLongFormat
	case format == "":
		format = sacctDefaultFormat
	}
	var err error
	if o.Fields, err = parseSacctFormat(format); err != nil {
		return err
	}
	return o.window(c.start, c.end)
}

// window sets the time window from -S and -E, with sacct's defaults: from
// midnight without -j and -s, from the epoch with -j, from now with -s
// alone; until now, or until the start with -s.
func (o *sacctOptions) window(startArg, endArg string) error {
	parse := func(v, which string) (time.Time, error) {
		t, err := parsePastTime(v, o.Now.In(o.Location()))
		if err != nil {
			return time.Time{}, fmt.Errorf("Invalid time specification (%s): %s", which, v)
		}
		return t, nil
	}
	var err error
	switch {
	case startArg != "":
		if o.Start, err = parse(startArg, "starttime"); err != nil {
			return err
		}
	case len(o.Jobs) > 0:
		o.Start = time.Unix(0, 0)
	case o.StatesGiven:
		o.Start = o.Now
	default:
		y, m, d := o.Now.In(o.Location()).Date()
		o.Start = time.Date(y, m, d, 0, 0, 0, 0, o.Location())
	}
	switch {
	case endArg != "":
		if o.End, err = parse(endArg, "endtime"); err != nil {
			return err
		}
	default:
		// Now, to the next whole second: the API reads times in seconds,
		// and a job submitted in this second must be in the window.
		o.End = o.Now.Truncate(time.Second).Add(time.Second)
	}
	return nil
}

// timeOfDay matches the time formats without a date.
var timeOfDay = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?i)(today|midnight|noon|fika|teatime|\d{1,2}:\d{2}(:\d{2})?\s*([ap]m)?)$`)
})

// yearless matches dates written without a year (MMDD, MM/DD, MM.DD, with
// an optional time).
var yearless = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4}|\d{1,2}[/.]\d{1,2})(-\d{1,2}:\d{2}(:\d{2})?)?$`)
})

// parsePastTime reads a time as sacct's -S and -E do: Slurm's time formats
// (those of sbatch --begin), but looking back: a time of day that is still
// to come today means today, a date without a year that is still to come
// this year means this year (--begin would move both forward).
func parsePastTime(v string, now time.Time) (time.Time, error) {
	b, err := jobspec.ParseBegin(v, now)
	if err != nil {
		return time.Time{}, err
	}
	t := b.At
	switch {
	case !t.After(now):
	case timeOfDay().MatchString(strings.TrimSpace(v)):
		t = t.AddDate(0, 0, -1)
	case yearless().MatchString(v):
		t = t.AddDate(-1, 0, 0)
	}
	return t, nil
}

// runSacct fetches the history and prints it.
func runSacct(o sacctOptions, s slurm.Streams) int {
	ctx := slurm.Context()
	jobs, err := fetchAccounting(ctx, o)
	if err != nil {
		fmt.Fprintf(s.Err, "sacct: error: Problem talking to the database: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	recs := selectAccounting(accountingRecords(jobs), o)
	orderAccounting(recs)
	if o.JSON {
		return slurm.WriteJSONOut(s, sacctJSON(recs, o))
	}
	fmt.Fprint(s.Out, formatSacct(recs, o))
	return slurm.ExitOK
}

// fetchAccounting asks for the jobs the options select.
func fetchAccounting(ctx context.Context, o sacctOptions) ([]*state.Job, error) {
	q := &api.JobsQuery{Users: o.Users, Accounts: o.Accounts, Names: o.Names, Partitions: o.Parts, History: true}
	for _, a := range o.Jobs {
		q.Jobs = append(q.Jobs, a.Ref())
	}
	if !o.Start.IsZero() && o.Start.Unix() > 0 {
		q.Start = o.Start
	}
	q.End = o.End
	jobs, _, err := o.Client.AccountingAll(ctx, q)
	return jobs, err
}

// acctRecord is one record of Slurm's accounting: a job's current run,
// or an earlier run of a requeued job, as a job record of its own (its
// times, nodes, state and exit code are the run's). batch is the record
// its .batch step line is printed from; nil when it has none.
type acctRecord struct {
	job, batch *state.Job
	// stepsOnly is set when -j named only steps of the job (53.batch):
	// sacct then prints those steps without the job's own line, sel says
	// which (sacct_steps.go).
	stepsOnly bool
	sel       stepSel
}

// accountingRecords lists the records of jobs: for a requeued job, one
// per earlier run (state.Job.Runs) and then the current run's, which was
// submitted when the job was last requeued, as slurmctld resets the submit
// time of a requeued job.
func accountingRecords(jobs []*state.Job) []acctRecord {
	out := make([]acctRecord, 0, len(jobs))
	for _, j := range jobs {
		for _, r := range j.Runs {
			out = append(out, runRecord(j, r))
		}
		cur := j
		if len(j.Runs) > 0 {
			cp := *j
			cp.SubmitTime, cp.Runs = j.RunSubmitTime(), nil
			cur = &cp
		}
		out = append(out, acctRecord{job: cur, batch: batchOf(cur)})
	}
	return out
}

// runRecord is the record of r, an earlier run of j. Its batch step ended
// with the run, or, for a run that had finished before it was requeued,
// when it finished, in the state it finished in.
func runRecord(j *state.Job, r state.Run) acctRecord {
	cp := *j
	cp.SubmitTime, cp.StartTime, cp.EndTime, cp.NodeList = r.SubmitTime, r.StartTime, r.EndTime, r.NodeList
	cp.State, cp.Reason, cp.Hold = r.State, state.ReasonNone, state.HoldNone
	cp.ExitCode, cp.ExitSignal, cp.RestartCount, cp.Runs = r.ExitCode, r.ExitSignal, r.RestartCount, nil
	cp.GPU = r.GPU
	step := &cp
	if r.Finished != "" {
		s := cp
		s.State, s.EndTime = r.Finished, r.FinishTime
		step = &s
	}
	rec := acctRecord{job: &cp}
	if batchOf(&cp) != nil {
		rec.batch = step
	}
	return rec
}

// batchOf is j itself when it has a .batch step (it ran on a node), or nil.
func batchOf(j *state.Job) *state.Job {
	if j.StartTime.IsZero() || j.State == state.StatePending || j.NodeList == "" {
		return nil
	}
	return j
}

// selectAccounting applies the time window, the states and QOS to each
// record; without -D it keeps, of each job, only the latest record that
// matches (slurmdbd's query matches records, then drops all but a job's
// latest).
func selectAccounting(recs []acctRecord, o sacctOptions) []acctRecord {
	var out []acctRecord
	for _, r := range recs {
		j := r.job
		if len(o.QOS) > 0 && !slices.Contains(o.QOS, j.QOS) {
			continue
		}
		if !inWindow(j, o) {
			continue
		}
		if whole, sel := stepSelection(o.Jobs, j); !whole {
			if o.Allocations || !r.selects(sel) {
				continue
			}
			r.stepsOnly, r.sel = true, sel
		}
		if n := len(out); !o.Duplicates && n > 0 && out[n-1].job.ID == j.ID {
			out = out[:n-1]
		}
		out = append(out, r)
	}
	return out
}

// stepSelection reads -j for record j: whole when an argument names the
// job itself (or no -j was given); else the steps the arguments name: its
// .batch step, its numbered (srun) steps. A step that does not exist
// (.extern, which hpcbridge does not have, or a step id the job has no
// record of) selects nothing, as sacct prints nothing for it.
func stepSelection(args []slurm.JobArg, j *state.Job) (whole bool, sel stepSel) {
	if len(args) == 0 {
		return true, sel
	}
	for _, a := range args {
		if !a.Names(j) {
			continue
		}
		switch a.Step {
		case "":
			return true, stepSel{}
		case "batch":
			sel.batch = true
		default:
			if id, err := strconv.Atoi(a.Step); err == nil && id >= 0 && a.Step == strconv.Itoa(id) {
				sel.ids = append(sel.ids, id)
			}
		}
	}
	return false, sel
}

// inWindow reports whether j belongs to the window: without -s, jobs
// eligible (submitted) before its end that had not ended before its start;
// with -s, jobs in one of the states during the window (a job that ran in
// the window counts as RUNNING; a finished one by its end time).
func inWindow(j *state.Job, o sacctOptions) bool {
	if j.SubmitTime.After(o.End) {
		return false
	}
	if !o.StatesGiven {
		return j.EndTime.IsZero() || !j.EndTime.Before(o.Start)
	}
	for _, st := range o.States {
		switch {
		case st == state.StatePending:
			if j.StartTime.IsZero() || !j.StartTime.Before(o.Start) {
				return true
			}
		case st == state.StateRunning:
			if !j.StartTime.IsZero() && !j.StartTime.After(o.End) && (j.EndTime.IsZero() || !j.EndTime.Before(o.Start)) {
				return true
			}
		case j.State == st:
			if !j.EndTime.IsZero() && !j.EndTime.Before(o.Start) && !j.EndTime.After(o.End) {
				return true
			}
		}
	}
	return false
}

// orderAccounting lists records as sacct does: by submit time (to the
// second; a requeued job's later records come when it was requeued), then
// by job id, an array's tasks together under its id, by index, its pending
// remainder last.
func orderAccounting(recs []acctRecord) {
	key := func(j *state.Job) (uint64, int) {
		id, task := j.ID, -1
		if j.ArrayJobID != 0 {
			id, task = j.ArrayJobID, j.ArrayTaskID
			if j.IsArrayBase() {
				task = math.MaxInt
			}
		}
		return id, task
	}
	slices.SortStableFunc(recs, func(a, b acctRecord) int {
		if c := cmp.Compare(a.job.SubmitTime.Unix(), b.job.SubmitTime.Unix()); c != 0 {
			return c
		}
		ia, ta := key(a.job)
		ib, tb := key(b.job)
		if c := cmp.Compare(ia, ib); c != 0 {
			return c
		}
		return cmp.Compare(ta, tb)
	})
}

// sacctRow is one line of sacct's output: a job, its batch step, or (with
// batch set too) one of its srun steps.
type sacctRow struct {
	v     slurm.JobView
	batch bool
	step  *state.Step
}

// formatSacct renders records as sacct's table (or -p/-P lines).
func formatSacct(recs []acctRecord, o sacctOptions) string {
	vc := o.ViewCtx(o.Now)
	var rows []sacctRow
	for _, r := range recs {
		if !r.stepsOnly {
			rows = append(rows, sacctRow{v: vc.View(r.job)})
		}
		if !o.Allocations && r.batch != nil && (!r.stepsOnly || r.sel.batch) {
			rows = append(rows, sacctRow{v: vc.View(r.batch), batch: true})
		}
		if !o.Allocations {
			rows = append(rows, r.stepRows(vc)...)
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		if o.Parsable > 0 {
			b.WriteString(strings.Join(cells, o.Delimiter))
			if o.Parsable == 1 {
				b.WriteString(o.Delimiter)
			}
			b.WriteString("\n")
			return
		}
		for _, c := range cells {
			b.WriteString(c + " ")
		}
		b.WriteString("\n")
	}
	if !o.NoHeader {
		hdr, dashes := make([]string, len(o.Fields)), make([]string, len(o.Fields))
		for i, f := range o.Fields {
			if o.Parsable > 0 {
				hdr[i] = f.name
				continue
			}
			hdr[i] = renderSacct(f.name, f.width)
			dashes[i] = strings.Repeat("-", max(f.width, -f.width))
		}
		line(hdr)
		if o.Parsable == 0 {
			line(dashes)
		}
	}
	for _, r := range rows {
		cells := make([]string, len(o.Fields))
		for i, f := range o.Fields {
			v := sacctValue(r, f.name, o)
			if o.Parsable == 0 {
				v = renderSacct(v, f.width)
			}
			cells[i] = v
		}
		line(cells)
	}
	return b.String()
}

// recordEnded reports whether a record has an end: a finished job, or an
// earlier run of a requeued one.
func recordEnded(j *state.Job) bool { return j.State.Terminal() || j.State == state.StateRequeued }

// batchState is the state of a job's batch step.
func batchState(j *state.Job) string {
	switch j.State {
	case state.StateTimeout, state.StatePreempted:
		return string(state.StateCancelled)
	case state.StateNodeFail:
		return string(state.StateFailed)
	case state.StateRequeued, state.StatePending:
		// A requeue kills a running batch step.
		return string(state.StateCancelled)
	}
	return string(j.State)
}

// stamp is a time field of v's rows: with -T (Truncate), clipped to the
// window asked for.
func (o sacctOptions) stamp(v slurm.JobView, t time.Time) string {
	if o.Truncate {
		if t.Before(o.Start) && !t.IsZero() {
			t = o.Start
		}
		if t.After(o.End) {
			t = o.End
		}
	}
	return v.Timestamp(t, "Unknown")
}

// sacctValue is one field of one row.
func sacctValue(r sacctRow, field string, o sacctOptions) string {
	if r.step != nil {
		if s, ok := stepValue(r, field, o); ok {
			return s
		}
	}
	v, j := r.v, r.v.Job
	jobOnly := func(s string) string {
		if r.batch {
			return ""
		}
		return s
	}
	stamp := func(t time.Time) string { return o.stamp(v, t) }
	elapsed := v.Used()
	if isCheckpointField(field) {
		return jobOnly(checkpointValue(j, field, stamp))
	}
	switch field {
	case "Account":
		return j.Account
	case "AllocCPUS", "NCPUS":
		return strconv.Itoa(v.CPUs())
	case "AllocNodes":
		if j.NodeList == "" {
			return "0"
		}
		return strconv.Itoa(v.Nodes())
	case "AllocTRES":
		if j.StartTime.IsZero() || j.State == state.StatePending {
			return ""
		}
		return tresString(v, gpusAllocated(v))
	case "AssocID":
		return "0"
	case "Cluster":
		return slurm.ClusterName
	case "Comment":
		return jobOnly(v.Comment())
	case "Constraints":
		return jobOnly(v.Features())
	case "CPUTime":
		return slurm.DurationLong(max(elapsed, 0) * int64(v.CPUs()))
	case "CPUTimeRAW":
		return strconv.FormatInt(max(elapsed, 0)*int64(v.CPUs()), 10)
	case "DerivedExitCode":
		return jobOnly("0:0")
	case "Elapsed":
		return slurm.DurationLong(max(elapsed, 0))
	case "ElapsedRaw":
		return strconv.FormatInt(max(elapsed, 0), 10)
	case "Eligible":
		return stamp(v.EligibleTime())
	case "End":
		if recordEnded(j) {
			return stamp(j.EndTime)
		}
		return "Unknown"
	case "ExitCode":
		killed := j.State == state.StateCancelled || j.State == state.StateTimeout || j.State == state.StateRequeued
		if r.batch && killed && j.ExitSignal == 0 && j.ExitCode == 0 {
			return "0:15"
		}
		return j.ExitString()
	case "Flags":
		return jobOnly("SchedMain")
	case "GPUSeconds":
		return jobOnly(gpuSeconds(v))
	case "GID":
		return jobOnly(strconv.Itoa(v.Users.Get(j.User).Gid))
	case "Group":
		return jobOnly(v.Users.Get(j.User).Group)
	case "JobID":
		if r.batch {
			return v.ID() + ".batch"
		}
		return v.ID()
	case "JobIDRaw":
		id := strconv.FormatUint(j.ID, 10)
		if r.batch {
			return id + ".batch"
		}
		return id
	case "JobName":
		if r.batch {
			return "batch"
		}
		return j.Name
	case "NNodes", "ReqNodes":
		if r.batch {
			return "1"
		}
		return strconv.Itoa(v.Nodes())
	case "NodeList":
		if r.batch {
			return slurm.FirstHost(j.NodeList)
		}
		if j.NodeList == "" {
			return "None assigned"
		}
		return j.NodeList
	case "NTasks":
		if r.batch {
			return "1"
		}
		return ""
	case "Partition":
		return jobOnly(j.Partition)
	case "Priority":
		return jobOnly(strconv.FormatInt(v.Priority(), 10))
	case "QOS":
		return jobOnly(j.QOS)
	case "Reason":
		return jobOnly(v.Reason())
	case "ReqCPUS":
		return strconv.Itoa(v.CPUs())
	case "ReqMem":
		if m := v.MemTotal(); m > 0 {
			return slurm.MemString(m)
		}
		return "0"
	case "ReqTRES":
		return jobOnly(tresString(v, v.Spec.GPUCount()))
	case "Reservation":
		return jobOnly(v.Reservation())
	case "Reserved":
		if j.StartTime.IsZero() {
			return "00:00:00"
		}
		return slurm.DurationLong(int64(j.StartTime.Sub(v.EligibleTimeOr(j.SubmitTime)) / time.Second))
	case "Start":
		if j.State == state.StatePending {
			return "Unknown"
		}
		return stamp(j.StartTime)
	case "State":
		if r.batch {
			return batchState(j)
		}
		return string(j.State)
	case "Submit":
		return stamp(j.SubmitTime)
	case "SubmitLine":
		return jobOnly(submitLine(v))
	case "Suspended", "SystemCPU", "TotalCPU", "UserCPU":
		return "00:00:00"
	case "TRESUsageInMax":
		if r.batch {
			return gpuUsageMax(j)
		}
		return ""
	case "Timelimit":
		return jobOnly(slurm.LimitLong(j.TimeLimitMin))
	case "TimelimitRaw":
		if j.TimeLimitMin <= 0 {
			return jobOnly("UNLIMITED")
		}
		return jobOnly(strconv.Itoa(j.TimeLimitMin))
	case "UID":
		return jobOnly(strconv.Itoa(v.Users.Get(j.User).Uid))
	case "User":
		return jobOnly(j.User)
	case "WCKey":
		return jobOnly(v.Wckey())
	case "WorkDir":
		return jobOnly(v.WorkDir())
	}
	return ""
}

// submitLine is the sbatch command line that submitted the job.
func submitLine(v slurm.JobView) string {
	if v.Sub == nil {
		return ""
	}
	words := append([]string{"sbatch"}, v.Sub.Args...)
	if v.Sub.ScriptName != "" {
		words = append(words, v.Sub.ScriptName)
	}
	return strings.Join(append(words, v.Sub.ScriptArgs...), " ")
}

// sacctField is one column of sacct's output.
type sacctField struct {
	name  string // canonical name, as the header prints it
	width int    // >0 right-justified, <0 left-justified
}

// parseSacctFormat parses sacct's --format: comma-separated field names,
// each optionally followed by %WIDTH (right-justified) or %-WIDTH
// (left-justified). Names match case-insensitively, by prefix, the first
// field of the table that starts with the name winning, as sacct matches
// them.
func parseSacctFormat(format string) ([]sacctField, error) {
	var out []sacctField
	for _, item := range strings.Split(format, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, w, hasW := strings.Cut(item, "%")
		def := lookupSacctField(name)
		if def == nil {
			return nil, fmt.Errorf("Invalid field requested: \"%s\"", name)
		}
		f := sacctField{name: def.name, width: def.width}
		if hasW {
			n, err := strconv.Atoi(w)
			if err != nil || n == 0 || n > 1<<16 || n < -(1<<16) {
				return nil, fmt.Errorf("Invalid field requested: \"%s\"", item)
			}
			f.width = n
		}
		out = append(out, f)
	}
	return out, nil
}

// renderSacct fits a value to a sacct column: values that do not fit are
// cut and end in "+", as sacct marks them.
func renderSacct(v string, width int) string {
	right := width > 0
	if width < 0 {
		width = -width
	}
	if utf8.RuneCountInString(v) > width {
		if width == 1 {
			v = "+"
		} else {
			v = slurm.CutRunes(v, width-1) + "+"
		}
	}
	return slurm.PadTo(v, width, right)
}
