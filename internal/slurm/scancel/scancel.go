package scancel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

const scancelUsage = `Usage: scancel [-A account] [--batch] [--full] [--interactive] [-n job_name]
               [-p partition] [-Q] [-q qos] [-R reservation] [-s signal | integer]
               [-t PENDING | RUNNING | SUSPENDED] [--usage] [-u user_name]
               [--hurry] [-V] [-v] [-w hosts...] [--wckey=wckey] [--me]
               [job_id[_array_id][.step_id]]
`

// scancelOptions are the inputs of one scancel run.
type scancelOptions struct {
	Client interface {
		slurm.JobCanceller
		slurm.JobLister
		slurm.JobGetter
	}
	Jobs        []slurm.JobArg
	Users       []string
	Accounts    []string
	Names       []string
	Partitions  []string
	QOS         []string
	Resv        []string
	NodeList    []string
	WCKeys      []string
	States      []string // PENDING, RUNNING (SUSPENDED matches nothing)
	Signal      string   // "" cancels
	Batch, Full bool
	Interactive bool
	Quiet       bool
	Verbose     int
	// prompt reads the answers of --interactive.
	prompt *bufio.Reader
}

// hasFilters reports whether any job filter is set.
func (o scancelOptions) hasFilters() bool {
	return len(o.Users)+len(o.Accounts)+len(o.Names)+len(o.Partitions)+len(o.QOS)+len(o.Resv)+
		len(o.NodeList)+len(o.WCKeys)+len(o.States) > 0
}

// localFilters reports whether a filter the API does not apply is set.
func (o scancelOptions) localFilters() bool {
	return len(o.QOS)+len(o.Resv)+len(o.NodeList)+len(o.WCKeys) > 0
}

// parseSignal reads scancel -s: a name with or without SIG in any case, or
// a number; it returns the signal's number.
func parseSignal(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n > 0 && n < 65
	}
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	n, ok := slurm.SignalNumbers[u]
	return n, ok
}

// scancelCLI is what scancel's command line says beyond scancelOptions.
type scancelCLI struct {
	slurm.InfoFlags
	me     bool
	signal string
}

// scancelEnv applies the SCANCEL_* variables (scancel(1), ENVIRONMENT).
func scancelEnv(o *scancelOptions, env []string) {
	lists := map[string]*[]string{
		"SCANCEL_ACCOUNT": &o.Accounts, "SCANCEL_NAME": &o.Names, "SCANCEL_PARTITION": &o.Partitions,
		"SCANCEL_QOS": &o.QOS, "SCANCEL_STATE": &o.States, "SCANCEL_USER": &o.Users, "SCANCEL_WCKEY": &o.WCKeys,
	}
	for name, p := range lists {
		if v, ok := slurm.LookupEnv(env, name); ok && v != "" {
			*p = slurm.SplitList(v)
		}
	}
	for name, p := range map[string]*bool{"SCANCEL_BATCH": &o.Batch, "SCANCEL_FULL": &o.Full, "SCANCEL_INTERACTIVE": &o.Interactive} {
		if _, ok := slurm.LookupEnv(env, name); ok {
			*p = true
		}
	}
	if _, ok := slurm.LookupEnv(env, "SCANCEL_VERBOSE"); ok {
		o.Verbose = 1
	}
}

// scancelFlags wires scancel's options to o and c.
func scancelFlags(o *scancelOptions, c *scancelCLI) *slurm.FlagSet {
	return &slurm.FlagSet{Prog: "scancel", Defs: []slurm.FlagDef{
		{Short: 'A', Long: "account", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Accounts)},
		{Short: 'b', Long: "batch", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Batch)},
		{Short: 'M', Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "ctld", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'f', Long: "full", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Full)},
		{Short: 0, Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Help)},
		{Short: 'H', Long: "hurry", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'i', Long: "interactive", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Interactive)},
		{Short: 'n', Long: "jobname", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Names)},
		{Short: 'n', Long: "name", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Names)},
		{Short: 0, Long: "me", Arg: slurm.NoArg, Set: slurm.SetBool(&c.me)},
		{Short: 'w', Long: "nodelist", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.NodeList)},
		{Short: 'p', Long: "partition", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Partitions)},
		{Short: 'q', Long: "qos", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.QOS)},
		{Short: 'Q', Long: "quiet", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Quiet)},
		{Short: 'R', Long: "reservation", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Resv)},
		{Short: 0, Long: "sibling", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 's', Long: "signal", Arg: slurm.RequiredArg, Set: slurm.SetString(&c.signal)},
		{Short: 't', Long: "state", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.States)},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Usage)},
		{Short: 'u', Long: "user", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.CountUp(&o.Verbose)},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&c.Version)},
		{Short: 0, Long: "wckey", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.WCKeys)},
	}}
}

