package jobspec

import (
	"sort"
	"strconv"
	"strings"
)

// Format renders a Spec as a batch script whose #SBATCH directives Parse
// reads back into the same Spec (script arguments, ignored directives and
// warnings aside). The body is a single "true" command.
func Format(s *Spec) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	dir := func(name, value string) {
		b.WriteString("#SBATCH --")
		b.WriteString(name)
		b.WriteString("=")
		b.WriteString(quoteArg(value))
		b.WriteString("\n")
	}
	flag := func(name string) { b.WriteString("#SBATCH --" + name + "\n") }
	str := func(name string, v *string) {
		if v != nil {
			dir(name, *v)
		}
	}
	num := func(name string, v *int) {
		if v != nil {
			dir(name, strconv.Itoa(*v))
		}
	}
	mem := func(name string, v *int64) {
		if v != nil {
			dir(name, strconv.FormatInt(*v, 10)+"M")
		}
	}
	gpus := func(name string, which gpuOpt) {
		if r := s.GPURequests[which]; r != "" {
			dir(name, r)
		}
	}

	str("job-name", s.JobName)
	str("partition", s.Partition)
	str("account", s.Account)
	str("qos", s.QOS)
	if s.NodesMin != nil {
		v := strconv.Itoa(*s.NodesMin)
		if s.NodesMax != nil && *s.NodesMax != *s.NodesMin {
			v += "-" + strconv.Itoa(*s.NodesMax)
		}
		dir("nodes", v)
	}
	num("ntasks", s.Ntasks)
	num("ntasks-per-node", s.NtasksPerNode)
	num("cpus-per-task", s.CPUsPerTask)
	num("cpus-per-gpu", s.CPUsPerGPU)
	mem("mem", s.MemPerNodeMiB)
	mem("mem-per-cpu", s.MemPerCPUMiB)
	mem("mem-per-gpu", s.MemPerGPUMiB)
	timeLimit := func(name string, t *TimeLimit) {
		switch {
		case t == nil:
		case t.Minutes > maxSpelledMinutes && t.Raw != "":
			dir(name, t.Raw)
		default:
			dir(name, t.String())
		}
	}
	timeLimit("time", s.TimeLimit)
	timeLimit("time-min", s.TimeMin)
	gpus("gpus", gpusJob)
	if len(s.Gres) > 0 {
		dir("gres", strings.Join(s.Gres, ","))
	}
	gpus("gpus-per-node", gpusNode)
	gpus("gpus-per-task", gpusTask)
	str("constraint", s.Constraint)
	str("nodelist", s.Nodelist)
	str("exclude", s.Exclude)
	if s.Array != nil {
		dir("array", s.Array.Spec)
	}
	if s.Dependency != nil {
		dir("dependency", s.Dependency.String())
	}
	if s.Requeue != nil {
		if *s.Requeue {
			flag("requeue")
		} else {
			flag("no-requeue")
		}
	}
	if s.Signal != nil {
		dir("signal", s.Signal.String())
	}
	str("output", s.Output)
	str("error", s.Error)
	str("input", s.Input)
	str("chdir", s.Chdir)
	str("export", s.Export)
	if s.Exclusive != nil {
		if s.Exclusive.Mode == "" {
			flag("exclusive")
		} else {
			dir("exclusive", s.Exclusive.Mode)
		}
	}
	num("nice", s.Nice)
	if s.Begin != nil {
		dir("begin", s.Begin.At.Format("2006-01-02T15:04:05"))
	}
	if s.Hold {
		flag("hold")
	}
	if len(s.MailType) > 0 {
		dir("mail-type", strings.Join(s.MailType, ","))
	}
	str("mail-user", s.MailUser)
	str("open-mode", s.OpenMode)
	str("comment", s.Comment)
	str("wrap", s.Wrap)
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Parsable, "parsable"}, {s.Wait, "wait"}, {s.TestOnly, "test-only"}, {s.Quiet, "quiet"}} {
		if f.on {
			flag(f.name)
		}
	}
	for i := 0; i < s.Verbose; i++ {
		flag("verbose")
	}
	keys := make([]string, 0, len(s.Other))
	for k := range s.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if o := longIndex[k]; o != nil && o.arg != requiredArg && s.Other[k] == "" {
			flag(k)
		} else {
			dir(k, s.Other[k])
		}
	}
	b.WriteString("true\n")
	return []byte(b.String())
}

// maxSpelledMinutes is the largest time limit Slurm reads back from its own
// number of minutes (it computes in 32-bit seconds).
const maxSpelledMinutes = (1<<32 - 1) / 60

// quoteArg quotes a directive argument so that the directive tokenizer reads
// it back unchanged.
func quoteArg(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\v\f\r\"'\\#") {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(v) {
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}
