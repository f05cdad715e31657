package jobspec

import (
	"fmt"
	"strconv"
	"strings"
)

// option is one sbatch option: its names, how it takes an argument, the
// SBATCH_* variable that can set it, and how its value lands in the Spec.
type option struct {
	long  string
	short byte
	arg   argKind
	env   string
	// apply records the value (o.value; o.hasVal is false for a bare flag).
	// A returned error is reported at the value's position.
	apply func(p *parser, o occurrence) error
}

// options is sbatch 22.05's complete option set. Options hpcbridge does not
// model are still validated for shape and kept in Spec.Other, so that every
// script real Slurm accepts is accepted here too.
var options = []*option{
	// Identity and placement.
	{long: "job-name", short: 'J', arg: requiredArg, env: "SBATCH_JOB_NAME", apply: setString(func(s *Spec) **string { return &s.JobName })},
	{long: "partition", short: 'p', arg: requiredArg, env: "SBATCH_PARTITION", apply: setString(func(s *Spec) **string { return &s.Partition })},
	{long: "account", short: 'A', arg: requiredArg, env: "SBATCH_ACCOUNT", apply: setString(func(s *Spec) **string { return &s.Account })},
	{long: "qos", short: 'q', arg: requiredArg, env: "SBATCH_QOS", apply: setString(func(s *Spec) **string { return &s.QOS })},
	{long: "constraint", short: 'C', arg: requiredArg, env: "SBATCH_CONSTRAINT", apply: setString(func(s *Spec) **string { return &s.Constraint })},
	{long: "nodelist", short: 'w', arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.Nodelist })},
	{long: "exclude", short: 'x', arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.Exclude })},
	{long: "comment", arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.Comment })},
	{long: "mail-user", arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.MailUser })},
	{long: "export", arg: requiredArg, env: "SBATCH_EXPORT", apply: setString(func(s *Spec) **string { return &s.Export })},
	{long: "wrap", arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.Wrap })},
	{long: "output", short: 'o', arg: requiredArg, env: "SBATCH_OUTPUT", apply: setString(func(s *Spec) **string { return &s.Output })},
	{long: "error", short: 'e', arg: requiredArg, env: "SBATCH_ERROR", apply: setString(func(s *Spec) **string { return &s.Error })},
	{long: "input", short: 'i', arg: requiredArg, env: "SBATCH_INPUT", apply: setString(func(s *Spec) **string { return &s.Input })},
	{long: "chdir", short: 'D', arg: requiredArg, apply: setString(func(s *Spec) **string { return &s.Chdir })},

	// Sizes.
	{long: "nodes", short: 'N', arg: requiredArg, apply: applyNodes},
	{long: "ntasks", short: 'n', arg: requiredArg, apply: setCount("ntasks", 1, func(s *Spec) **int { return &s.Ntasks })},
	{long: "ntasks-per-node", arg: requiredArg, apply: setCount("ntasks-per-node", 0, func(s *Spec) **int { return &s.NtasksPerNode })},
	{long: "tasks-per-node", arg: requiredArg, apply: setCount("ntasks-per-node", 0, func(s *Spec) **int { return &s.NtasksPerNode })},
	{long: "cpus-per-task", short: 'c', arg: requiredArg, apply: setCount("cpus-per-task", 1, func(s *Spec) **int { return &s.CPUsPerTask })},
	{long: "cpus-per-gpu", arg: requiredArg, env: "SBATCH_CPUS_PER_GPU", apply: setCount("cpus-per-gpu", 1, func(s *Spec) **int { return &s.CPUsPerGPU })},
	{long: "mem", arg: requiredArg, env: "SBATCH_MEM_PER_NODE", apply: setMem(memNode)},
	{long: "mem-per-cpu", arg: requiredArg, env: "SBATCH_MEM_PER_CPU", apply: setMem(memCPU)},
	{long: "mem-per-gpu", arg: requiredArg, env: "SBATCH_MEM_PER_GPU", apply: setMem(memGPU)},
	{long: "gpus", short: 'G', arg: requiredArg, env: "SBATCH_GPUS", apply: setGPUs(gpusJob)},
	{long: "gpus-per-node", arg: requiredArg, env: "SBATCH_GPUS_PER_NODE", apply: setGPUs(gpusNode)},
	{long: "gpus-per-task", arg: requiredArg, env: "SBATCH_GPUS_PER_TASK", apply: setGPUs(gpusTask)},
	{long: "gres", arg: requiredArg, env: "SBATCH_GRES", apply: applyGres},

	// Time.
	{long: "time", short: 't', arg: requiredArg, env: "SBATCH_TIMELIMIT", apply: setTime(func(s *Spec) **TimeLimit { return &s.TimeLimit })},
	{long: "time-min", arg: requiredArg, apply: setTime(func(s *Spec) **TimeLimit { return &s.TimeMin })},
	{long: "begin", short: 'b', arg: requiredArg, apply: applyBegin},
	{long: "signal", arg: requiredArg, env: "SBATCH_SIGNAL", apply: applySignal},

	// Scheduling.
	{long: "array", short: 'a', arg: requiredArg, env: "SBATCH_ARRAY_INX", apply: applyArray},
	{long: "dependency", short: 'd', arg: requiredArg, apply: applyDependency},
	{long: "requeue", arg: noArg, env: "SBATCH_REQUEUE", apply: setRequeue(true)},
	{long: "no-requeue", arg: noArg, env: "SBATCH_NO_REQUEUE", apply: setRequeue(false)},
	{long: "exclusive", arg: optionalArg, env: "SBATCH_EXCLUSIVE", apply: applyExclusive},
	{long: "nice", arg: optionalArg, apply: applyNice},
	{long: "hold", short: 'H', arg: noArg, apply: setFlag(func(s *Spec) *bool { return &s.Hold })},
	{long: "mail-type", arg: requiredArg, apply: applyMailType},
	{long: "open-mode", arg: requiredArg, env: "SBATCH_OPEN_MODE", apply: applyOpenMode},

	// Submission behaviour.
	{long: "parsable", arg: noArg, apply: setFlag(func(s *Spec) *bool { return &s.Parsable })},
	{long: "wait", short: 'W', arg: noArg, env: "SBATCH_WAIT", apply: setFlag(func(s *Spec) *bool { return &s.Wait })},
	{long: "test-only", arg: noArg, apply: setFlag(func(s *Spec) *bool { return &s.TestOnly })},
	{long: "quiet", short: 'Q', arg: noArg, apply: setFlag(func(s *Spec) *bool { return &s.Quiet })},
	{long: "verbose", short: 'v', arg: noArg, apply: func(p *parser, _ occurrence) error { p.spec.Verbose++; return nil }},

	// Valid sbatch options hpcbridge keeps but does not model.
	{long: "acctg-freq", arg: requiredArg, env: "SBATCH_ACCTG_FREQ", apply: other},
	{long: "batch", arg: requiredArg, env: "SBATCH_BATCH", apply: other},
	{long: "bb", arg: requiredArg, apply: other},
	{long: "bbf", arg: requiredArg, apply: other},
	{long: "clusters", short: 'M', arg: requiredArg, env: "SBATCH_CLUSTERS", apply: other},
	{long: "cluster-constraint", arg: requiredArg, apply: other},
	{long: "container", arg: requiredArg, env: "SBATCH_CONTAINER", apply: other},
	{long: "contiguous", arg: noArg, apply: other},
	{long: "core-spec", short: 'S', arg: requiredArg, env: "SBATCH_CORE_SPEC", apply: otherCount(0)},
	{long: "cores-per-socket", arg: requiredArg, apply: otherCount(1)},
	{long: "cpu-freq", arg: requiredArg, apply: other},
	{long: "deadline", arg: requiredArg, apply: other},
	{long: "delay-boot", arg: requiredArg, env: "SBATCH_DELAY_BOOT", apply: other},
	{long: "distribution", short: 'm', arg: requiredArg, env: "SBATCH_DISTRIBUTION", apply: other},
	{long: "export-file", arg: requiredArg, apply: other},
	{long: "extra-node-info", short: 'B', arg: requiredArg, apply: other},
	{long: "get-user-env", arg: optionalArg, env: "SBATCH_GET_USER_ENV", apply: other},
	{long: "gid", arg: requiredArg, apply: other},
	{long: "gpu-bind", arg: requiredArg, env: "SBATCH_GPU_BIND", apply: other},
	{long: "gpu-freq", arg: requiredArg, env: "SBATCH_GPU_FREQ", apply: other},
	{long: "gpus-per-socket", arg: requiredArg, apply: func(p *parser, o occurrence) error {
		if _, err := ParseGPUList(o.value); err != nil {
			return err
		}
		return other(p, o)
	}},
	{long: "gres-flags", arg: requiredArg, env: "SBATCH_GRES_FLAGS", apply: other},
	{long: "help", short: 'h', arg: noArg, apply: other},
	{long: "hint", arg: requiredArg, env: "SBATCH_HINT", apply: other},
	{long: "ignore-pbs", arg: noArg, env: "SBATCH_IGNORE_PBS", apply: other},
	{long: "kill-on-invalid-dep", arg: requiredArg, apply: applyKillOnInvalidDep},
	{long: "licenses", short: 'L', arg: requiredArg, apply: other},
	{long: "mcs-label", arg: requiredArg, apply: other},
	{long: "mem-bind", arg: requiredArg, env: "SBATCH_MEM_BIND", apply: other},
	{long: "mincpus", arg: requiredArg, apply: otherCount(1)},
	{long: "network", arg: requiredArg, env: "SBATCH_NETWORK", apply: other},
	{long: "no-kill", short: 'k', arg: optionalArg, env: "SBATCH_NO_KILL", apply: other},
	{long: "nodefile", short: 'F', arg: requiredArg, apply: other},
	{long: "ntasks-per-core", arg: requiredArg, apply: otherCount(1)},
	{long: "ntasks-per-gpu", arg: requiredArg, apply: otherCount(1)},
	{long: "ntasks-per-socket", arg: requiredArg, apply: otherCount(1)},
	{long: "overcommit", short: 'O', arg: noArg, env: "SBATCH_OVERCOMMIT", apply: other},
	{long: "oversubscribe", short: 's', arg: noArg, apply: other},
	{long: "power", arg: requiredArg, env: "SBATCH_POWER", apply: other},
	{long: "prefer", arg: requiredArg, apply: other},
	{long: "priority", arg: requiredArg, apply: other},
	{long: "profile", arg: requiredArg, env: "SBATCH_PROFILE", apply: other},
	{long: "propagate", arg: optionalArg, apply: other},
	{long: "reboot", arg: noArg, apply: other},
	{long: "reservation", arg: requiredArg, env: "SBATCH_RESERVATION", apply: other},
	{long: "sockets-per-node", arg: requiredArg, apply: otherCount(1)},
	{long: "spread-job", arg: noArg, env: "SBATCH_SPREAD_JOB", apply: other},
	{long: "switches", arg: requiredArg, apply: other},
	{long: "thread-spec", arg: requiredArg, env: "SBATCH_THREAD_SPEC", apply: otherCount(0)},
	{long: "threads-per-core", arg: requiredArg, env: "SBATCH_THREADS_PER_CORE", apply: otherCount(1)},
	{long: "tmp", arg: requiredArg, apply: func(p *parser, o occurrence) error {
		if _, err := ParseMemory(o.value); err != nil {
			return err
		}
		return other(p, o)
	}},
	{long: "uid", arg: requiredArg, apply: other},
	{long: "usage", arg: noArg, apply: other},
	{long: "use-min-nodes", arg: noArg, env: "SBATCH_USE_MIN_NODES", apply: other},
	{long: "version", short: 'V', arg: noArg, apply: other},
	{long: "wait-all-nodes", arg: requiredArg, env: "SBATCH_WAIT_ALL_NODES", apply: func(p *parser, o occurrence) error {
		if o.value != "0" && o.value != "1" {
			return fmt.Errorf("invalid --wait-all-nodes %q: use 0 or 1", o.value)
		}
		return other(p, o)
	}},
	{long: "wckey", arg: requiredArg, env: "SBATCH_WCKEY", apply: other},
}