// Main parses scancel's command line and runs it.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	var o scancelOptions
	var c scancelCLI
	scancelEnv(&o, s.Env)
	operands, err := scancelFlags(&o, &c).Parse(args)
	if err != nil {
		return slurm.ReportUsage(s, "scancel", err)
	}
	if c.Answer(s, scancelUsage, scancelUsage) {
		return slurm.ExitOK
	}
	if code := scancelCheck(&o, &c, operands, s, d); code != slurm.ExitOK {
		return code
	}
	client, ok := slurm.Open(s, d, "scancel", "Kill job error")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = client
	o.prompt = bufio.NewReader(s.In)
	return runScancel(o, s)
}

// scancelCheck validates the job ids, signal, states and users into o,
// reporting as scancel does; it returns exitOK when scancel may go on.
func scancelCheck(o *scancelOptions, c *scancelCLI, operands []string, s slurm.Streams, d slurm.Deps) int {
	for _, a := range operands {
		for _, it := range slurm.SplitJobArgs(a) {
			if it == "" {
				continue
			}
			ja, err := slurm.ParseJobArg(it)
			if err != nil {
				var re *slurm.RefError
				if errors.As(err, &re) && re.Range != "" {
					fmt.Fprintf(s.Err, "scancel: error: _parse_single_range: Invalid range: `%s'\n", re.Range)
				}
				fmt.Fprintf(s.Err, "scancel: error: Invalid job id %s\n", it)
				return slurm.ExitRejected
			}
			o.Jobs = append(o.Jobs, ja)
		}
	}
	if c.signal != "" {
		n, ok := parseSignal(c.signal)
		if !ok {
			fmt.Fprintf(s.Err, "Unknown job signal: %s\n", c.signal)
			return slurm.ExitRejected
		}
		o.Signal = strconv.Itoa(n)
	}
	for i, st := range o.States {
		switch strings.ToUpper(st) {
		case "PENDING", "PD":
			o.States[i] = string(state.StatePending)
		case "RUNNING", "R":
			o.States[i] = string(state.StateRunning)
		case "SUSPENDED", "S":
			o.States[i] = "SUSPENDED"
		default:
			fmt.Fprintf(s.Err, "Invalid job state specified: %s\n", st)
			fmt.Fprintln(s.Err, "Valid job states are PENDING, RUNNING, and SUSPENDED")
			return slurm.ExitRejected
		}
	}
	if c.me {
		u, err := d.CurrentUser()
		if err != nil {
			fmt.Fprintf(s.Err, "scancel: error: --me: %v\n", err)
			return slurm.ExitRejected
		}
		o.Users = append(o.Users, u)
	}
	for _, u := range o.Users {
		if _, _, _, ok := d.LookupUser(u); !ok {
			fmt.Fprintf(s.Err, "scancel: error: Invalid user name: %s\n", u)
			return slurm.ExitRejected
		}
	}
	if len(o.Jobs) == 0 && !o.hasFilters() {
		fmt.Fprintln(s.Err, "scancel: error: No job identification provided")
		return slurm.ExitRejected
	}
	return slurm.ExitOK
}

