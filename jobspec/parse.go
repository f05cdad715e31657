package jobspec

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Input is one sbatch submission as the user typed it.
type Input struct {
	// File is the script's path as the user named it; it labels diagnostics
	// and its base name is the default job name.
	File string
	// Script is the script's content. It is ignored when Args hold --wrap.
	Script []byte
	// Args are the sbatch options given on the command line, without the
	// script and its arguments (see SplitCommandLine).
	Args []string
	// ScriptArgs are the arguments after the script.
	ScriptArgs []string
	// Env is the submitter's environment ("NAME=value"); only the SBATCH_*
	// variables sbatch reads are used.
	Env []string
	// Now is the submit time, used to resolve --begin.
	Now time.Time
	// MaxArraySize is the cluster's MaxArraySize; 0 means DefaultMaxArraySize.
	MaxArraySize int
}

// Source labels for diagnostics that do not come from the script.
const (
	CommandLineFile = "<command line>"
	EnvironmentFile = "<environment>"
)

// parser holds the state of one Parse call.
type parser struct {
	spec         *Spec
	diags        Diagnostics
	now          time.Time
	maxArraySize int

	// at is where each option (by long name) was last given.
	at   map[string]*token
	gres []GresEntry
}

// Parse reads a submission the way sbatch does: the script's #SBATCH
// directives first, then SBATCH_* variables, then command-line options, the
// last occurrence of an option winning. It reports every problem it can find
// in one pass. The Spec is nil when there are errors.
func Parse(in Input) (*Spec, Diagnostics) {
	p := &parser{
		spec:         &Spec{},
		now:          in.Now,
		maxArraySize: in.MaxArraySize,
		at:           map[string]*token{},
	}
	if p.maxArraySize <= 0 {
		p.maxArraySize = DefaultMaxArraySize
	}
	if p.now.IsZero() {
		p.now = time.Unix(0, 0).UTC()
	}
	file := in.File
	if file == "" {
		file = "<stdin>"
	}

	cli := commandLineTokens(in.Args)
	cliOccs := p.options(cli, false)
	envOccs := p.options(envTokens(in.Env), false)

	script := in.Script
	if w := wrapOf(cliOccs, envOccs); w != nil {
		script = WrapScript(*w)
		file = "<wrap>"
		if len(in.ScriptArgs) > 0 {
			p.errorAt(&cli[len(cli)-1], 0, "script arguments are not permitted with --wrap")
		}
	}
	sc := scanScript(file, script)
	p.diags = append(p.diags, sc.diags...)
	p.spec.Ignored = sc.ignored
	scriptOccs := p.options(sc.tokens, false)

	for _, layer := range [][]occurrence{scriptOccs, envOccs, cliOccs} {
		for i := range layer {
			o := &layer[i]
			err := checkOptionText(*o)
			if err == nil {
				err = o.opt.apply(p, *o)
			}
			if err != nil {
				at := o.valAt
				if !o.hasVal {
					at = o.at
				}
				msg := err.Error()
				if !strings.Contains(msg, "--"+o.opt.long) {
					msg = "--" + o.opt.long + ": " + msg
				}
				p.errorAt(&at, 0, msg)
				continue
			}
			p.at[o.opt.long] = &o.at
		}
	}
	p.finish(file, in.ScriptArgs)

	sort.SliceStable(p.diags, func(i, j int) bool { return diagLess(p.diags[i], p.diags[j]) })
	for _, d := range p.diags.Warnings() {
		p.spec.Warnings = append(p.spec.Warnings, d.Error())
	}
	if p.diags.HasErrors() {
		return nil, p.diags
	}
	return p.spec, p.diags
}

// options runs getopt over one source's tokens, reporting stray words.
func (p *parser) options(toks []token, stopAtOperand bool) []occurrence {
	occs, _ := scanOptions(toks, stopAtOperand, func(t token, col int, msg string) {
		if !t.broken {
			p.errorAt(&t, col, msg)
		}
	})
	return occs
}

func (p *parser) errorAt(t *token, col int, msg string) {
	p.report(t, col, SeverityError, msg)
}

