package squeue

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// squeue's default formats (squeue(1)).
const (
	squeueDefaultFormat = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"
	squeueLongFormat    = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R"
	squeueStepsFormat   = "%.15i %.8j %.9P %.8u %.9M %N"
	squeueStartFormat   = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R"
	squeueDefaultSort   = "P,t,-p"
)

// squeueUsage is squeue's usage text (printed for stray operands and
// --usage).
const squeueUsage = `Usage: squeue [-A account] [--clusters names] [-i seconds] [--job jobid]
              [-n name] [-o format] [-p partitions] [--qos qos]
              [--reservation reservation] [--sort fields] [--start]
              [--step step_id] [-t states] [-u user_name] [--usage]
              [-L licenses] [-w nodes] [--federation] [--local] [--sibling]
	      [-ahjlrsv]
`

const squeueHelp = squeueUsage + `
Options:
  -A, --account=account(s)        comma separated list of accounts to view
  -a, --all                       display jobs in hidden partitions
  -h, --noheader                  no headers on output
  -i, --iterate=seconds           specify an interation period
  -j, --job=job(s)                comma separated list of jobs IDs to view
      --json                      print the jobs as JSON (filters are ignored)
  -l, --long                      long report
      --me                        equivalent to --user=<my username>
  -n, --name=job_name(s)          comma separated list of job names to view
  -o, --format=format             format specification
  -O, --Format=format             format specification
  -p, --partition=partition(s)    comma separated list of partitions to view
  -q, --qos=qos(s)                comma separated list of qos's to view
  -r, --array                     display one job array element per line
  -S, --sort=fields               comma separated list of fields to sort on
      --start                     print expected start times of pending jobs
  -s, --steps                     comma separated list of job steps to view
  -t, --states=states             comma separated list of states to view
  -u, --user=user_name(s)         comma separated list of users to view
  -v, --verbose                   verbosity level
  -V, --version                   output version information and exit

Help options:
  --help                          show this help message
  --usage                         display a brief summary of squeue options
`