var (
	longIndex  = map[string]*option{}
	shortIndex = map[byte]*option{}
	envIndex   = map[string]*option{}
)

func init() {
	for _, o := range options {
		longIndex[o.long] = o
		if o.short != 0 {
			shortIndex[o.short] = o
		}
		if o.env != "" {
			envIndex[o.env] = o
		}
	}
}

func setString(field func(*Spec) **string) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		v := o.value
		*field(p.spec) = &v
		return nil
	}
}

func setFlag(field func(*Spec) *bool) func(*parser, occurrence) error {
	return func(p *parser, _ occurrence) error {
		*field(p.spec) = true
		return nil
	}
}

// parseCount reads a whole number the way sbatch's numeric options do.
func parseCount(name, s string, minimum int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < minimum {
		return 0, fmt.Errorf("invalid numeric value %q for --%s", s, name)
	}
	return n, nil
}

func setCount(name string, minimum int, field func(*Spec) **int) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		n, err := parseCount(name, o.value, minimum)
		if err != nil {
			return err
		}
		*field(p.spec) = &n
		return nil
	}
}

func otherCount(minimum int) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		if _, err := parseCount(o.opt.long, o.value, minimum); err != nil {
			return err
		}
		return other(p, o)
	}
}

func other(p *parser, o occurrence) error {
	if p.spec.Other == nil {
		p.spec.Other = map[string]string{}
	}
	p.spec.Other[o.opt.long] = o.value
	return nil
}

