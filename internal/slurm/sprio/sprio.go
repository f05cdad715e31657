// Package sprio is hpcbridge's sprio: the factors of pending jobs'
// priorities (age, fair share, partition, nice), as the coordinator's
// scheduler computes them (bridge/fairshare), in Slurm 22.05's layouts.
//
// Main is the command as cmd/hpcbridge runs it (by a link named sprio or
// "hpcbridge sprio"); the command logic runs over the coordinator's client
// (slurm.Deps), so tests run it in-process.
package sprio

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

const sprioUsage = `Usage: sprio [-j jid[s]] [-u user_name[s]] [-o format] [-p partitions]
   [--federation] [--local] [--sibling] [--usage] [-hlnvVw]
`

const sprioHelp = `Usage: sprio [OPTIONS]
      --federation                display jobs in federation if a member of one
  -h, --noheader                  no headers on output
  -j, --jobs                      comma separated list of jobs
                                  to view, default is all
      --local                     display jobs on local cluster only
  -l, --long                      long report
  -M, --cluster=cluster_name      cluster to issue commands to.  Default is
                                  current cluster.  cluster with no name will
                                  reset to default.
                                  NOTE: SlurmDBD must be up.
  -n, --norm                      display normalized values
  -o, --format=format             format specification
      --sibling                   display job records separately for each federation cluster
  -p, --partition=partition_name  comma separated list of partitions
  -u, --user=user_name            comma separated list of users to view
  -v, --verbose                   verbosity level
  -V, --version                   output version information and exit
  -w, --weights                   show the weights for each priority factor

Help options:
  --help                          show this help message
  --usage                         display a brief summary of sprio options
`

// Lister is what sprio reads from the coordinator (*api.Client is one).
type Lister interface {
	Priorities(ctx context.Context, q *api.PrioritiesQuery) (*api.PriorityList, error)
}

var _ Lister = (*api.Client)(nil)

// Options are the inputs of one sprio run.
type Options struct {
	Client     Lister
	Jobs       []string
	JobsGiven  bool
	Users      []string
	Partitions []string
	Format     string
	Sort       string
	Long       bool
	Norm       bool
	NoHeader   bool
	Weights    bool
}

// Main runs sprio with args.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	var o Options
	var info slurm.InfoFlags
	if v, ok := slurm.LookupEnv(s.Env, "SPRIO_FORMAT"); ok {
		o.Format = v
	}
	fs := &slurm.FlagSet{Prog: "sprio", Defs: []slurm.FlagDef{
		{Short: 'M', Long: "cluster", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "federation", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Help)},
		{Short: 'h', Long: "noheader", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NoHeader)},
		{Short: 'j', Long: "jobs", Arg: slurm.OptionalNextArg, Set: func(v string, has bool) error {
			o.JobsGiven = true
			if has {
				o.Jobs = append(o.Jobs, slurm.SplitList(v)...)
			}
			return nil
		}},
		{Short: 'l', Long: "long", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Long)},
		{Short: 0, Long: "local", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'n', Long: "norm", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Norm)},
		{Short: 'o', Long: "format", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Format)},
		{Short: 'p', Long: "partition", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Partitions)},
		{Short: 0, Long: "sibling", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'S', Long: "sort", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Sort)},
		{Short: 'u', Long: "user", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 0, Long: "users", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Usage)},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Version)},
		{Short: 'w', Long: "weights", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Weights)},
	}}
	operands, err := fs.Parse(args)
	if err != nil {
		return slurm.ReportUsage(s, "sprio", err)
	}
	if info.Answer(s, sprioHelp, sprioUsage) {
		return slurm.ExitOK
	}
	if len(operands) > 0 {
		fmt.Fprintf(s.Err, "sprio: error: Unrecognized option: %s\n", operands[0])
		fmt.Fprint(s.Out, sprioUsage)
		return slurm.ExitRejected
	}
	l, ok := slurm.OpenFor[Lister](s, d, "sprio", "slurm_load_job_prio error", "read priorities")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = l
	return Run(slurm.Context(), o, s)
}