// squeueOptions are the inputs of one squeue run.
type squeueOptions struct {
	Client interface {
		slurm.JobLister
		slurm.JobGetter
	}
	Jobs     []slurm.JobSel
	Users    []string
	Accounts []string
	Parts    []string
	Names    []string
	QOS      []string
	Licenses []string
	Resv     []string
	NodeList []string
	States   []string // as given; "all" selects every state
	Format   string   // -o
	FormatO  string   // -O
	Sort     string
	Long     bool
	NoHeader bool
	Array    bool
	JSON     bool
	Start    bool
	Steps    bool
	Iterate  int
	Verbose  int

	// Locale is the clock, time zone, environment and user database
	// the report is printed with.
	slurm.Locale
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

// squeueStates maps squeue's state names and compact codes to hpcbridge's
// states; Slurm states hpcbridge never uses map to "".
var squeueStates = slurm.StateNames(
	[]state.JobState{state.StatePending, state.StateRunning, state.StateCompleted, state.StateCancelled,
		state.StateFailed, state.StateTimeout, state.StateNodeFail, state.StatePreempted,
		state.StateOutOfMemory, state.StateCompleting, state.StateRequeued},
	"SUSPENDED", "S", "BOOT_FAIL", "BF", "DEADLINE", "DL", "RESIZING", "RS",
	"RESV_DEL_HOLD", "RD", "REQUEUE_FED", "RF", "REQUEUE_HOLD", "RH", "REVOKED", "RV",
	"SIGNALING", "SI", "SPECIAL_EXIT", "SE", "STAGE_OUT", "SO", "STOPPED", "ST",
)

// CONFIGURING jobs are RUNNING jobs no node has taken yet (configuring):
// -t R lists them too, as Slurm's base-state filter does, and -t CF alone
// lists only them.
func init() { squeueStates["CONFIGURING"], squeueStates["CF"] = state.StateRunning, state.StateRunning }

// configuringOnly reports whether the state filter selects running jobs
// only through CONFIGURING/CF, so placed ones are left out.
func configuringOnly(states []string) bool {
	cf := false
	for _, st := range states {
		switch strings.ToUpper(st) {
		case "CONFIGURING", "CF":
			cf = true
		case "RUNNING", "R", "ALL":
			return false
		}
	}
	return cf
}

const squeueValidStates = "PENDING,RUNNING,SUSPENDED,COMPLETED,CANCELLED,FAILED,TIMEOUT,NODE_FAIL,PREEMPTED,BOOT_FAIL,DEADLINE,OUT_OF_MEMORY,COMPLETING,CONFIGURING,RESIZING,RESV_DEL_HOLD,REQUEUED,REQUEUE_FED,REQUEUE_HOLD,REVOKED,SIGNALING,SPECIAL_EXIT,STAGE_OUT,STOPPED"

// squeueCLI is what squeue's command line says beyond squeueOptions.
type squeueCLI struct {
	slurm.InfoFlags
	me      bool
	jobs    []string // the -j values
	iterate string
}

// squeueFlags wires squeue's options to o and c. Lists given on the
// command line replace those of the SQUEUE_* environment.
func squeueFlags(o *squeueOptions, c *squeueCLI) *slurm.FlagSet {
	replace := func(p *[]string) func(string, bool) error {
		fresh := true
		return func(v string, _ bool) error {
			if fresh {
				*p, fresh = nil, false
			}
			*p = append(*p, slurm.SplitList(v)...)
			return nil
		}
	}
	return &slurm.FlagSet{Prog: "squeue", Defs: []slurm.FlagDef{
		{Short: 'A', Long: "account", Arg: slurm.RequiredArg, Set: replace(&o.Accounts)},
		{Short: 'a', Long: "all", Arg: slurm.NoArg, Set: slurm.IgnoreFlag}, // hpcbridge has no hidden partitions
		{Short: 'r', Long: "array", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Array)},
		{Short: 0, Long: "array-unique", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Array)},
		{Short: 'M', Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "federation", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'o', Long: "format", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Format)},
		{Short: 'O', Long: "Format", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.FormatO)},
		{Short: 0, Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Help)},
		{Short: 0, Long: "hide", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'i', Long: "iterate", Arg: slurm.RequiredArg, Set: slurm.SetString(&c.iterate)},
		{Short: 'j', Long: "jobs", Arg: slurm.OptionalNextArg, Set: func(v string, has bool) error {
			if has { // a bare -j lists every job
				c.jobs = append(c.jobs, v)
			}
			return nil
		}},
		{Short: 0, Long: "json", Arg: slurm.NoArg, Set: slurm.SetBool(&o.JSON)},
		{Short: 'L', Long: "licenses", Arg: slurm.RequiredArg, Set: replace(&o.Licenses)},
		{Short: 0, Long: "local", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'l', Long: "long", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Long)},
		{Short: 0, Long: "me", Arg: slurm.NoArg, Set: slurm.SetBool(&c.me)},
		{Short: 'n', Long: "name", Arg: slurm.RequiredArg, Set: replace(&o.Names)},
		{Short: 0, Long: "noconvert", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'w', Long: "nodelist", Arg: slurm.RequiredArg, Set: replace(&o.NodeList)},
		{Short: 'h', Long: "noheader", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NoHeader)},
		{Short: 'p', Long: "partition", Arg: slurm.RequiredArg, Set: replace(&o.Parts)},
		{Short: 'P', Long: "priority", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'q', Long: "qos", Arg: slurm.RequiredArg, Set: replace(&o.QOS)},
		{Short: 'R', Long: "reservation", Arg: slurm.RequiredArg, Set: replace(&o.Resv)},
		{Short: 0, Long: "sibling", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'S', Long: "sort", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Sort)},
		{Short: 0, Long: "start", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Start)},
		{Short: 't', Long: "states", Arg: slurm.RequiredArg, Set: replace(&o.States)},
		{Short: 's', Long: "steps", Arg: slurm.OptionalNextArg, Set: func(string, bool) error { o.Steps = true; return nil }},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Usage)},
		{Short: 'u', Long: "user", Arg: slurm.RequiredArg, Set: replace(&o.Users)},
		{Short: 0, Long: "users", Arg: slurm.RequiredArg, Set: replace(&o.Users)},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.CountUp(&o.Verbose)},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Version)},
		{Short: 0, Long: "yaml", Arg: slurm.NoArg, Set: func(string, bool) error {
			return fmt.Errorf("squeue: error: --yaml is not supported by hpcbridge; use --json")
		}},
	}}
}

