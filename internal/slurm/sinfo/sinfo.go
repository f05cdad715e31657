package sinfo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// sinfo's formats (sinfo(1)); "%#P" is as wide as the longest partition
// name (at least "PARTITION").
const (
	sinfoDefaultFormat  = "%#P %.5a %.10l %.6D %.6t %N"
	sinfoSummaryFormat  = "%#P %.5a %.10l %.16F %N"
	sinfoLongFormat     = "%#P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N"
	sinfoNodeFormat     = "%#N %.6D %.#P %6t"
	sinfoNodeLongFormat = "%#N %.6D %.#P %.11T %.4c %.8z %.6m %.8d %.6w %.8f %20E"
	sinfoReasonFormat   = "%20E %9u %19H %N"
	sinfoResvFormat     = "%14R %8t %19S %19e %11L %N"
)

const sinfoUsage = `Usage: sinfo [OPTIONS]
  -a, --all                  show all partitions (including hidden and those
                             not accessible)
  -d, --dead                 show only non-responding nodes
  -e, --exact                group nodes only on exact match of configuration
  -h, --noheader             no headers on output
  -i, --iterate=seconds      specify an iteration period
      --json                 print the partitions as JSON
  -l, --long                 long output - displays more information
  -n, --nodes=NODES          report on specific node(s)
  -N, --Node                 Node-centric format
  -o, --format=format        format specification
  -p, --partition=PARTITION  report on specific partition
  -r, --responding           report only responding nodes
  -R, --list-reasons         list reason nodes are down or drained
  -s, --summarize            report state summary only
  -S, --sort=fields          comma separated list of fields to sort on
  -t, --states=node_state    specify the what states of nodes to view
  -T, --reservation          show only reservation information
  -v, --verbose              verbosity level
  -V, --version              output version information and exit

Help options:
  --help                     show this help message
  --usage                    display brief usage message

The nodes are the Nomad clients that run the hpcbridge task driver.
`

// sinfoClient is what sinfo reads: the partitions and the nodes.
type sinfoClient interface {
	slurm.PartitionLister
	slurm.NodeLister
}

