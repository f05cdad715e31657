package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
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
		jobCanceller
		jobLister
		jobGetter
	}
	Jobs        []jobArg
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
	n, ok := signalNumbers[u]
	return n, ok
}

// scancelCLI is what scancel's command line says beyond scancelOptions.
type scancelCLI struct {
	infoFlags
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
		if v, ok := lookupEnv(env, name); ok && v != "" {
			*p = splitList(v)
		}
	}
	for name, p := range map[string]*bool{"SCANCEL_BATCH": &o.Batch, "SCANCEL_FULL": &o.Full, "SCANCEL_INTERACTIVE": &o.Interactive} {
		if _, ok := lookupEnv(env, name); ok {
			*p = true
		}
	}
	if _, ok := lookupEnv(env, "SCANCEL_VERBOSE"); ok {
		o.Verbose = 1
	}
}

// scancelFlags wires scancel's options to o and c.
func scancelFlags(o *scancelOptions, c *scancelCLI) *flagSet {
	return &flagSet{prog: "scancel", defs: []flagDef{
		{'A', "account", requiredArg, appendList(&o.Accounts)},
		{'b', "batch", noArg, setBool(&o.Batch)},
		{'M', "clusters", requiredArg, ignoreFlag},
		{0, "ctld", noArg, ignoreFlag},
		{'f', "full", noArg, setBool(&o.Full)},
		{0, "help", noArg, setBool(&c.help)},
		{'H', "hurry", noArg, ignoreFlag},
		{'i', "interactive", noArg, setBool(&o.Interactive)},
		{'n', "jobname", requiredArg, appendList(&o.Names)},
		{'n', "name", requiredArg, appendList(&o.Names)},
		{0, "me", noArg, setBool(&c.me)},
		{'w', "nodelist", requiredArg, appendList(&o.NodeList)},
		{'p', "partition", requiredArg, appendList(&o.Partitions)},
		{'q', "qos", requiredArg, appendList(&o.QOS)},
		{'Q', "quiet", noArg, setBool(&o.Quiet)},
		{'R', "reservation", requiredArg, appendList(&o.Resv)},
		{0, "sibling", requiredArg, ignoreFlag},
		{'s', "signal", requiredArg, setString(&c.signal)},
		{'t', "state", requiredArg, appendList(&o.States)},
		{0, "usage", noArg, setBool(&c.usage)},
		{'u', "user", requiredArg, appendList(&o.Users)},
		{'v', "verbose", noArg, countUp(&o.Verbose)},
		{'V', "version", noArg, setBool(&c.version)},
		{0, "wckey", requiredArg, appendList(&o.WCKeys)},
	}}
}

// scancelMain parses scancel's command line and runs it.
func scancelMain(args []string, s streams, d slurmDeps) int {
	var o scancelOptions
	var c scancelCLI
	scancelEnv(&o, s.env)
	operands, err := scancelFlags(&o, &c).parse(args)
	if err != nil {
		return reportUsage(s, "scancel", err)
	}
	if c.answer(s, scancelUsage, scancelUsage) {
		return exitOK
	}
	if code := scancelCheck(&o, &c, operands, s, d); code != exitOK {
		return code
	}
	client, err := d.connect(s.env)
	if err != nil {
		fmt.Fprintln(s.err, connectError("scancel", "Kill job error", err))
		return exitRejected
	}
	o.Client = client
	o.prompt = bufio.NewReader(s.in)
	return runScancel(o, s)
}

// scancelCheck validates the job ids, signal, states and users into o,
// reporting as scancel does; it returns exitOK when scancel may go on.
func scancelCheck(o *scancelOptions, c *scancelCLI, operands []string, s streams, d slurmDeps) int {
	for _, a := range operands {
		for _, it := range splitJobArgs(a) {
			if it == "" {
				continue
			}
			ja, err := parseJobArg(it)
			if err != nil {
				var re *refError
				if errors.As(err, &re) && re.Range != "" {
					fmt.Fprintf(s.err, "scancel: error: _parse_single_range: Invalid range: `%s'\n", re.Range)
				}
				fmt.Fprintf(s.err, "scancel: error: Invalid job id %s\n", it)
				return exitRejected
			}
			o.Jobs = append(o.Jobs, ja)
		}
	}
	if c.signal != "" {
		n, ok := parseSignal(c.signal)
		if !ok {
			fmt.Fprintf(s.err, "Unknown job signal: %s\n", c.signal)
			return exitRejected
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
			fmt.Fprintf(s.err, "Invalid job state specified: %s\n", st)
			fmt.Fprintln(s.err, "Valid job states are PENDING, RUNNING, and SUSPENDED")
			return exitRejected
		}
	}
	if c.me {
		u, err := d.currentUser()
		if err != nil {
			fmt.Fprintf(s.err, "scancel: error: --me: %v\n", err)
			return exitRejected
		}
		o.Users = append(o.Users, u)
	}
	for _, u := range o.Users {
		if _, _, _, ok := d.lookupUser(u); !ok {
			fmt.Fprintf(s.err, "scancel: error: Invalid user name: %s\n", u)
			return exitRejected
		}
	}
	if len(o.Jobs) == 0 && !o.hasFilters() {
		fmt.Fprintln(s.err, "scancel: error: No job identification provided")
		return exitRejected
	}
	return exitOK
}