// squeueEnv applies the SQUEUE_* variables (squeue(1), ENVIRONMENT).
func squeueEnv(o *squeueOptions, env []string) {
	lists := map[string]*[]string{
		"SQUEUE_ACCOUNT": &o.Accounts, "SQUEUE_NAMES": &o.Names, "SQUEUE_PARTITION": &o.Parts,
		"SQUEUE_QOS": &o.QOS, "SQUEUE_STATES": &o.States, "SQUEUE_USERS": &o.Users,
		"SQUEUE_LICENSES": &o.Licenses,
	}
	for name, p := range lists {
		if v, ok := slurm.LookupEnv(env, name); ok && v != "" {
			*p = slurm.SplitList(v)
		}
	}
	o.Format, _ = slurm.LookupEnv(env, "SQUEUE_FORMAT")
	o.FormatO, _ = slurm.LookupEnv(env, "SQUEUE_FORMAT2")
	o.Sort, _ = slurm.LookupEnv(env, "SQUEUE_SORT")
	if _, ok := slurm.LookupEnv(env, "SQUEUE_ARRAY"); ok {
		o.Array = true
	}
}

// Main parses squeue's command line and runs it.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	opts := squeueOptions{Locale: slurm.NewLocale(s, d), sleep: d.Sleep, now: d.Now}
	squeueEnv(&opts, s.Env)
	var c squeueCLI
	operands, err := squeueFlags(&opts, &c).Parse(args)
	if err != nil {
		return slurm.ReportUsage(s, "squeue", err)
	}
	if c.Answer(s, squeueHelp, squeueUsage) {
		return slurm.ExitOK
	}
	if len(operands) > 0 {
		fmt.Fprintf(s.Err, "squeue: error: Unrecognized option: %s\n", operands[0])
		fmt.Fprint(s.Out, squeueUsage)
		return slurm.ExitRejected
	}
	if code := squeueCheck(&opts, &c, s, d); code != slurm.ExitOK {
		return code
	}
	client, ok := slurm.Open(s, d, "", "slurm_load_jobs error")
	if !ok {
		return slurm.ExitRejected
	}
	opts.Client = client
	return runSqueue(opts, s)
}