// sinfoOptions are the inputs of one sinfo run.
type sinfoOptions struct {
	Client     sinfoClient
	Partitions []string
	States     []string
	Nodes      []string // -n, expanded
	Format     string
	// LongFormat: Format came from -O, which may name fields -o has no
	// letter for (GresUsed).
	LongFormat  bool
	NoHeader    bool
	Long        bool
	Summarize   bool
	NodeCentric bool
	Reasons     bool
	Resv        bool
	JSON        bool
	Responding  bool // -r
	Dead        bool // -d
	// Iterate repeats the report every Iterate seconds (sinfo -i).
	Iterate int
	// Locale is the clock, time zone, environment and user database
	// the report is printed with.
	slurm.Locale
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// sinfoHeaders are the column titles of sinfo's fields.
var sinfoHeaders = map[byte]string{
	'a': "AVAIL", 'A': "NODES(A/I)", 'b': "ACTIVE_FEATURES", 'B': "MAX_CPUS_PER_NODE", 'c': "CPUS",
	'C': "CPUS(A/I/O/T)", 'd': "TMP_DISK", 'D': "NODES", 'e': "FREE_MEM", 'E': "REASON",
	'f': "AVAIL_FEATURES", 'F': "NODES(A/I/O/T)", 'g': "GROUPS", 'G': "GRES", 'h': "OVERSUBSCRIBE",
	'H': "TIMESTAMP", 'I': "PRIO_JOB_FACTOR", 'l': "TIMELIMIT", 'L': "DEFAULTTIME", 'm': "MEMORY",
	'M': "PREEMPT_MODE", 'n': "HOSTNAMES", 'N': "NODELIST", 'o': "NODE_ADDR", 'O': "CPU_LOAD",
	'p': "PRIO_TIER", 'P': "PARTITION", 'r': "ROOT", 'R': "PARTITION", 's': "JOB_SIZE",
	'S': "ALLOCNODES", 't': "STATE", 'T': "STATE", 'u': "USER", 'U': "USER", 'v': "VERSION",
	'V': "CLUSTER", 'w': "WEIGHT", 'X': "SOCKETS", 'Y': "CORES", 'Z': "THREADS", 'z': "S:C:T",
	letterGresUsed: "GRES_USED", letterDonor: "DONOR",
}

// letterGresUsed stands for -O GresUsed, which has no -o letter: valid
// only in a format -O wrote.
const letterGresUsed = 'k'

// letterDonor is hpcbridge's field for a node's donor organisation (-o
// %y, -O Donor): a letter Slurm 22.05's sinfo does not use (it says
// "Invalid node format specification: y").
const letterDonor = 'y'

// validLetter says whether c is a field of the format.
func (o sinfoOptions) validLetter(c byte) bool {
	_, ok := sinfoHeaders[c]
	return ok && (c != letterGresUsed || o.LongFormat)
}

// sinfoRow is one line of sinfo: a partition (none for -R lines and for
// nodes in no partition) and the nodes the line stands for, possibly none.
type sinfoRow struct {
	part    api.Partition
	hasPart bool
	nodes   []*api.Node
}

// sinfoAggregate are the fields whose values sum or range over a line's
// nodes; the other fields of the format split lines (%n and %o too: one
// line per host name or address, as sinfo groups them).
const sinfoAggregate = "NDAFCcmeO"

// sinfoValue is one field of a line.
func sinfoValue(r sinfoRow, c byte, loc *time.Location) string {
	p, nodes := r.part, r.nodes
	var first *api.Node
	if len(nodes) > 0 {
		first = nodes[0]
	}
	switch c {
	case 'a':
		if !r.hasPart {
			return "n/a"
		}
		if p.State == "" {
			return "up"
		}
		return strings.ToLower(p.State)
	case 'A':
		a, i, _, _ := nodeCounts(nodes)
		return fmt.Sprintf("%d/%d", a, i)
	case 'B':
		return "UNLIMITED"
	case 'C':
		a, i, o, t := cpuCounts(nodes)
		return fmt.Sprintf("%d/%d/%d/%d", a, i, o, t)
	case 'F':
		a, i, o, t := nodeCounts(nodes)
		return fmt.Sprintf("%d/%d/%d/%d", a, i, o, t)
	case 'c':
		return rangeOf(nodes, func(n *api.Node) int64 { return int64(n.CPUs) })
	case 'm':
		return rangeOf(nodes, func(n *api.Node) int64 { return n.MemMiB })
	case 'D':
		return strconv.Itoa(len(nodes))
	case 'd':
		return "0"
	case 'w':
		if first == nil {
			return "0"
		}
		return "1"
	case 'X':
		if first == nil {
			return "0"
		}
		return strconv.Itoa(first.CPUs)
	case 'Y', 'Z':
		if first == nil {
			return "0"
		}
		return "1"
	case 'z':
		if first == nil {
			return "0:0:0"
		}
		return fmt.Sprintf("%d:1:1", first.CPUs)
	case 'e', 'O':
		return "N/A"
	case 'E':
		if first == nil || first.Reason == "" {
			return "none"
		}
		return first.Reason
	case 'f', 'b':
		if first == nil || len(first.Features) == 0 {
			return slurm.NullString
		}
		return strings.Join(first.Features, ",")
	case 'G':
		if first == nil || len(first.Gres) == 0 {
			return slurm.NullString
		}
		return strings.Join(first.Gres, ",")
	case letterGresUsed: // gpu:a100:2(IDX:0-1), as Slurm's GresUsed
		if first == nil || len(first.GresUsed) == 0 {
			return slurm.NullString
		}
		return strings.Join(first.GresUsed, ",")
	case letterDonor: // the organisation the node joined under
		if first == nil || first.Donor == "" {
			return slurm.NullString
		}
		return first.Donor
	case 'g', 'S':
		return "all"
	case 'h':
		return "NO"
	case 'H':
		if first == nil || first.ReasonTime.IsZero() {
			return "Unknown"
		}
		return first.ReasonTime.In(loc).Format("2006-01-02T15:04:05")
	case 'I', 'p':
		return "1"
	case 'l':
		return "infinite"
	case 'L':
		return "n/a"
	case 'M':
		return "OFF"
	case 'N', 'n':
		return hostlist.Compress(nodeNames(nodes, func(n *api.Node) string { return n.Name }))
	case 'o':
		return hostlist.Compress(nodeNames(nodes, func(n *api.Node) string { return slurm.CmpOr(n.Addr, n.Name) }))
	case 'P':
		if !r.hasPart {
			return "n/a"
		}
		if p.Default {
			return p.Name + "*"
		}
		return p.Name
	case 'R':
		if !r.hasPart {
			return "n/a"
		}
		return p.Name
	case 'r':
		return "no"
	case 's':
		return "1-infinite"
	case 't':
		if first == nil {
			return "n/a"
		}
		return nodeStateCompact(first)
	case 'T':
		if first == nil {
			return "n/a"
		}
		return nodeStateLong(first)
	case 'u', 'U':
		if first == nil || first.ReasonUser == "" || first.Reason == "" {
			return "Unknown"
		}
		return first.ReasonUser
	case 'v':
		if first != nil && first.Version != "" {
			return first.Version
		}
		return slurm.Version
	case 'V':
		return "N/A"
	}
	return ""
}

// nodeNames lists what of each node a hostlist shows.
func nodeNames(nodes []*api.Node, f func(*api.Node) string) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = f(n)
	}
	return out
}