// runScancel cancels (or signals) the jobs.
func runScancel(o scancelOptions, s slurm.Streams) int {
	ctx := slurm.Context()
	if slices.Contains(o.States, "SUSPENDED") && len(o.States) == 1 {
		// hpcbridge never suspends jobs: nothing matches.
		return noMatch(o, s)
	}
	o.States = slices.DeleteFunc(o.States, func(st string) bool { return st == "SUSPENDED" })
	if len(o.Jobs) == 0 {
		return scancelByFilters(ctx, o, s)
	}
	code := slurm.ExitOK
	for _, a := range o.Jobs {
		if c := scancelOne(ctx, o, s, a); c != slurm.ExitOK {
			code = c
		}
	}
	return code
}

// scancelOne cancels or signals one job id argument.
func scancelOne(ctx context.Context, o scancelOptions, s slurm.Streams, a slurm.JobArg) int {
	if o.Interactive && !confirm(ctx, o, s, a) {
		return slurm.ExitOK
	}
	if o.Verbose > 0 {
		if o.Signal != "" {
			fmt.Fprintf(s.Err, "scancel: Signal %s to job %s\n", o.Signal, a.Text)
		} else {
			fmt.Fprintf(s.Err, "scancel: Terminating job %s\n", a.Text)
		}
	}
	if a.Empty || a.Step != "" && a.Step != "batch" {
		// hpcbridge jobs have no steps but the batch script.
		return killError(o, s, a.Text, api.CodeNotFound, "")
	}
	req := o.request()
	req.Refs = []string{a.Ref()}
	resp, err := o.Client.Cancel(ctx, req)
	errs, err := slurm.RefErrors(resp, err)
	if err != nil {
		fmt.Fprintf(s.Err, "scancel: error: Kill job error on job id %s: Unable to contact slurm controller (connect failure): %v\n", a.Text, err)
		return slurm.ExitRejected
	}
	code := slurm.ExitOK
	for _, e := range errs {
		if c := killError(o, s, a.Text, e.Code, e.Message); c != slurm.ExitOK {
			code = c
		}
	}
	return code
}

// killError reports a failed cancel as scancel does. Without a signal, a
// job that does not exist or already ended is only reported with -v, and
// is not a failure; every other error is.
func killError(o scancelOptions, s slurm.Streams, id, code, message string) int {
	msg := slurm.CodeMessage(code, message)
	benign := o.Signal == "" && (code == api.CodeNotFound || msg == "Job/step already completing or completed")
	if benign {
		if o.Verbose > 0 {
			fmt.Fprintf(s.Err, "scancel: error: Kill job error on job id %s: %s\n", id, msg)
		}
		return slurm.ExitOK
	}
	if !o.Quiet {
		fmt.Fprintf(s.Err, "scancel: error: Kill job error on job id %s: %s\n", id, msg)
	}
	if msg == slurmcli.MsgTransition {
		// scancel exits with the Slurm error number, truncated to a byte.
		return exitTransition
	}
	return slurm.ExitRejected
}

// exitTransition is the status scancel exits with after Slurm's error for
// signalling a job that is not running (slurmcli.MsgTransition):
// ESLURM_TRANSITION_STATE_NO_UPDATE, 2020, as a byte.
const exitTransition = 2020 & 0xff

// request is the cancel request of the options' filters and signal.
func (o scancelOptions) request() *api.CancelRequest {
	return &api.CancelRequest{
		Users: o.Users, Names: o.Names, Partitions: o.Partitions, Accounts: o.Accounts,
		States: o.States, Signal: o.Signal, SignalScope: signalScope(o),
	}
}