// squeueCheck validates the command line's values into o, reporting as
// squeue does; it returns exitOK when squeue may go on.
func squeueCheck(o *squeueOptions, c *squeueCLI, s slurm.Streams, d slurm.Deps) int {
	for _, l := range c.jobs {
		sels, err := slurm.ParseSqueueJobs(l)
		if err != nil {
			fmt.Fprintf(s.Err, "squeue: error: %v\n", err)
			return slurm.ExitRejected
		}
		o.Jobs = append(o.Jobs, sels...)
	}
	for _, st := range o.States {
		if strings.EqualFold(st, "all") {
			continue
		}
		if _, ok := squeueStates[strings.ToUpper(st)]; !ok {
			fmt.Fprintf(s.Err, "squeue: error: Invalid job state specified: %s\n", st)
			fmt.Fprintf(s.Err, "squeue: error: Valid job states include: %s\n\n", squeueValidStates)
			return slurm.ExitRejected
		}
	}
	if c.iterate != "" {
		n, _, ok := slurm.Strtol(c.iterate)
		if !ok || n <= 0 {
			fmt.Fprintf(s.Err, "squeue: error: --iterate=%s: invalid entry\n", c.iterate)
			return slurm.ExitRejected
		}
		o.Iterate = int(n)
	}
	if c.me {
		u, err := d.CurrentUser()
		if err != nil {
			fmt.Fprintf(s.Err, "squeue: error: --me: %v\n", err)
			return slurm.ExitRejected
		}
		o.Users = []string{u}
	}
	for _, u := range o.Users {
		if _, _, _, ok := d.LookupUser(u); !ok {
			// squeue warns and keeps the name: it then matches no job.
			fmt.Fprintf(s.Err, "squeue: error: Invalid user: %s\n\n", u)
		}
	}
	if o.Start {
		if o.Format == "" && o.FormatO == "" {
			o.Format = squeueStartFormat
		}
		if o.Sort == "" {
			o.Sort = "S"
		}
		if len(o.States) == 0 {
			o.States = []string{"PENDING"}
		}
	}
	return slurm.ExitOK
}

// runSqueue prints the queue once, or every Iterate seconds.
func runSqueue(opts squeueOptions, s slurm.Streams) int {
	return slurm.Iterate(slurm.Context(), s, opts.Iterate, opts.sleep, func(ctx context.Context, first bool) int {
		if !first && opts.now != nil {
			opts.Now = opts.now()
		}
		return squeueOnce(ctx, opts, s)
	})
}