// rangeOf is a number over a line's nodes: the value, or "MIN+" when the
// nodes differ (sinfo without --exact); "0" for no nodes.
func rangeOf(nodes []*api.Node, f func(*api.Node) int64) string {
	if len(nodes) == 0 {
		return "0"
	}
	lo, hi := f(nodes[0]), f(nodes[0])
	for _, n := range nodes[1:] {
		lo, hi = min(lo, f(n)), max(hi, f(n))
	}
	if lo != hi {
		return strconv.FormatInt(lo, 10) + "+"
	}
	return strconv.FormatInt(lo, 10)
}

// stateRank is a line's node state as Slurm's number for it (base state
// DOWN 1, IDLE 2, ALLOCATED 3, MIXED 5; flags DRAIN 0x200, NO_RESPOND
// 0x800), which sinfo's default sort orders by, highest first.
func stateRank(nodes []*api.Node) int {
	if len(nodes) == 0 {
		return -1
	}
	n := nodes[0]
	r := map[string]int{api.NodeDown: 1, api.NodeIdle: 2, api.NodeAllocated: 3, api.NodeMixed: 5}[n.State]
	if n.HasFlag(api.FlagDrain) {
		r |= 0x200
	}
	if n.HasFlag(api.FlagNotResponding) {
		r |= 0x800
	}
	return r
}

// nodeOther says whether a node counts as "other" in sinfo's A/I/O/T
// counts: down, unknown, or drained.
func nodeOther(n *api.Node) bool {
	return n.State == api.NodeDown || n.State == api.NodeUnknown || n.HasFlag(api.FlagDrain) && n.State == api.NodeIdle
}

// nodeCounts are the nodes allocated (some or all CPUs), idle, other and
// in total.
func nodeCounts(nodes []*api.Node) (a, i, o, t int) {
	for _, n := range nodes {
		switch {
		case nodeOther(n):
			o++
		case n.State == api.NodeIdle:
			i++
		default:
			a++
		}
	}
	return a, i, o, len(nodes)
}

// cpuCounts are the CPUs allocated, idle, other (on down and draining or
// drained nodes) and in total.
func cpuCounts(nodes []*api.Node) (a, i, o, t int) {
	for _, n := range nodes {
		t += n.CPUs
		switch {
		case n.State == api.NodeDown || n.State == api.NodeUnknown:
			o += n.CPUs
		case n.HasFlag(api.FlagDrain):
			a += n.AllocCPUs
			o += n.CPUs - n.AllocCPUs
		default:
			a += n.AllocCPUs
			i += n.CPUs - n.AllocCPUs
		}
	}
	return a, i, o, t
}

