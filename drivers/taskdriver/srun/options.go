package srun

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/getopt"
)

// options are the srun options hpcbridge understands.
type options struct {
	ntasks      int // 0: from SLURM_NTASKS, else 1
	cpusPerTask int // 0: from SLURM_CPUS_PER_TASK, else 1
	label       bool
	unbuffered  bool   // -u: output as it comes, not in whole lines
	export      string // "" = ALL
	chdir       string
	jobName     string
	overcommit  bool
	killOnBad   bool
	output      string // -o: "" (all), none, a task id or a file name pattern
	errorPat    string // -e: as output; "" follows output
	input       string // -i: "" (all), none, a task id or a file name pattern
	openMode    string // --open-mode: append or truncate; "" from SLURM_OPEN_MODE
	gpus        string // --gpus/-G, --gpus-per-node: N or type:N
	gpusPerTask string // --gpus-per-task: N or type:N
	gres        string // --gres: gpu[:type][:N], ..., or none
	// Multi-node layout: -N MIN[-MAX] (0: not given), --ntasks-per-node,
	// -w/--nodelist (a hostlist), -r/--relative (-1: not given),
	// --multi-prog.
	nodesMin, nodesMax int
	ntasksPerNode      int
	nodelist           string
	relative           int
	multiProg          bool
	command            []string
	help               bool
	version            bool
}

// errUsage marks errors in the command line (srun exits 255 for them, as
// Slurm's srun does).
var errUsage = errors.New("usage")

// usageError is a command-line error with srun's message for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// optKind is how an option takes its value.
type optKind int

const (
	flag     optKind = iota // no value
	required                // a value, attached or next argument
	optional                // a value only when attached (--opt=v)
)

// optSpec describes one option; set applies its value.
type optSpec struct {
	long  string
	short byte
	kind  optKind
	set   func(o *options, v string) error
}

// specs are the options srun accepts. Options that only tune how Slurm
// places or binds tasks are accepted and ignored: one node, no binding.
var specs = []optSpec{
	{"ntasks", 'n', required, func(o *options, v string) error { return positive(&o.ntasks, "--ntasks", v) }},
	{"cpus-per-task", 'c', required, func(o *options, v string) error { return positive(&o.cpusPerTask, "--cpus-per-task", v) }},
	{"nodes", 'N', required, setNodes},
	{"ntasks-per-node", 0, required, func(o *options, v string) error {
		return positive(&o.ntasksPerNode, "--ntasks-per-node", v)
	}},
	{"nodelist", 'w', required, func(o *options, v string) error { o.nodelist = v; return nil }},
	{"relative", 'r', required, setRelative},
	{"multi-prog", 0, flag, func(o *options, _ string) error { o.multiProg = true; return nil }},
	{"label", 'l', flag, func(o *options, _ string) error { o.label = true; return nil }},
	{"export", 0, required, func(o *options, v string) error { o.export = v; return nil }},
	{"chdir", 'D', required, func(o *options, v string) error { o.chdir = v; return nil }},
	{"job-name", 'J', required, func(o *options, v string) error { o.jobName = v; return nil }},
	{"overcommit", 'O', flag, func(o *options, _ string) error { o.overcommit = true; return nil }},
	{"kill-on-bad-exit", 'K', optional, func(o *options, v string) error { o.killOnBad = v != "0"; return nil }},
	{"output", 'o', required, func(o *options, v string) error { o.output = v; return nil }},
	{"error", 'e', required, func(o *options, v string) error { o.errorPat = v; return nil }},
	{"input", 'i', required, func(o *options, v string) error { o.input = v; return nil }},
	{"open-mode", 0, required, setOpenMode},
	{"gpus", 'G', required, func(o *options, v string) error { o.gpus = v; return nil }},
	{"gpus-per-node", 0, required, func(o *options, v string) error { o.gpus = v; return nil }},
	{"gpus-per-task", 0, required, func(o *options, v string) error { o.gpusPerTask = v; return nil }},
	{"gres", 0, required, func(o *options, v string) error { o.gres = v; return nil }},
	{"cpus-per-gpu", 0, required, ignore},
	{"mem-per-gpu", 0, required, ignore},
	{"gpu-bind", 0, required, ignore},
	{"cpu-bind", 0, required, ignore},
	{"cpu_bind", 0, required, ignore},
	{"mpi", 0, required, ignore},
	{"distribution", 'm', required, ignore},
	{"unbuffered", 'u', flag, func(o *options, _ string) error { o.unbuffered = true; return nil }},
	{"quiet", 'Q', flag, ignore},
	{"verbose", 'v', flag, ignore},
	{"exact", 0, flag, ignore},
	{"overlap", 0, flag, ignore},
	{"exclusive", 0, optional, ignore},
	{"wait", 'W', required, ignore},
	{"help", 'h', flag, func(o *options, _ string) error { o.help = true; return nil }},
	{"usage", 0, flag, func(o *options, _ string) error { o.help = true; return nil }},
	{"version", 'V', flag, func(o *options, _ string) error { o.version = true; return nil }},
}