func (p *parser) warnAt(t *token, col int, msg string) {
	p.report(t, col, SeverityWarning, msg)
}

func (p *parser) report(t *token, col int, sev Severity, msg string) {
	if t == nil {
		t = &token{pos: Pos{File: "<options>", Line: 1, Col: 1}}
	}
	pos := t.pos
	pos.Col += col
	p.diags = append(p.diags, Diagnostic{Pos: pos, Severity: sev, Msg: msg, Source: t.src})
}

// diagLess orders diagnostics: script first (by line, column), then the
// environment, then the command line.
func diagLess(a, b Diagnostic) bool {
	rank := func(d Diagnostic) int {
		switch d.Pos.File {
		case EnvironmentFile:
			return 1
		case CommandLineFile:
			return 2
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line < b.Pos.Line
	}
	return a.Pos.Col < b.Pos.Col
}

// finish applies defaults and the checks sbatch makes across options.
func (p *parser) finish(file string, scriptArgs []string) {
	s := p.spec
	if s.JobName == nil {
		name := "wrap"
		switch file {
		case "<wrap>":
		case "<stdin>":
			name = "sbatch" // as slurmctld names a script read from stdin
		default:
			name = path.Base(file)
		}
		if err := CheckText("job name (the script's file name)", name, MaxTextLen); err != nil {
			p.errorAt(nil, 0, err.Error())
		}
		s.JobName = &name
	}
	if len(scriptArgs) > 0 {
		s.ScriptArgs = append([]string(nil), scriptArgs...)
	}
	if n := countSet(s.MemPerNodeMiB, s.MemPerCPUMiB, s.MemPerGPUMiB); n > 1 {
		p.errorAt(p.last("mem", "mem-per-cpu", "mem-per-gpu"), 0, "--mem, --mem-per-cpu and --mem-per-gpu are mutually exclusive")
	}
	p.finishGPUs()
	if s.Ntasks != nil && s.NodesMin != nil && *s.Ntasks < *s.NodesMin {
		p.warnAt(p.at["ntasks"], 0, fmt.Sprintf("can't run %d processes on %d nodes, setting nnodes to %d", *s.Ntasks, *s.NodesMin, *s.Ntasks))
		n, m := *s.Ntasks, *s.Ntasks
		s.NodesMin, s.NodesMax = &n, &m
	} else if s.Ntasks != nil && s.NodesMax != nil && *s.Ntasks < *s.NodesMax {
		m := *s.Ntasks
		s.NodesMax = &m
	}
	if s.TimeLimit != nil && s.TimeMin != nil && !s.TimeLimit.Unlimited &&
		(s.TimeMin.Unlimited || s.TimeMin.Minutes > s.TimeLimit.Minutes) {
		p.errorAt(p.at["time-min"], 0, fmt.Sprintf("--time-min (%s) exceeds --time (%s)", s.TimeMin, s.TimeLimit))
	}
}

// last returns where the latest of the named options was given.
func (p *parser) last(names ...string) *token {
	var last *token
	for _, n := range names {
		t := p.at[n]
		if t != nil && (last == nil || t.origin > last.origin || t.origin == last.origin && diagLess(Diagnostic{Pos: last.pos}, Diagnostic{Pos: t.pos})) {
			last = t
		}
	}
	return last
}

func countSet(ps ...*int64) int {
	n := 0
	for _, p := range ps {
		if p != nil {
			n++
		}
	}
	return n
}

// finishGPUs derives gpus_per_node and gpu_type from --gpus* and --gres, and
// makes the checks Slurm makes on GPU requests.
func (p *parser) finishGPUs() {
	s := p.spec
	var types []string
	addType := func(t string) {
		if t == "" {
			return
		}
		for _, x := range types {
			if x == t {
				return
			}
		}
		types = append(types, t)
	}
	// Types in the order sbatch lists the options: --gpus, --gpus-per-node,
	// --gpus-per-socket, --gpus-per-task, then --gres.
	requests := []string{s.GPURequests[gpusJob], s.GPURequests[gpusNode], s.Other["gpus-per-socket"], s.GPURequests[gpusTask]}
	for _, r := range requests {
		entries, _ := ParseGPUList(r) // validated when applied
		for _, e := range entries {
			addType(e.Type)
		}
	}
	gresGPUs, haveGresGPU := 0, false
	for _, e := range p.gres {
		if e.Name == "gpu" {
			haveGresGPU = true
			gresGPUs += int(e.Count)
			addType(e.Type)
		}
	}
	if s.GPUsPerNode == nil && haveGresGPU {
		n := gresGPUs
		s.GPUsPerNode = &n
	}
	if len(types) > 0 {
		t := strings.Join(types, ",")
		s.GPUType = &t
	}
	anyGPU := s.GPUsPerJob != nil || s.GPUsPerNode != nil || s.GPUsPerTask != nil
	if s.MemPerGPUMiB != nil && !anyGPU {
		p.errorAt(p.at["mem-per-gpu"], 0, "--mem-per-gpu needs a GPU request (--gpus, --gpus-per-node, --gpus-per-task or --gres=gpu)")
	}
	// sbatch derives a task count from -N or --ntasks-per-node, so those do too.
	if s.GPUsPerTask != nil && s.GPUsPerJob == nil && s.Ntasks == nil && s.NodesMin == nil && s.NtasksPerNode == nil {
		p.errorAt(p.at["gpus-per-task"], 0, "--gpus-per-task needs either --gpus or -n/--ntasks")
	}
}

// wrapOf returns the --wrap command given on the command line or in the
// environment, if any (a #SBATCH --wrap cannot replace its own script).
func wrapOf(layers ...[]occurrence) *string {
	var w *string
	for _, occs := range layers {
		for _, o := range occs {
			if o.opt.long == "wrap" {
				v := o.value
				w = &v
			}
		}
	}
	return w
}

// WrapScript is the script sbatch generates for --wrap.
func WrapScript(command string) []byte {
	return []byte("#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + command + "\n")
}

// commandLineTokens turns argv into tokens positioned on one line that shows
// the command as typed.
func commandLineTokens(args []string) []token {
	line := "sbatch " + strings.Join(args, " ")
	toks := make([]token, len(args))
	col := len("sbatch ") + 1
	for i, a := range args {
		toks[i] = token{text: a, pos: Pos{CommandLineFile, 1, col}, src: line, origin: fromCommandLine}
		col += len(a) + 1
	}
	return toks
}

// envTokens turns the SBATCH_* variables sbatch reads into option tokens.
func envTokens(env []string) []token {
	var toks []token
	names := make([]string, 0, len(env))
	vals := map[string]string{}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || envIndex[name] == nil {
			continue
		}
		if _, dup := vals[name]; !dup {
			names = append(names, name)
		}
		vals[name] = val
	}
	sort.Strings(names)
	for i, name := range names {
		o := envIndex[name]
		val := vals[name]
		src := name + "=" + val
		t := token{text: "--" + o.long, pos: Pos{EnvironmentFile, i + 1, 1}, src: src, origin: fromEnv, valueCol: len(name) + 2}
		if o.arg != noArg && (o.arg == requiredArg || val != "") {
			t.text += "=" + val
		}
		toks = append(toks, t)
	}
	return toks
}

// SplitCommandLine splits sbatch's argv (without the program name) into its
// options, the script path and the script's arguments, as sbatch does: the
// first word that is not an option or an option's argument is the script.
// The script is "" when there is none (sbatch then reads standard input, or
// uses --wrap).
func SplitCommandLine(argv []string) (opts []string, script string, scriptArgs []string) {
	toks := commandLineTokens(argv)
	_, rest := scanOptions(toks, true, func(token, int, string) {})
	opts = argv[:rest]
	if rest < len(argv) {
		script, scriptArgs = argv[rest], argv[rest+1:]
	}
	if len(opts) > 0 && opts[len(opts)-1] == "--" {
		opts = opts[:len(opts)-1]
	}
	return opts, script, scriptArgs
}