// nodeStateCompact is a node's state as sinfo %t prints it.
func nodeStateCompact(n *api.Node) string {
	drain := n.HasFlag(api.FlagDrain)
	var s string
	switch n.State {
	case api.NodeIdle:
		s = "idle"
		if drain {
			s = "drain"
		}
	case api.NodeMixed:
		s = "mix"
		if drain {
			s = "drng"
		}
	case api.NodeAllocated:
		s = "alloc"
		if drain {
			s = "drng"
		}
	case api.NodeDown:
		s = "down"
	default:
		s = "unk"
	}
	if n.HasFlag(api.FlagNotResponding) {
		s += "*"
	}
	return s
}

// nodeStateLong is a node's state as sinfo %T prints it.
func nodeStateLong(n *api.Node) string {
	drain := n.HasFlag(api.FlagDrain)
	var s string
	switch n.State {
	case api.NodeIdle:
		s = "idle"
		if drain {
			s = "drained"
		}
	case api.NodeMixed, api.NodeAllocated:
		s = map[string]string{api.NodeMixed: "mixed", api.NodeAllocated: "allocated"}[n.State]
		if drain {
			s = "draining"
		}
	case api.NodeDown:
		s = "down"
	default:
		s = "unknown"
	}
	if n.HasFlag(api.FlagNotResponding) {
		s += "*"
	}
	return s
}

// nodeStateNames are the names sinfo -t accepts, each with the nodes it
// matches.
var nodeStateNames = map[string]func(n *api.Node) bool{
	"all":   func(*api.Node) bool { return true },
	"idle":  func(n *api.Node) bool { return n.State == api.NodeIdle }, // drained ones too, as in sinfo
	"mix":   func(n *api.Node) bool { return n.State == api.NodeMixed },
	"mixed": func(n *api.Node) bool { return n.State == api.NodeMixed },
	"alloc": func(n *api.Node) bool { return n.State == api.NodeMixed || n.State == api.NodeAllocated },
	"allocated": func(n *api.Node) bool {
		return n.State == api.NodeMixed || n.State == api.NodeAllocated
	},
	"drain":    func(n *api.Node) bool { return n.HasFlag(api.FlagDrain) },
	"drained":  func(n *api.Node) bool { return n.HasFlag(api.FlagDrain) && n.State == api.NodeIdle },
	"draining": func(n *api.Node) bool { return n.HasFlag(api.FlagDrain) && n.State != api.NodeIdle },
	"drng":     func(n *api.Node) bool { return n.HasFlag(api.FlagDrain) && n.State != api.NodeIdle },
	"down":     func(n *api.Node) bool { return n.State == api.NodeDown },
	"unk":      func(n *api.Node) bool { return n.State == api.NodeUnknown },
	"unknown":  func(n *api.Node) bool { return n.State == api.NodeUnknown },
	"resp":     func(n *api.Node) bool { return !n.HasFlag(api.FlagNotResponding) },
	"responding": func(n *api.Node) bool {
		return !n.HasFlag(api.FlagNotResponding)
	},
	"no_respond":     func(n *api.Node) bool { return n.HasFlag(api.FlagNotResponding) },
	"not_responding": func(n *api.Node) bool { return n.HasFlag(api.FlagNotResponding) },
}