func ignore(*options, string) error { return nil }

func setOpenMode(o *options, v string) error {
	switch strings.ToLower(v) {
	case "a", "append":
		o.openMode = "append"
	case "t", "truncate":
		o.openMode = "truncate"
	default:
		return usagef("Invalid --open-mode argument: %s. Ignored", v)
	}
	return nil
}

func positive(dst *int, name, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return usagef("invalid %s value %q: want a positive whole number", name, v)
	}
	*dst = n
	return nil
}

// setNodes reads -N, written N or MIN-MAX. Whether the job has that many
// nodes is checked when the step is laid out.
func setNodes(o *options, v string) error {
	min, max, ok := strings.Cut(v, "-")
	if !ok {
		max = min
	}
	lo, err1 := strconv.Atoi(min)
	hi, err2 := strconv.Atoi(max)
	if err1 != nil || err2 != nil || lo < 1 || hi < lo {
		return usagef("invalid --nodes value %q", v)
	}
	o.nodesMin, o.nodesMax = lo, hi
	return nil
}

// setRelative reads -r: the step's first node's index in the job.
func setRelative(o *options, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return usagef("invalid --relative value %q", v)
	}
	o.relative = n
	return nil
}

// checkOneNode refuses what a one-node job's step cannot do.
func (o *options) checkOneNode() error {
	switch {
	case o.nodesMin > 1:
		return fmt.Errorf("--nodes=%d: this job has one node, so a step can use one node only", o.nodesMin)
	case o.relative > 0:
		return fmt.Errorf("--relative=%d: this job has one node", o.relative)
	case o.multiProg:
		return errors.New("--multi-prog is supported in multi-node jobs only")
	}
	return nil
}

// parseArgs reads srun's command line: options up to the first argument
// that is not one (or "--"), then the command and its arguments. Names are
// exact (no abbreviations), as this srun has always read them.
func parseArgs(args []string) (*options, error) {
	o := &options{relative: -1}
	cfg := getopt.Config{Exact: true, InOrder: true, Options: make([]getopt.Option, len(specs))}
	for i, sp := range specs {
		kind := getopt.NoArg
		switch sp.kind {
		case required:
			kind = getopt.Required
		case optional:
			kind = getopt.Optional
		}
		cfg.Options[i] = getopt.Option{Short: sp.short, Long: sp.long, Kind: kind}
	}
	res, err := cfg.Parse(args, func(g getopt.Opt) error { return specs[g.Index].set(o, g.Value) }, nil)
	var ge *getopt.Error
	switch {
	case errors.As(err, &ge) && ge.Kind == getopt.Unrecognized && !ge.Short:
		return nil, usagef("unrecognized option '%s'", ge.Text)
	case errors.As(err, &ge):
		return nil, usagef("%s", ge.Error())
	case err != nil:
		return nil, err
	}
	if res.DashDash || res.Rest < len(args) {
		o.command = args[res.Rest:]
	}
	return o, nil
}

// supported lists the options for the help text.
func supported() string {
	var b strings.Builder
	for _, s := range specs {
		if s.short != 0 {
			fmt.Fprintf(&b, "  -%c, --%s", s.short, s.long)
		} else {
			fmt.Fprintf(&b, "      --%s", s.long)
		}
		if s.kind == required {
			b.WriteString("=VALUE")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