// runScancel cancels (or signals) the jobs.
func runScancel(o scancelOptions, s streams) int {
	ctx := cliContext()
	if slices.Contains(o.States, "SUSPENDED") && len(o.States) == 1 {
		// hpcbridge never suspends jobs: nothing matches.
		return noMatch(o, s)
	}
	o.States = slices.DeleteFunc(o.States, func(st string) bool { return st == "SUSPENDED" })
	if len(o.Jobs) == 0 {
		return scancelByFilters(ctx, o, s)
	}
	code := exitOK
	for _, a := range o.Jobs {
		if c := scancelOne(ctx, o, s, a); c != exitOK {
			code = c
		}
	}
	return code
}

// scancelOne cancels or signals one job id argument.
func scancelOne(ctx context.Context, o scancelOptions, s streams, a jobArg) int {
	if o.Interactive && !confirm(ctx, o, s, a) {
		return exitOK
	}
	if o.Verbose > 0 {
		if o.Signal != "" {
			fmt.Fprintf(s.err, "scancel: Signal %s to job %s\n", o.Signal, a.Text)
		} else {
			fmt.Fprintf(s.err, "scancel: Terminating job %s\n", a.Text)
		}
	}
	if a.Empty || a.Step != "" && a.Step != "batch" {
		// hpcbridge jobs have no steps but the batch script.
		return killError(o, s, a.Text, api.CodeNotFound, "")
	}
	req := o.request()
	req.Refs = []string{a.Ref()}
	resp, err := o.Client.Cancel(ctx, req)
	errs, err := refErrors(resp, err)
	if err != nil {
		fmt.Fprintf(s.err, "scancel: error: Kill job error on job id %s: Unable to contact slurm controller (connect failure): %v\n", a.Text, err)
		return exitRejected
	}
	code := exitOK
	for _, e := range errs {
		if c := killError(o, s, a.Text, e.Code, e.Message); c != exitOK {
			code = c
		}
	}
	return code
}

// killError reports a failed cancel as scancel does. Without a signal, a
// job that does not exist or already ended is only reported with -v, and
// is not a failure; every other error is.
func killError(o scancelOptions, s streams, id, code, message string) int {
	msg := codeMessage(code, message)
	benign := o.Signal == "" && (code == api.CodeNotFound || msg == "Job/step already completing or completed")
	if benign {
		if o.Verbose > 0 {
			fmt.Fprintf(s.err, "scancel: error: Kill job error on job id %s: %s\n", id, msg)
		}
		return exitOK
	}
	if !o.Quiet {
		fmt.Fprintf(s.err, "scancel: error: Kill job error on job id %s: %s\n", id, msg)
	}
	if msg == slurmcli.MsgTransition {
		// scancel exits with the Slurm error number, truncated to a byte.
		return exitTransition
	}
	return exitRejected
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
func scancelByFilters(ctx context.Context, o scancelOptions, s streams) int {
	req := o.request()
	if o.localFilters() || o.Interactive {
		refs, err := selectByFilters(ctx, o)
		if err != nil {
			fmt.Fprintf(s.err, "scancel: error: slurm_load_jobs error: %s\n", apiMessage(err))
			return exitRejected
		}
		if len(refs) == 0 {
			return noMatch(o, s)
		}
		code := exitOK
		for _, r := range refs {
			a, _ := parseJobArg(r)
			if c := scancelOne(ctx, o, s, a); c != exitOK {
				code = c
			}
		}
		return code
	}
	resp, err := o.Client.Cancel(ctx, req)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && len(ae.Refs) > 0 {
			code := exitOK
			for _, e := range ae.Refs {
				if c := killError(o, s, e.Ref, e.Code, e.Message); c != exitOK {
					code = c
				}
			}
			return code
		}
		fmt.Fprintf(s.err, "scancel: error: %s\n", apiMessage(err))
		return exitRejected
	}
	if len(resp.Changed) == 0 && len(resp.Errors) == 0 {
		return noMatch(o, s)
	}
	if o.Verbose > 0 {
		for _, id := range resp.Changed {
			fmt.Fprintf(s.err, "scancel: Terminating job %d\n", id)
		}
	}
	code := exitOK
	for _, e := range resp.Errors {
		if c := killError(o, s, e.Ref, e.Code, e.Message); c != exitOK {
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
	vc := &viewCtx{}
	for _, j := range jobs {
		v := vc.view(j)
		if j.State.Terminal() ||
			len(o.QOS) > 0 && !slices.Contains(o.QOS, j.QOS) ||
			len(o.Resv) > 0 && !slices.Contains(o.Resv, v.reservation()) ||
			len(o.WCKeys) > 0 && !slices.Contains(o.WCKeys, v.wckey()) ||
			len(o.NodeList) > 0 && !anyNode(j.NodeList, o.NodeList) {
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
func noMatch(o scancelOptions, s streams) int {
	if o.Verbose == 0 {
		return exitOK
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
	fmt.Fprintf(s.err, "scancel: error: No active jobs match ALL job filters, including: %s\n", b.String())
	return exitOK
}

// confirm asks whether to cancel a job (--interactive).
func confirm(ctx context.Context, o scancelOptions, s streams, a jobArg) bool {
	name, part := "", ""
	if j, _, err := o.Client.Job(ctx, a.Ref(), nil); err == nil {
		name, part = j.Name, j.Partition
	}
	fmt.Fprintf(s.out, "Cancel job_id=%s name=%s partition=%s [y/n]? ", a.Text, name, part)
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