func applyNodes(p *parser, o occurrence) error {
	lo, hi, err := ParseNodes(o.value)
	if err != nil {
		return err
	}
	p.spec.NodesMin, p.spec.NodesMax = &lo, hi
	return nil
}

// memKind names the three mutually exclusive memory options.
type memKind int

const (
	memNode memKind = iota
	memCPU
	memGPU
)

func setMem(kind memKind) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		mib, err := ParseMemory(o.value)
		if err != nil {
			return err
		}
		switch kind {
		case memNode:
			p.spec.MemPerNodeMiB = &mib
		case memCPU:
			p.spec.MemPerCPUMiB = &mib
		case memGPU:
			p.spec.MemPerGPUMiB = &mib
		}
		return nil
	}
}

// gpuOpt names the three --gpus* options.
type gpuOpt int

const (
	gpusJob gpuOpt = iota
	gpusNode
	gpusTask
)

func setGPUs(which gpuOpt) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		entries, err := ParseGPUList(o.value)
		if err != nil {
			return err
		}
		n := 0
		for _, e := range entries {
			n += int(e.Count)
		}
		p.spec.GPURequests[which] = o.value
		switch which {
		case gpusJob:
			p.spec.GPUsPerJob = &n
		case gpusNode:
			p.spec.GPUsPerNode = &n
		case gpusTask:
			p.spec.GPUsPerTask = &n
		}
		return nil
	}
}