// Main parses sinfo's command line and runs it.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	o := sinfoOptions{Locale: slurm.NewLocale(s, d), now: d.Now, sleep: d.Sleep}
	var iterate string
	var info slurm.InfoFlags
	if v, ok := slurm.LookupEnv(s.Env, "SINFO_FORMAT"); ok {
		o.Format = v
	}
	if v, ok := slurm.LookupEnv(s.Env, "SINFO_PARTITION"); ok && v != "" {
		o.Partitions = slurm.SplitList(v)
	}
	fs := &slurm.FlagSet{Prog: "sinfo", Defs: []slurm.FlagDef{
		{Short: 'a', Long: "all", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'd', Long: "dead", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Dead)},
		{Short: 'e', Long: "exact", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Help)},
		{Short: 0, Long: "hide", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'h', Long: "noheader", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NoHeader)},
		{Short: 'i', Long: "iterate", Arg: slurm.RequiredArg, Set: slurm.SetString(&iterate)},
		{Short: 0, Long: "json", Arg: slurm.NoArg, Set: slurm.SetBool(&o.JSON)},
		{Short: 'l', Long: "long", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Long)},
		{Short: 0, Long: "local", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'M', Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 'n', Long: "nodes", Arg: slurm.RequiredArg, Set: func(v string, _ bool) error {
			names, err := hostlist.Expand(v)
			if err != nil {
				return fmt.Errorf("--nodes=%s: %w", v, err)
			}
			o.Nodes = append(o.Nodes, names...)
			return nil
		}},
		{Short: 'N', Long: "Node", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NodeCentric)},
		{Short: 0, Long: "noconvert", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'o', Long: "format", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Format)},
		{Short: 'O', Long: "Format", Arg: slurm.RequiredArg, Set: func(v string, _ bool) error {
			o.Format, o.LongFormat = longToLetters(v), true
			return nil
		}},
		{Short: 'p', Long: "partition", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Partitions)},
		{Short: 'r', Long: "responding", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Responding)},
		{Short: 'R', Long: "list-reasons", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Reasons)},
		{Short: 's', Long: "summarize", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Summarize)},
		{Short: 'S', Long: "sort", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 't', Long: "states", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.States)},
		{Short: 'T', Long: "reservation", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Resv)},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Usage)},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Version)},
	}}
	operands, err := fs.Parse(args)
	if err != nil {
		return slurm.ReportUsage(s, "sinfo", err)
	}
	if info.Answer(s, sinfoUsage, sinfoUsage) {
		return slurm.ExitOK
	}
	if iterate != "" {
		n, _, ok := slurm.Strtol(iterate)
		if !ok || n <= 0 {
			fmt.Fprintf(s.Err, "sinfo: error: --iterate=%s: invalid entry\n", iterate)
			return slurm.ExitRejected
		}
		o.Iterate = int(n)
	}
	for _, st := range o.States {
		if _, ok := nodeStateNames[strings.ToLower(st)]; !ok {
			fmt.Fprintf(s.Err, "sinfo: error: Invalid node state specified: %s\n", st)
			return slurm.ExitRejected
		}
	}
	if len(operands) > 0 {
		fmt.Fprintf(s.Err, "sinfo: error: Unrecognized option: %s\n", operands[0])
		fmt.Fprint(s.Out, sinfoUsage)
		return slurm.ExitRejected
	}
	client, ok := slurm.Open(s, d, "sinfo", "slurm_load_partitions error")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = client
	return runSinfo(o, s)
}

// runSinfo prints the partitions, once or every Iterate seconds.
func runSinfo(o sinfoOptions, s slurm.Streams) int {
	return slurm.Iterate(slurm.Context(), s, o.Iterate, o.sleep, func(ctx context.Context, first bool) int {
		if !first {
			o.Now = o.now()
		}
		return sinfoOnce(ctx, o, s)
	})
}

