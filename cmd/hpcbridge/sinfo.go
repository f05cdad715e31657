package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// sinfo's formats (sinfo(1)); "%#P" is as wide as the longest partition
// name (at least "PARTITION").
const (
	sinfoDefaultFormat = "%#P %.5a %.10l %.6D %.6t %N"
	sinfoSummaryFormat = "%#P %.5a %.10l %.16F %N"
	sinfoLongFormat    = "%#P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N"
	sinfoNodeFormat    = "%#N %.6D %#P %6t"
	sinfoReasonFormat  = "%20E %9u %19H %N"
	sinfoResvFormat    = "%14R %8t %19S %19e %11L %N"
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

hpcbridge partitions have no nodes of their own: Nomad places the jobs on
the donated machines, so node counts are 0 and node states n/a.
`

// sinfoOptions are the inputs of one sinfo run.
type sinfoOptions struct {
	Client      partitionLister
	Partitions  []string
	States      []string
	Format      string
	NoHeader    bool
	Long        bool
	Summarize   bool
	NodeCentric bool
	Reasons     bool
	Resv        bool
	JSON        bool
	// Iterate repeats the report every Iterate seconds (sinfo -i).
	Iterate int
	Now     time.Time
	Loc     *time.Location
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
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
}

// sinfoValue is one field of a partition's line.
func sinfoValue(p api.Partition, c byte) string {
	switch c {
	case 'a':
		if p.State == "" {
			return "up"
		}
		return strings.ToLower(p.State)
	case 'A':
		return "0/0"
	case 'C':
		return "0/0/0/0"
	case 'F':
		return "0/0/0/0"
	case 'c', 'd', 'D', 'm', 'w', 'X', 'Y', 'Z', 'B':
		return "0"
	case 'e', 'O':
		return "N/A"
	case 'E':
		return "none"
	case 'f', 'b', 'G':
		return nullString
	case 'g', 'S':
		return "all"
	case 'h':
		return "NO"
	case 'H':
		return "Unknown"
	case 'I', 'p':
		return "1"
	case 'l':
		return "infinite"
	case 'L':
		return "n/a"
	case 'M':
		return "OFF"
	case 'P':
		if p.Default {
			return p.Name + "*"
		}
		return p.Name
	case 'R':
		return p.Name
	case 'r':
		return "no"
	case 's':
		return "1-infinite"
	case 't', 'T':
		return "n/a"
	case 'u', 'U':
		return "Unknown"
	case 'v':
		return slurmVersion
	case 'V':
		return clusterName
	case 'z':
		return "0:0:0"
	}
	return ""
}

// sinfoMain parses sinfo's command line and runs it.
func sinfoMain(args []string, s streams, d slurmDeps) int {
	o := sinfoOptions{Now: d.now(), Loc: d.loc, now: d.now, sleep: d.sleep}
	var iterate string
	var help, usage, version bool
	if v, ok := lookupEnv(s.env, "SINFO_FORMAT"); ok {
		o.Format = v
	}
	if v, ok := lookupEnv(s.env, "SINFO_PARTITION"); ok && v != "" {
		o.Partitions = splitList(v)
	}
	fs := &flagSet{prog: "sinfo", defs: []flagDef{
		{'a', "all", noArg, ignoreFlag},
		{'d', "dead", noArg, func(string, bool) error { o.States = append(o.States, "dead"); return nil }},
		{'e', "exact", noArg, ignoreFlag},
		{0, "help", noArg, setBool(&help)},
		{0, "hide", noArg, ignoreFlag},
		{'h', "noheader", noArg, setBool(&o.NoHeader)},
		{'i', "iterate", requiredArg, setString(&iterate)},
		{0, "json", noArg, setBool(&o.JSON)},
		{'l', "long", noArg, setBool(&o.Long)},
		{0, "local", noArg, ignoreFlag},
		{'M', "clusters", requiredArg, ignoreFlag},
		{'n', "nodes", requiredArg, func(string, bool) error { o.States = append(o.States, "nodes"); return nil }},
		{'N', "Node", noArg, setBool(&o.NodeCentric)},
		{0, "noconvert", noArg, ignoreFlag},
		{'o', "format", requiredArg, setString(&o.Format)},
		{'O', "Format", requiredArg, func(v string, _ bool) error { o.Format = longToLetters(v); return nil }},
		{'p', "partition", requiredArg, appendList(&o.Partitions)},
		{'r', "responding", noArg, ignoreFlag},
		{'R', "list-reasons", noArg, setBool(&o.Reasons)},
		{'s', "summarize", noArg, setBool(&o.Summarize)},
		{'S', "sort", requiredArg, ignoreFlag},
		{'t', "states", requiredArg, appendList(&o.States)},
		{'T', "reservation", noArg, setBool(&o.Resv)},
		{0, "usage", noArg, setBool(&usage)},
		{'v', "verbose", noArg, ignoreFlag},
		{'V', "version", noArg, setBool(&version)},
	}}
	operands, err := fs.parse(args)
	if err != nil {
		return reportUsage(s, "sinfo", err)
	}
	switch {
	case help, usage:
		fmt.Fprint(s.out, sinfoUsage)
		return exitOK
	case version:
		fmt.Fprintf(s.out, "slurm %s\n", slurmVersion)
		return exitOK
	}
	if iterate != "" {
		n, _, ok := strtol(iterate)
		if !ok || n <= 0 {
			fmt.Fprintf(s.err, "sinfo: error: --iterate=%s: invalid entry\n", iterate)
			return exitRejected
		}
		o.Iterate = int(n)
	}
	if len(operands) > 0 {
		fmt.Fprintf(s.err, "sinfo: error: Unrecognized option: %s\n", operands[0])
		fmt.Fprint(s.out, sinfoUsage)
		return exitRejected
	}
	client, err := d.connect(s.env)
	if err != nil {
		fmt.Fprintln(s.err, connectError("sinfo", "slurm_load_partitions error", err))
		return exitRejected
	}
	o.Client = client
	return runSinfo(o, s)
}

// runSinfo prints the partitions, once or every Iterate seconds.
func runSinfo(o sinfoOptions, s streams) int {
	ctx := cliContext()
	for {
		code := sinfoOnce(ctx, o, s)
		if o.Iterate <= 0 || code != exitOK {
			return code
		}
		fmt.Fprintln(s.out)
		if err := o.sleep(ctx, time.Duration(o.Iterate)*time.Second); err != nil {
			return exitOK
		}
		o.Now = o.now()
	}
}

// sinfoOnce prints the partitions.
func sinfoOnce(ctx context.Context, o sinfoOptions, s streams) int {
	parts, err := o.Client.Partitions(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "slurm_load_partitions: %s\n", apiMessage(err))
		return exitRejected
	}
	if len(o.Partitions) > 0 {
		parts = slices.DeleteFunc(parts, func(p api.Partition) bool { return !slices.Contains(o.Partitions, p.Name) })
	}
	if o.JSON {
		return writeJSONOut(s, sinfoJSON(parts))
	}
	out, errs := formatSinfo(parts, o)
	for _, e := range errs {
		fmt.Fprintf(s.err, "sinfo: error: Invalid node format specification: %s\n", e)
	}
	fmt.Fprint(s.out, out)
	return exitOK
}

// formatSinfo renders partitions as sinfo does. Node-oriented views (-N,
// -R, -T, state filters) have no lines: hpcbridge partitions own no nodes.
func formatSinfo(parts []api.Partition, o sinfoOptions) (string, []string) {
	format := o.Format
	noRows := o.NodeCentric || o.Reasons || o.Resv || len(o.States) > 0
	switch {
	case format != "":
	case o.Reasons:
		format = sinfoReasonFormat
	case o.Resv:
		format = sinfoResvFormat
	case o.NodeCentric:
		format = sinfoNodeFormat
	case o.Summarize:
		format = sinfoSummaryFormat
	case o.Long:
		format = sinfoLongFormat
	default:
		format = sinfoDefaultFormat
	}
	width := len("PARTITION")
	for _, p := range parts {
		width = max(width, len(sinfoValue(p, 'P')))
	}
	format = strings.ReplaceAll(format, "%#P", fmt.Sprintf("%%%dP", width))
	format = strings.ReplaceAll(format, "%#N", "%9N")
	fields, errs := parseLetterFormat(format, func(c byte) bool { _, ok := sinfoHeaders[c]; return ok })
	var b strings.Builder
	if (o.Long && o.Format == "" || o.Iterate > 0) && !o.NoHeader {
		b.WriteString(ctimeString(o.Now.In(o.loc())) + "\n")
	}
	line := func(val func(byte) string) {
		for _, f := range fields {
			if f.literal != "" {
				b.WriteString(f.literal)
				continue
			}
			b.WriteString(str(val(f.letter)).render(f.width, f.right))
			b.WriteString(f.suffix)
		}
		b.WriteString("\n")
	}
	if !o.NoHeader {
		line(func(c byte) string { return sinfoHeaders[c] })
	}
	if !noRows {
		for _, p := range parts {
			line(func(c byte) string { return sinfoValue(p, c) })
		}
	}
	return b.String(), errs
}

// loc is the time zone the date line is printed in (UTC when unset).
func (o sinfoOptions) loc() *time.Location {
	if o.Loc == nil {
		return time.UTC
	}
	return o.Loc
}

// sinfoLongNames maps sinfo -O names to letters.
var sinfoLongNames = map[string]byte{
	"available": 'a', "nodeai": 'A', "cpus": 'c', "cpusstate": 'C', "disk": 'd', "nodes": 'D',
	"freemem": 'e', "reason": 'E', "features": 'f', "nodeaiot": 'F', "groups": 'g', "gres": 'G',
	"oversubscribe": 'h', "timestamp": 'H', "time": 'l', "timelimit": 'l', "defaulttime": 'L',
	"memory": 'm', "preemptmode": 'M', "nodehost": 'n', "nodelist": 'N', "nodeaddr": 'o',
	"cpusload": 'O', "priotier": 'p', "partition": 'P', "partitionname": 'R', "root": 'r',
	"size": 's', "statecompact": 't', "statelong": 'T', "user": 'u', "version": 'v', "cluster": 'V',
	"weight": 'w', "sockets": 'X', "cores": 'Y', "threads": 'Z', "extra": 'z',
}

// longToLetters turns an -O list into an -o format (each field 20 wide
// unless given a width), unknown names kept so that they are reported.
func longToLetters(v string) string {
	var b strings.Builder
	for _, item := range strings.Split(v, ",") {
		name, spec, hasSpec := strings.Cut(item, ":")
		c, ok := sinfoLongNames[strings.ToLower(name)]
		if !ok {
			b.WriteString("%" + name)
			continue
		}
		w := "20"
		suffix := " "
		if hasSpec {
			w, suffix = spec, ""
		}
		b.WriteString("%" + w + string(c) + suffix)
	}
	return b.String()
}

// sinfoJSONDoc is sinfo --json: the partitions, and no nodes.
type sinfoJSONDoc struct {
	Meta       slurmMeta            `json:"meta"`
	Errors     []any                `json:"errors"`
	Nodes      []any                `json:"nodes"`
	Partitions []sinfoJSONPartition `json:"partitions"`
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
func sinfoJSON(parts []api.Partition) sinfoJSONDoc {
	doc := sinfoJSONDoc{Meta: newSlurmMeta("openapi/v0.0.38", "Slurm OpenAPI v0.0.38"), Errors: []any{}, Nodes: []any{}, Partitions: []sinfoJSONPartition{}}
	for _, p := range parts {
		jp := sinfoJSONPartition{Name: p.Name, Flags: []string{}, State: strings.ToUpper(sinfoValue(p, 'a')),
			MaxTime: "UNLIMITED", PendingJobs: p.PendingJobs, RunningJobs: p.RunningJobs}
		if p.Default {
			jp.Flags = append(jp.Flags, "default")
		}
		doc.Partitions = append(doc.Partitions, jp)
	}
	return doc
}