func applyGres(p *parser, o occurrence) error {
	entries, err := ParseGres(o.value)
	if err != nil {
		return err
	}
	p.gres = entries
	// The contract keeps each entry as written, without sbatch's "gres:" prefix.
	p.spec.Gres = nil
	for _, e := range strings.Split(o.value, ",") {
		p.spec.Gres = append(p.spec.Gres, strings.TrimPrefix(e, "gres:"))
	}
	return nil
}

func setTime(field func(*Spec) **TimeLimit) func(*parser, occurrence) error {
	return func(p *parser, o occurrence) error {
		t, err := ParseTime(o.value)
		if err != nil {
			return err
		}
		t.Raw = o.value
		*field(p.spec) = &t
		return nil
	}
}

func applyBegin(p *parser, o occurrence) error {
	b, err := ParseBegin(o.value, p.now)
	if err != nil {
		return err
	}
	p.spec.Begin = b
	return nil
}

func applySignal(p *parser, o occurrence) error {
	s, err := ParseSignal(o.value)
	if err != nil {
		return err
	}
	p.spec.Signal = s
	return nil
}

func applyArray(p *parser, o occurrence) error {
	a, err := ParseArray(o.value, p.maxArraySize)
	if err != nil {
		return err
	}
	p.spec.Array = a
	return nil
}

func applyDependency(p *parser, o occurrence) error {
	d, err := ParseDependency(o.value)
	if err != nil {
		return err
	}
	p.spec.Dependency = d
	return nil
}

func setRequeue(v bool) func(*parser, occurrence) error {
	return func(p *parser, _ occurrence) error {
		p.spec.Requeue = &v
		return nil
	}
}

func applyExclusive(p *parser, o occurrence) error {
	mode := o.value
	switch {
	case !o.hasVal:
		mode = ""
	case mode == "user" || mode == "mcs":
	case o.at.origin == fromEnv && mode == "":
	default:
		return fmt.Errorf("invalid --exclusive %q: use --exclusive, --exclusive=user or --exclusive=mcs", o.value)
	}
	p.spec.Exclusive = &Exclusive{Mode: mode}
	return nil
}

// applyNice follows sbatch: a bare --nice is 100; the value is read as C's
// strtol reads it (leading digits, "abc" is 0).
func applyNice(p *parser, o occurrence) error {
	n := 100
	if o.hasVal {
		n = int(cLong(o.value))
		const limit = 2147483645 // NICE_OFFSET - 3 in Slurm
		if n > limit || n < -limit {
			return fmt.Errorf("invalid --nice %q: the adjustment must be between %d and %d", o.value, -limit, limit)
		}
	}
	p.spec.Nice = &n
	return nil
}

// cLong reads a decimal number the way C's strtol does, ignoring trailing text.
func cLong(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<62)/10 {
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func applyMailType(p *parser, o occurrence) error {
	types, err := ParseMailType(o.value)
	if err != nil {
		return err
	}
	p.spec.MailType = MergeMailTypes(p.spec.MailType, types)
	return nil
}

func applyOpenMode(p *parser, o occurrence) error {
	var mode string
	switch {
	case strings.HasPrefix(o.value, "a") || strings.HasPrefix(o.value, "A"):
		mode = "append"
	case strings.HasPrefix(o.value, "t") || strings.HasPrefix(o.value, "T"):
		mode = "truncate"
	default:
		return fmt.Errorf("invalid --open-mode %q: use append or truncate", o.value)
	}
	p.spec.OpenMode = &mode
	return nil
}

func applyKillOnInvalidDep(p *parser, o occurrence) error {
	switch strings.ToLower(o.value) {
	case "yes", "no":
		return other(p, o)
	}
	return fmt.Errorf("invalid --kill-on-invalid-dep %q: use yes or no", o.value)
}