// squeueOnce fetches and prints the queue.
func squeueOnce(ctx context.Context, opts squeueOptions, s slurm.Streams) int {
	if opts.JSON {
		jobs, _, err := opts.Client.JobsAll(ctx, &api.JobsQuery{States: []string{"all"}})
		if err != nil {
			fmt.Fprintf(s.Err, "slurm_load_jobs error: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected
		}
		jobs = slices.DeleteFunc(jobs, func(j *state.Job) bool { return !slurm.Visible(j, opts.Now) })
		opts.Priorities = slurm.SchedulerPriorities(ctx, opts.Client, jobs)
		return slurm.WriteJSONOut(s, squeueJSON(jobs, opts))
	}
	if len(opts.Jobs) == 1 && !opts.Steps {
		// squeue -j with one id asks slurmctld for that job alone, which
		// fails when the job is unknown (or purged).
		j, _, err := opts.Client.Job(ctx, slurm.JobSel{JobID: opts.Jobs[0].JobID, Task: state.AllTasks}.String(), nil)
		if err == nil && !slurm.Visible(j, opts.Now) {
			err = &api.Error{Code: api.CodeNotFound}
		}
		if err != nil {
			fmt.Fprintf(s.Err, "slurm_load_jobs error: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected
		}
	}
	var jobs []*state.Job
	if !opts.Steps {
		q, none := squeueQuery(opts)
		if !none {
			var err error
			if bl, ok := opts.Client.(slurm.BriefLister); ok {
				jobs, _, err = bl.JobsBrief(ctx, q)
			} else {
				jobs, _, err = opts.Client.JobsAll(ctx, q)
			}
			if err != nil {
				fmt.Fprintf(s.Err, "slurm_load_jobs error: %s\n", slurm.APIMessage(err))
				return slurm.ExitRejected
			}
		}
	}
	jobs = filterSqueue(jobs, opts)
	opts.Priorities = slurm.SchedulerPriorities(ctx, opts.Client, jobs)
	// Formatting allocates about as much again as the list: collecting
	// garbage meanwhile would only mark the whole list again.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	out := bufio.NewWriterSize(s.Out, 64<<10)
	writeSqueue(out, jobs, opts, opts.Now, func(bad []string) {
		for _, e := range bad {
			fmt.Fprintf(s.Err, "squeue: error: Invalid job format specification: %s\n", e)
		}
	})
	if err := out.Flush(); err != nil {
		fmt.Fprintf(s.Err, "squeue: error: %v\n", err)
		return slurm.ExitRejected
	}
	return slurm.ExitOK
}

// squeueQuery builds the API query; none is true when the state filter
// names only states hpcbridge never uses.
func squeueQuery(opts squeueOptions) (q *api.JobsQuery, none bool) {
	q = &api.JobsQuery{
		Users: opts.Users, Accounts: opts.Accounts, Partitions: opts.Parts, Names: opts.Names,
		ExpandArrays: opts.Array,
	}
	for _, j := range opts.Jobs {
		q.Jobs = append(q.Jobs, j.String())
	}
	for _, st := range opts.States {
		if strings.EqualFold(st, "all") {
			q.States = []string{"all"}
			return q, false
		}
		if s := squeueStates[strings.ToUpper(st)]; s != "" && !slices.Contains(q.States, string(s)) {
			q.States = append(q.States, string(s))
		}
	}
	return q, len(opts.States) > 0 && len(q.States) == 0
}

// filterSqueue applies what the API does not filter: jobs finished longer
// than MinJobAge ago, QOS, licenses, reservations and nodes.
func filterSqueue(jobs []*state.Job, opts squeueOptions) []*state.Job {
	out := make([]*state.Job, 0, len(jobs))
	cfOnly := configuringOnly(opts.States)
	for _, j := range jobs {
		if !slurm.Visible(j, opts.Now) {
			continue
		}
		if len(opts.QOS) > 0 && !slices.Contains(opts.QOS, j.QOS) {
			continue
		}
		if cfOnly && j.State == state.StateRunning && !slurm.Configuring(j) {
			continue
		}
		v := (&slurm.ViewCtx{}).View(j)
		if len(opts.Resv) > 0 && !slices.Contains(opts.Resv, v.Reservation()) {
			continue
		}
		if len(opts.Licenses) > 0 && !anyLicense(v.Licenses(), opts.Licenses) {
			continue
		}
		if len(opts.NodeList) > 0 && !slurm.AnyNode(j.NodeList, opts.NodeList) {
			continue
		}
		out = append(out, j)
	}
	return out
}

// anyLicense reports whether a license list names one of want.
func anyLicense(have string, want []string) bool {
	for _, l := range slurm.SplitList(have) {
		name, _, _ := strings.Cut(l, ":")
		if slices.Contains(want, name) {
			return true
		}
	}
	return false
}

// formatSqueue renders jobs as squeue prints them with opts (format, sort,
// header). It returns the invalid format items for stderr.
func formatSqueue(jobs []*state.Job, opts squeueOptions, now time.Time) (string, []string) {
	var b strings.Builder
	var errs []string
	writeSqueue(&b, jobs, opts, now, func(bad []string) { errs = bad })
	return b.String(), errs
}

// writeSqueue renders jobs to w as formatSqueue does; the invalid format
// items go to badFormat before the table, as squeue reports them. Write
// errors are w's to keep (a bufio.Writer reports them at Flush).
func writeSqueue(w io.Writer, jobs []*state.Job, opts squeueOptions, now time.Time, badFormat func([]string)) {
	var render func(views []*slurm.JobView)
	if opts.FormatO != "" && opts.Format == "" {
		fields, errs := slurm.ParseNameFormat(opts.FormatO, squeueCanonical, 20)
		badFormat(errs)
		render = func(views []*slurm.JobView) { renderNameTable(w, fields, views, !opts.NoHeader) }
	} else {
		format := opts.Format
		switch {
		case format == "" && opts.Steps:
			format = squeueStepsFormat
		case format == "" && opts.Long:
			format = squeueLongFormat
		case format == "":
			format = squeueDefaultFormat
		case format == "%all":
			format = squeueAllFormat()
		}
		fields, errs := slurm.ParseLetterFormat(format, func(c byte) bool { _, ok := squeueLetters[c]; return ok })
		badFormat(errs)
		render = func(views []*slurm.JobView) {
			if opts.Steps {
				// hpcbridge jobs have no steps: the step list is always empty.
				views = nil
			}
			renderLetterTable(w, fields, views, !opts.NoHeader, opts.Steps)
		}
	}
	vc := opts.ViewCtx(now)
	views := make([]slurm.JobView, len(jobs))
	for i, j := range jobs {
		views[i] = vc.View(j)
	}
	sortSpec := opts.Sort
	if sortSpec == "" {
		sortSpec = squeueDefaultSort
	}
	sorted := sortViews(views, sortSpec)
	if opts.Long && !opts.NoHeader || opts.Iterate > 0 && !opts.NoHeader {
		io.WriteString(w, slurm.CtimeString(now.In(opts.Location()))+"\n")
	}
	render(sorted)
}

// renderLetterTable writes the header (when asked) and one line per job;
// steps titles the id column STEPID.
func renderLetterTable(w io.Writer, fields []slurm.LetterField, views []*slurm.JobView, header, steps bool) {
	cols := make([]func(slurm.JobView) slurm.Cell, len(fields))
	for i, f := range fields {
		if f.Literal == "" {
			cols[i] = squeueLetters[f.Letter].value
		}
	}
	var line []byte
	write := func(val func(i int, f slurm.LetterField) slurm.Cell) {
		line = line[:0]
		for i, f := range fields {
			if f.Literal != "" {
				line = append(line, f.Literal...)
				continue
			}
			line = appendCell(line, val(i, f), f.Width, f.Right)
			line = append(line, f.Suffix...)
		}
		w.Write(append(line, '\n'))
	}
	if header {
		write(func(_ int, f slurm.LetterField) slurm.Cell {
			if steps && f.Letter == 'i' {
				return slurm.Str("STEPID")
			}
			return slurm.Str(squeueLetters[f.Letter].header)
		})
	}
	for _, v := range views {
		write(func(i int, _ slurm.LetterField) slurm.Cell { return cols[i](*v) })
	}
}

// renderNameTable writes an -O table: fields are not separated, each is
// cut and padded to its width.
func renderNameTable(w io.Writer, fields []slurm.NameField, views []*slurm.JobView, header bool) {
	cols := make([]func(slurm.JobView) slurm.Cell, len(fields))
	for i, f := range fields {
		cols[i] = squeueNames[f.Name].value
	}
	var line []byte
	write := func(val func(i int) slurm.Cell) {
		line = line[:0]
		for i, f := range fields {
			c := val(i)
			c.Keep = false
			line = appendCell(line, c, f.Width, f.Right)
			line = append(line, f.Suffix...)
		}
		w.Write(append(line, '\n'))
	}
	if header {
		write(func(i int) slurm.Cell { return slurm.Str(squeueNames[fields[i].Name].header) })
	}
	for _, v := range views {
		write(func(i int) slurm.Cell { return cols[i](*v) })
	}
}

// spaces pads cells.
const spaces = "                                                                "

// appendCell appends c fitted to width, as c.render(width, right) would,
// without building strings for the usual value that fits its column.
func appendCell(b []byte, c slurm.Cell, width int, right bool) []byte {
	t := c.Text
	if width <= 0 {
		return append(b, t...)
	}
	if len(t) > width || c.Null && !right && width < len(slurm.NullString) {
		// Too wide (in bytes; render counts runes), or a NULL too narrow
		// to print.
		return append(b, c.Render(width, right)...)
	}
	if !right {
		b = append(b, t...)
	}
	for pad := width - utf8.RuneCountInString(t); pad > 0; pad -= len(spaces) {
		b = append(b, spaces[:min(pad, len(spaces))]...)
	}
	if right {
		b = append(b, t...)
	}
	return b
}