// Run asks the coordinator and prints the report.
func Run(ctx context.Context, o Options, s slurm.Streams) int {
	list, err := o.Client.Priorities(ctx, &api.PrioritiesQuery{Jobs: o.Jobs, Users: o.Users, Partitions: o.Partitions})
	if err != nil {
		fmt.Fprintf(s.Err, "Couldn't get priority factors from controller: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	if list.Type != fairshare.Multifactor {
		fmt.Fprintf(s.Err, "You are not running a supported priority plugin\n(%s).\nOnly 'priority/multifactor' is supported.\n", list.Type)
		return slurm.ExitRejected
	}
	format := o.Format
	if format == "" {
		format = DefaultFormat(list.Weights, o.Long, o.Norm, len(o.Users) > 0)
	}
	fields, errs := slurm.ParseLetterFormat(format, func(c byte) bool { return columns[c].head != "" })
	for _, e := range errs {
		fmt.Fprintf(s.Err, "sprio: error: Invalid job format specification: %s\n", e)
	}
	if o.JobsGiven && len(list.Jobs) == 0 {
		fmt.Fprintln(s.Out, "Unable to find jobs matching user/id(s) specified")
		return slurm.ExitOK
	}
	if !o.NoHeader {
		line(s.Out, fields, func(c column) string { return c.head })
	}
	if o.Weights {
		line(s.Out, fields, func(c column) string { return c.weight(list.Weights) })
		return slurm.ExitOK
	}
	jobs := slices.Clone(list.Jobs)
	sortJobs(jobs, o.Sort)
	for _, f := range jobs {
		line(s.Out, fields, func(c column) string { return c.value(f) })
	}
	return slurm.ExitOK
}

// DefaultFormat is sprio's format: the factors whose weight is not 0
// (Slurm 22.05 leaves the others out), weighted or normalised (-n), the
// user with -u, everything with -l.
func DefaultFormat(w fairshare.Weights, long, norm, users bool) string {
	if long {
		if norm {
			return "%.15i %9r %.8u %10y %10a %10b %10f %10j %10p %10q %20t"
		}
		return "%.15i %9r %.8u %.10Y %.10S %.10A %.10B %.10F %.10J %.10P %.10Q %.11N %.20T"
	}
	f := "%.15i %9r"
	if users {
		f += " %.8u"
	}
	factor := func(weight uint32, letter string) {
		if weight != 0 {
			if norm {
				f += " %10" + strings.ToLower(letter)
			} else {
				f += " %.10" + letter
			}
		}
	}
	if norm {
		f += " %10y"
	} else {
		f += " %.10Y %.10S"
	}
	factor(w.Age, "A")
	factor(w.Assoc, "B")
	factor(w.FairShare, "F")
	factor(w.JobSize, "J")
	factor(w.Partition, "P")
	factor(w.QOS, "Q")
	return f
}

// column is one sprio field: its header, its weights-row text, its value.
type column struct {
	head   string
	weight func(fairshare.Weights) string
	value  func(fairshare.Factors) string
}

func blank(fairshare.Weights) string { return "" }
func num(n int64) string             { return strconv.FormatInt(n, 10) }
func norm(f float64) string          { return strconv.FormatFloat(f, 'f', 7, 64) }
func wnum(n uint32) func(fairshare.Weights) string {
	return func(fairshare.Weights) string { return strconv.FormatUint(uint64(n), 10) }
}

var columns = map[byte]column{}

func init() {
	w := func(get func(fairshare.Weights) uint32) func(fairshare.Weights) string {
		return func(x fairshare.Weights) string { return strconv.FormatUint(uint64(get(x)), 10) }
	}
	columns = map[byte]column{
		'i': {"JOBID", func(fairshare.Weights) string { return "Weights" }, func(f fairshare.Factors) string { return strconv.FormatUint(f.JobID, 10) }},
		'r': {"PARTITION", blank, func(f fairshare.Factors) string { return f.Partition }},
		'u': {"USER", blank, func(f fairshare.Factors) string { return f.User }},
		'c': {"CLUSTER", blank, func(fairshare.Factors) string { return "" }},
		'Y': {"PRIORITY", blank, func(f fairshare.Factors) string { return num(f.Priority) }},
		'y': {"PRIORITY", blank, func(f fairshare.Factors) string {
			return strconv.FormatFloat(float64(f.Priority)/float64(uint32(0xffffffff)), 'f', 14, 64)
		}},
		'S': {"SITE", wnum(1), func(f fairshare.Factors) string { return num(f.Site) }},
		'A': {"AGE", w(func(x fairshare.Weights) uint32 { return x.Age }), func(f fairshare.Factors) string { return num(f.WAge) }},
		'a': {"AGE", w(func(x fairshare.Weights) uint32 { return x.Age }), func(f fairshare.Factors) string { return norm(f.Age) }},
		'B': {"ASSOC", w(func(x fairshare.Weights) uint32 { return x.Assoc }), func(f fairshare.Factors) string { return num(f.WAssoc) }},
		'b': {"ASSOC", w(func(x fairshare.Weights) uint32 { return x.Assoc }), func(f fairshare.Factors) string { return norm(f.Assoc) }},
		'F': {"FAIRSHARE", w(func(x fairshare.Weights) uint32 { return x.FairShare }), func(f fairshare.Factors) string { return num(f.WFairShare) }},
		'f': {"FAIRSHARE", w(func(x fairshare.Weights) uint32 { return x.FairShare }), func(f fairshare.Factors) string { return norm(f.FairShare) }},
		'J': {"JOBSIZE", w(func(x fairshare.Weights) uint32 { return x.JobSize }), func(f fairshare.Factors) string { return num(f.WJobSize) }},
		'j': {"JOBSIZE", w(func(x fairshare.Weights) uint32 { return x.JobSize }), func(f fairshare.Factors) string { return norm(f.JobSize) }},
		'P': {"PARTITION", w(func(x fairshare.Weights) uint32 { return x.Partition }), func(f fairshare.Factors) string { return num(f.WPartition) }},
		'p': {"PARTITION", w(func(x fairshare.Weights) uint32 { return x.Partition }), func(f fairshare.Factors) string { return norm(f.PartPrio) }},
		'Q': {"QOS", w(func(x fairshare.Weights) uint32 { return x.QOS }), func(f fairshare.Factors) string { return num(f.WQOS) }},
		'q': {"QOS", w(func(x fairshare.Weights) uint32 { return x.QOS }), func(f fairshare.Factors) string { return norm(f.QOS) }},
		'N': {"NICE", blank, func(f fairshare.Factors) string { return num(f.Nice) }},
		'T': {"TRES", blank, func(fairshare.Factors) string { return "" }},
		't': {"TRES", blank, func(fairshare.Factors) string { return "" }},
	}
}

// line prints one row: each field cut and padded to its width, with its
// suffix, as sprio's printf-based printing does.
func line(out io.Writer, fields []slurm.LetterField, text func(column) string) {
	var b strings.Builder
	for _, f := range fields {
		if f.Literal != "" {
			b.WriteString(f.Literal)
			continue
		}
		b.WriteString(slurm.Str(text(columns[f.Letter])).Render(f.Width, f.Right))
		b.WriteString(f.Suffix)
	}
	b.WriteByte('\n')
	io.WriteString(out, b.String())
}

// sortJobs orders the rows by -S's fields (i: job id, the default; u:
// user; r: partition; Y/y: priority; "-" before a field: descending).
func sortJobs(jobs []fairshare.Factors, spec string) {
	if spec == "" {
		spec = "i"
	}
	keys := slurm.SplitList(spec)
	slices.SortStableFunc(jobs, func(a, b fairshare.Factors) int {
		for _, k := range keys {
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimLeft(k, "+-")
			var c int
			switch k {
			case "i":
				c = cmp.Compare(a.JobID, b.JobID)
			case "u":
				c = strings.Compare(a.User, b.User)
			case "r":
				c = strings.Compare(a.Partition, b.Partition)
			case "Y", "y":
				c = cmp.Compare(a.Priority, b.Priority)
			case "F", "f":
				c = cmp.Compare(a.WFairShare, b.WFairShare)
			case "A", "a":
				c = cmp.Compare(a.WAge, b.WAge)
			}
			if desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.JobID, b.JobID)
	})
}