// scancelByFilters cancels every job the filters select.
func scancelByFilters(ctx context.Context, o scancelOptions, s slurm.Streams) int {
	req := o.request()
	if o.localFilters() || o.Interactive {
		refs, err := selectByFilters(ctx, o)
		if err != nil {
			fmt.Fprintf(s.Err, "scancel: error: slurm_load_jobs error: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected
		}
		if len(refs) == 0 {
			return noMatch(o, s)
		}
		code := slurm.ExitOK
		for _, r := range refs {
			a, _ := slurm.ParseJobArg(r)
			if c := scancelOne(ctx, o, s, a); c != slurm.ExitOK {
				code = c
			}
		}
		return code
	}
	resp, err := o.Client.Cancel(ctx, req)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && len(ae.Refs) > 0 {
			code := slurm.ExitOK
			for _, e := range ae.Refs {
				if c := killError(o, s, e.Ref, e.Code, e.Message); c != slurm.ExitOK {
					code = c
				}
			}
			return code
		}
		fmt.Fprintf(s.Err, "scancel: error: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	if len(resp.Changed) == 0 && len(resp.Errors) == 0 {
		return noMatch(o, s)
	}
	if o.Verbose > 0 {
		for _, id := range resp.Changed {
			fmt.Fprintf(s.Err, "scancel: Terminating job %d\n", id)
		}
	}
	code := slurm.ExitOK
	for _, e := range resp.Errors {
		if c := killError(o, s, e.Ref, e.Code, e.Message); c != slurm.ExitOK {
			code = c
		}
	}
	return code
}

// selectByFilters lists the unfinished jobs that match every filter and
// returns their refs.
func selectByFilters(ctx context.Context, o scancelOptions) ([]string, error) {
	q := &api.JobsQuery{Users: o.Users, Names: o.Names, Partitions: o.Partitions, Accounts: o.Accounts, States: o.States}
	jobs, _, err := o.Client.JobsAll(ctx, q)
	if err != nil {
		return nil, err
	}
	var refs []string
	vc := &slurm.ViewCtx{}
	for _, j := range jobs {
		v := vc.View(j)
		if j.State.Terminal() ||
			len(o.QOS) > 0 && !slices.Contains(o.QOS, j.QOS) ||
			len(o.Resv) > 0 && !slices.Contains(o.Resv, v.Reservation()) ||
			len(o.WCKeys) > 0 && !slices.Contains(o.WCKeys, v.Wckey()) ||
			len(o.NodeList) > 0 && !slurm.AnyNode(j.NodeList, o.NodeList) {
			continue
		}
		refs = append(refs, jobRefOf(j))
	}
	return refs, nil
}

// jobRefOf is the ref that names exactly one listed record.
func jobRefOf(j *state.Job) string {
	switch {
	case j.ArrayJobID != 0 && j.ArrayTaskID != state.NoTask:
		return fmt.Sprintf("%d_%d", j.ArrayJobID, j.ArrayTaskID)
	case j.IsArrayBase():
		return fmt.Sprintf("%d_[%s]", j.ID, j.Pending.String())
	}
	return strconv.FormatUint(j.ID, 10)
}

// noMatch reports that the filters selected nothing (with -v only).
func noMatch(o scancelOptions, s slurm.Streams) int {
	if o.Verbose == 0 {
		return slurm.ExitOK
	}
	var b strings.Builder
	add := func(key string, vals []string) {
		if len(vals) > 0 {
			fmt.Fprintf(&b, "%s=%s ", key, strings.Join(vals, ","))
		}
	}
	add("account", o.Accounts)
	add("job_name", o.Names)
	add("nodelist", o.NodeList)
	add("partition", o.Partitions)
	add("qos", o.QOS)
	add("reservation", o.Resv)
	add("state", o.States)
	add("user_name", o.Users)
	add("wckey", o.WCKeys)
	fmt.Fprintf(s.Err, "scancel: error: No active jobs match ALL job filters, including: %s\n", b.String())
	return slurm.ExitOK
}

// confirm asks whether to cancel a job (--interactive).
func confirm(ctx context.Context, o scancelOptions, s slurm.Streams, a slurm.JobArg) bool {
	name, part := "", ""
	if j, _, err := o.Client.Job(ctx, a.Ref(), nil); err == nil {
		name, part = j.Name, j.Partition
	}
	fmt.Fprintf(s.Out, "Cancel job_id=%s name=%s partition=%s [y/n]? ", a.Text, name, part)
	line, _ := o.prompt.ReadString('\n')
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}

// signalScope is the processes scancel -s reaches: --full all, --batch the
// batch shell, else the job's steps.
func signalScope(o scancelOptions) string {
	switch {
	case o.Full:
		return "full"
	case o.Batch:
		return "batch"
	}
	return ""
}