// sinfoOnce prints the partitions and their nodes.
func sinfoOnce(ctx context.Context, o sinfoOptions, s slurm.Streams) int {
	parts, err := o.Client.Partitions(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_load_partitions: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	list, err := o.Client.Nodes(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "slurm_load_node: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	if len(o.Partitions) > 0 {
		parts = slices.DeleteFunc(slices.Clone(parts), func(p api.Partition) bool { return !slices.Contains(o.Partitions, p.Name) })
	}
	nodes := selectNodes(list.Nodes, o)
	if o.JSON {
		return slurm.WriteJSONOut(s, sinfoJSON(parts, nodes, o.Location()))
	}
	out, errs := formatSinfo(parts, nodes, o)
	for _, e := range errs {
		fmt.Fprintf(s.Err, "sinfo: error: Invalid node format specification: %s\n", e)
	}
	fmt.Fprint(s.Out, out)
	return slurm.ExitOK
}

// selectNodes keeps the nodes -n, -t, -r and -d ask for.
func selectNodes(all []api.Node, o sinfoOptions) []*api.Node {
	var out []*api.Node
	for i := range all {
		n := &all[i]
		if len(o.Nodes) > 0 && !slices.Contains(o.Nodes, n.Name) ||
			o.Responding && n.HasFlag(api.FlagNotResponding) ||
			o.Dead && !n.HasFlag(api.FlagNotResponding) {
			continue
		}
		if len(o.States) > 0 && !slices.ContainsFunc(o.States, func(st string) bool { return nodeStateNames[strings.ToLower(st)](n) }) {
			continue
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b *api.Node) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// formatSinfo renders partitions and nodes as sinfo does.
func formatSinfo(parts []api.Partition, nodes []*api.Node, o sinfoOptions) (string, []string) {
	format := o.Format
	switch {
	case format != "":
	case o.Reasons && !o.NodeCentric:
		format = sinfoReasonFormat
	case o.Resv:
		format = sinfoResvFormat
	case o.NodeCentric && o.Long:
		format = sinfoNodeLongFormat
	case o.NodeCentric:
		format = sinfoNodeFormat
	case o.Summarize:
		format = sinfoSummaryFormat
	case o.Long:
		format = sinfoLongFormat
	default:
		format = sinfoDefaultFormat
	}
	rows := sinfoRows(parts, nodes, o, format)
	// "%#P" and "%#N" are as wide as the widest partition name (with
	// its "*") and node list, and at least 9 (sinfo's MIN_*_FIELD_SIZE).
	pw, nw := 9, 9
	for _, r := range rows {
		pw = max(pw, len(sinfoValue(r, 'P', o.Location())))
		nw = max(nw, len(sinfoValue(r, 'N', o.Location())))
	}
	format = strings.ReplaceAll(format, "%.#P", fmt.Sprintf("%%.%dP", pw))
	format = strings.ReplaceAll(format, "%#P", fmt.Sprintf("%%%dP", pw))
	format = strings.ReplaceAll(format, "%#N", fmt.Sprintf("%%%dN", nw))
	fields, errs := slurm.ParseLetterFormat(format, o.validLetter)
	var b strings.Builder
	if (o.Long && o.Format == "" || o.Iterate > 0) && !o.NoHeader {
		b.WriteString(slurm.CtimeString(o.Now.In(o.Location())) + "\n")
	}
	line := func(val func(byte) string) {
		for _, f := range fields {
			if f.Literal != "" {
				b.WriteString(f.Literal)
				continue
			}
			b.WriteString(slurm.Str(val(f.Letter)).Render(f.Width, f.Right))
			b.WriteString(f.Suffix)
		}
		b.WriteString("\n")
	}
	if !o.NoHeader {
		line(func(c byte) string { return sinfoHeaders[c] })
	}
	for _, r := range rows {
		line(func(c byte) string { return sinfoValue(r, c, o.Location()) })
	}
	return b.String(), errs
}

// sinfoRows are the lines of the report. Node-centric (-N): one per node
// and partition, by node name. Reasons (-R): one per reason, over the
// down and drained nodes. Otherwise one per partition and group of its
// nodes alike in the fields format prints (a partition with no node
// selected has one line, with no nodes); -T has none (no reservations).
func sinfoRows(parts []api.Partition, nodes []*api.Node, o sinfoOptions, format string) []sinfoRow {
	var rows []sinfoRow
	switch {
	case o.Resv:
		return nil
	case o.NodeCentric:
		for _, n := range nodes {
			in := 0
			for _, p := range parts {
				if slices.Contains(n.Partitions, p.Name) {
					rows = append(rows, sinfoRow{part: p, hasPart: true, nodes: []*api.Node{n}})
					in++
				}
			}
			if in == 0 && len(o.Partitions) == 0 && (!o.Reasons || n.Reason != "") {
				rows = append(rows, sinfoRow{nodes: []*api.Node{n}})
			}
		}
		if o.Reasons {
			rows = slices.DeleteFunc(rows, func(r sinfoRow) bool { return r.nodes[0].Reason == "" })
		}
		return rows
	case o.Reasons:
		keys := map[string]int{}
		for _, n := range nodes {
			if n.Reason == "" || len(o.Partitions) > 0 && !slices.ContainsFunc(parts, func(p api.Partition) bool { return slices.Contains(n.Partitions, p.Name) }) {
				continue
			}
			k := n.Reason + "\x00" + n.ReasonUser + "\x00" + n.ReasonTime.String()
			if i, ok := keys[k]; ok {
				rows[i].nodes = append(rows[i].nodes, n)
				continue
			}
			keys[k] = len(rows)
			rows = append(rows, sinfoRow{nodes: []*api.Node{n}})
		}
		return rows
	}
	fields, _ := slurm.ParseLetterFormat(format, o.validLetter)
	for _, p := range parts {
		keys := map[string]int{}
		start := len(rows)
		for _, n := range nodes {
			if !slices.Contains(n.Partitions, p.Name) {
				continue
			}
			one := sinfoRow{part: p, hasPart: true, nodes: []*api.Node{n}}
			var k strings.Builder
			for _, f := range fields {
				if f.Letter != 0 && !strings.ContainsRune(sinfoAggregate, rune(f.Letter)) {
					k.WriteString(sinfoValue(one, f.Letter, time.UTC) + "\x00")
				}
			}
			if i, ok := keys[k.String()]; ok {
				rows[i].nodes = append(rows[i].nodes, n)
				continue
			}
			keys[k.String()] = len(rows)
			rows = append(rows, one)
		}
		if len(rows) == start {
			rows = append(rows, sinfoRow{part: p, hasPart: true})
		}
		// sinfo's default sort, "#P,-t": the partition's lines by state,
		// highest first (see stateRank).
		slices.SortStableFunc(rows[start:], func(a, b sinfoRow) int { return stateRank(b.nodes) - stateRank(a.nodes) })
	}
	return rows
}

// sinfoLongNames maps sinfo -O names to letters.
var sinfoLongNames = map[string]byte{
	"available": 'a', "nodeai": 'A', "cpus": 'c', "cpusstate": 'C', "disk": 'd', "nodes": 'D',
	"freemem": 'e', "reason": 'E', "features": 'f', "nodeaiot": 'F', "groups": 'g', "gres": 'G', "gresused": letterGresUsed,
	"oversubscribe": 'h', "timestamp": 'H', "time": 'l', "timelimit": 'l', "defaulttime": 'L',
	"memory": 'm', "preemptmode": 'M', "nodehost": 'n', "nodelist": 'N', "nodeaddr": 'o',
	"cpusload": 'O', "priotier": 'p', "partition": 'P', "partitionname": 'R', "root": 'r',
	"size": 's', "statecompact": 't', "statelong": 'T', "user": 'u', "version": 'v', "cluster": 'V',
	"weight": 'w', "sockets": 'X', "cores": 'Y', "threads": 'Z', "extra": 'z',
	"donor": letterDonor,
}

// longToLetters turns an -O list into an -o format (each field 20 wide
// unless given a width, values cut to it, nothing between fields, as
// sinfo prints them), unknown names kept so that they are reported.
func longToLetters(v string) string {
	var b strings.Builder
	for _, item := range strings.Split(v, ",") {
		name, spec, hasSpec := strings.Cut(item, ":")
		c, ok := sinfoLongNames[strings.ToLower(name)]
		if !ok {
			b.WriteString("%" + name)
			continue
		}
		w := "20" // sinfo -O: 20 wide, no separator (Slurm 22.05)
		if hasSpec {
			w = spec
		}
		b.WriteString("%" + w + string(c))
	}
	return b.String()
}

// sinfoJSONDoc is sinfo --json: the nodes and the partitions, in the
// shape of Slurm's openapi v0.0.38 (the fields hpcbridge knows).
type sinfoJSONDoc struct {
	Meta       slurm.Meta           `json:"meta"`
	Errors     []any                `json:"errors"`
	Nodes      []sinfoJSONNode      `json:"nodes"`
	Partitions []sinfoJSONPartition `json:"partitions"`
}

type sinfoJSONNode struct {
	Architecture    string   `json:"architecture"`
	OperatingSystem string   `json:"operating_system"`
	Name            string   `json:"name"`
	Hostname        string   `json:"hostname"`
	Address         string   `json:"address"`
	State           string   `json:"state"`
	StateFlags      []string `json:"state_flags"`
	Cpus            int      `json:"cpus"`
	AllocCpus       int      `json:"alloc_cpus"`
	IdleCpus        int      `json:"idle_cpus"`
	Cores           int      `json:"cores"`
	Sockets         int      `json:"sockets"`
	Threads         int      `json:"threads"`
	RealMemory      int64    `json:"real_memory"`
	AllocMemory     int64    `json:"alloc_memory"`
	Features        string   `json:"features"`
	ActiveFeatures  string   `json:"active_features"`
	Gres            string   `json:"gres"`
	GresUsed        string   `json:"gres_used"`
	Partitions      []string `json:"partitions"`
	Reason          string   `json:"reason"`
	ReasonChangedAt int64    `json:"reason_changed_at"`
	ReasonSetBy     string   `json:"reason_set_by_user"`
	SlurmdVersion   string   `json:"slurmd_version"`
	RunAs           string   `json:"run_as,omitempty"`
	Donor           string   `json:"donor,omitempty"`
}

type sinfoJSONPartition struct {
	Name        string   `json:"name"`
	Flags       []string `json:"flags"`
	State       string   `json:"state"`
	Nodes       string   `json:"nodes"`
	TotalCPUs   int      `json:"total_cpus"`
	TotalNodes  int      `json:"total_nodes"`
	MaxTime     string   `json:"max_time"`
	PendingJobs int      `json:"pending_jobs"`
	RunningJobs int      `json:"running_jobs"`
}

// sinfoJSON builds the --json document.
func sinfoJSON(parts []api.Partition, nodes []*api.Node, loc *time.Location) sinfoJSONDoc {
	doc := sinfoJSONDoc{Meta: slurm.NewMeta("openapi/v0.0.38", "Slurm OpenAPI v0.0.38"), Errors: []any{}, Nodes: []sinfoJSONNode{}, Partitions: []sinfoJSONPartition{}}
	for _, n := range nodes {
		jn := sinfoJSONNode{Architecture: n.Arch, OperatingSystem: n.OS, Name: n.Name, Hostname: n.Name, Address: n.Addr,
			State: strings.ToLower(n.State), StateFlags: []string{}, Cpus: n.CPUs, AllocCpus: n.AllocCPUs,
			IdleCpus: n.CPUs - n.AllocCPUs, Cores: 1, Sockets: n.CPUs, Threads: 1, RealMemory: n.MemMiB, AllocMemory: n.AllocMemMiB,
			Features: strings.Join(n.Features, ","), ActiveFeatures: strings.Join(n.Features, ","), Gres: strings.Join(n.Gres, ","),
			GresUsed: strings.Join(n.GresUsed, ","), Partitions: append([]string{}, n.Partitions...), Reason: n.Reason,
			ReasonSetBy: n.ReasonUser, SlurmdVersion: n.Version, RunAs: n.RunAs, Donor: n.Donor}
		jn.StateFlags = append(jn.StateFlags, n.Flags...)
		if !n.ReasonTime.IsZero() {
			jn.ReasonChangedAt = n.ReasonTime.Unix()
		}
		doc.Nodes = append(doc.Nodes, jn)
	}
	for _, p := range parts {
		row := sinfoRow{part: p, hasPart: true}
		for _, n := range nodes {
			if slices.Contains(n.Partitions, p.Name) {
				row.nodes = append(row.nodes, n)
			}
		}
		_, _, _, cpus := cpuCounts(row.nodes)
		jp := sinfoJSONPartition{Name: p.Name, Flags: []string{}, State: strings.ToUpper(sinfoValue(row, 'a', loc)),
			Nodes: sinfoValue(row, 'N', loc), TotalCPUs: cpus, TotalNodes: len(row.nodes),
			MaxTime: "UNLIMITED", PendingJobs: p.PendingJobs, RunningJobs: p.RunningJobs}
		if p.Default {
			jp.Flags = append(jp.Flags, "default")
		}
		doc.Partitions = append(doc.Partitions, jp)
	}
	return doc
}
