package slurmoracle

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// keys are the contract fields in their canonical order.
var keys = []string{
	"job_name", "partition", "account", "qos", "nodes_min", "nodes_max", "ntasks",
	"ntasks_per_node", "cpus_per_task", "mem_per_node_mib", "mem_per_cpu_mib", "mem_per_gpu_mib",
	"time_limit_min", "time_min_min", "gpus_per_job", "gpus_per_node", "gpus_per_task", "gpu_type",
	"gres", "constraint", "array", "dependency", "requeue", "signal", "output", "error", "input",
	"chdir", "export", "exclusive", "nice", "begin", "hold", "mail_type", "mail_user", "open_mode",
}

// Keys returns the contract field names in canonical order (a copy).
func Keys() []string {
	return append([]string(nil), keys...)
}

// clustersArtifact is the explanation recorded for --clusters rejections.
const clustersArtifact = "--clusters/-M needs slurmdbd, which the oracle does not run; " +
	"a site that has that cluster would accept the script"

// Contract renders r as one dev-expected document: every contract key,
// "accepted", "error" (the message) for rejected scripts, and the "_oracle"
// side information.
func (r Result) Contract() map[string]any {
	doc := make(map[string]any, len(keys)+2)
	for _, k := range keys {
		doc[k] = r.Fields[k]
	}
	doc["accepted"] = r.Accepted
	side := map[string]any{}
	if r.Accepted {
		def := make([]any, len(r.Defaulted))
		for i, k := range r.Defaulted {
			def[i] = k
		}
		side["defaulted"] = def
		if r.TestOnly != nil {
			t := map[string]any{"ok": r.TestOnly.OK}
			if !r.TestOnly.OK {
				t["message"] = r.TestOnly.Message
			}
			side["test_only"] = t
		}
	} else {
		doc["error"] = r.Error
		before := make(map[string]any, len(r.Options))
		for k, v := range r.Options {
			before[k] = v
		}
		side["sbatch_options_before_error"] = before
	}
	if r.Artifact != "" {
		side["artifact"] = r.Artifact
	}
	doc["_oracle"] = side
	return doc
}

// mapper turns one parse.sh report into a Result.
type mapper struct {
	rep       *report
	opts      map[string]string
	submitted time.Time
	fields    map[string]any
	defaulted map[string]bool
	err       error
}

// fromReport maps a parse.sh report onto the contract; submitted is when
// sbatch was started (for the relative --begin heuristic).
func fromReport(rep *report, submitted time.Time) (Result, error) {
	res := Result{Fields: make(map[string]any, len(keys))}
	for _, k := range keys {
		res.Fields[k] = nil
	}
	res.Options = make(map[string]string, len(rep.SbatchOptions))
	for k, v := range rep.SbatchOptions {
		res.Options[k] = hideDir(v, rep.SubmitDir)
	}
	if rep.JobID == 0 {
		res.Error = hideDir(rep.Error, rep.SubmitDir)
		if res.Error == "" {
			res.Error = "sbatch queued no job"
		}
		if _, ok := rep.SbatchOptions["clusters"]; ok {
			res.Artifact = clustersArtifact
		}
		return res, nil
	}
	res.Accepted = true
	if t := rep.TestOnly; t != nil {
		res.TestOnly = &TestOnly{OK: t.OK, Message: t.Message}
	}
	m := &mapper{rep: rep, opts: rep.SbatchOptions, submitted: submitted, fields: res.Fields, defaulted: map[string]bool{}}
	m.identity()
	m.shape()
	m.memory()
	m.times()
	m.gpus()
	m.array()
	m.flags()
	m.paths()
	m.schedule()
	m.mail()
	if m.err != nil {
		return Result{}, m.err
	}
	for _, k := range keys {
		if m.defaulted[k] {
			res.Defaulted = append(res.Defaulted, k)
		}
	}
	return res, nil
}

func hideDir(s, dir string) string {
	if dir == "" {
		return s
	}
	return strings.ReplaceAll(s, dir, SubmitDirToken)
}

// fail records the first mapping error: a value the oracle printed in a
// form this package does not know must not be silently misread.
func (m *mapper) fail(opt, val string, err error) {
	if m.err == nil {
		m.err = fmt.Errorf("unexpected %s value %q from the oracle: %w", opt, val, err)
	}
}

// str copies option opt verbatim into field key.
func (m *mapper) str(key, opt string) {
	if v, ok := m.opts[opt]; ok {
		m.fields[key] = v
	}
}

// num copies integer option opt into field key.
func (m *mapper) num(key, opt string) {
	if v, ok := m.opts[opt]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			m.fail(opt, v, err)
			return
		}
		m.fields[key] = float64(n)
	}
}

// controller sets key from the job record's field and marks it defaulted.
func (m *mapper) controller(key, jobField string, conv func(string) (any, error)) {
	m.defaulted[key] = true
	v, ok := m.rep.Job[jobField]
	if !ok {
		return
	}
	x, err := conv(v)
	if err != nil {
		m.fail(jobField, v, err)
		return
	}
	m.fields[key] = x
}

func asString(s string) (any, error) { return s, nil }

func asNumber(s string) (any, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	return float64(n), err
}

func (m *mapper) identity() {
	if _, ok := m.opts["job-name"]; ok {
		m.str("job_name", "job-name")
	} else {
		m.controller("job_name", "JobName", asString)
	}
	if _, ok := m.opts["partition"]; ok {
		m.str("partition", "partition")
	} else {
		m.controller("partition", "Partition", asString)
	}
	m.str("account", "account")
	m.str("qos", "qos")
}

func (m *mapper) shape() {
	if v, ok := m.opts["nodes"]; ok {
		lo, hi, err := nodeRange(v, true)
		if err != nil {
			m.fail("nodes", v, err)
		}
		m.fields["nodes_min"], m.fields["nodes_max"] = lo, hi
	} else {
		m.defaulted["nodes_min"], m.defaulted["nodes_max"] = true, true
		if v, ok := m.rep.Job["NumNodes"]; ok {
			lo, hi, err := nodeRange(v, false)
			if err != nil {
				m.fail("NumNodes", v, err)
			}
			m.fields["nodes_min"], m.fields["nodes_max"] = lo, hi
		}
	}
	if _, ok := m.opts["ntasks"]; ok {
		m.num("ntasks", "ntasks")
	} else {
		m.controller("ntasks", "NumTasks", asNumber)
	}
	m.num("ntasks_per_node", "ntasks-per-node")
	if _, ok := m.opts["cpus-per-task"]; ok {
		m.num("cpus_per_task", "cpus-per-task")
	} else {
		m.controller("cpus_per_task", "CPUs/Task", asNumber)
	}
}

func (m *mapper) memory() {
	for key, opt := range map[string]string{
		"mem_per_node_mib": "mem", "mem_per_cpu_mib": "mem-per-cpu", "mem_per_gpu_mib": "mem-per-gpu",
	} {
		if v, ok := m.opts[opt]; ok {
			n, err := mebibytes(v)
			if err != nil {
				m.fail(opt, v, err)
				continue
			}
			m.fields[key] = n
		}
	}
}

func (m *mapper) times() {
	for key, opt := range map[string]string{"time_limit_min": "time", "time_min_min": "time-min"} {
		if v, ok := m.opts[opt]; ok {
			x, err := minutes(v)
			if err != nil {
				m.fail(opt, v, err)
				continue
			}
			m.fields[key] = x
		}
	}
}

// gpus fills the GPU counts, types and gres entries.
func (m *mapper) gpus() {
	var types []string
	addTypes := func(ts []string) {
		for _, t := range ts {
			if !contains(types, t) {
				types = append(types, t)
			}
		}
	}
	// Options in sbatch's dump order, which is alphabetical.
	for _, o := range []struct{ opt, key string }{
		{"gpus", "gpus_per_job"}, {"gpus-per-node", "gpus_per_node"},
		{"gpus-per-socket", ""}, {"gpus-per-task", "gpus_per_task"},
	} {
		v, ok := m.opts[o.opt]
		if !ok {
			continue
		}
		n, ts, err := gpuList(v)
		if err != nil {
			m.fail(o.opt, v, err)
			continue
		}
		if o.key != "" {
			m.fields[o.key] = n
		}
		addTypes(ts)
	}
	if v, ok := m.opts["gres"]; ok {
		entries, n, ts, hasGPU, err := gresList(v)
		if err != nil {
			m.fail("gres", v, err)
		}
		m.fields["gres"] = entries
		if hasGPU && m.fields["gpus_per_node"] == nil {
			m.fields["gpus_per_node"] = n
		}
		addTypes(ts)
	}
	if len(types) > 0 {
		m.fields["gpu_type"] = strings.Join(types, ",")
	}
}

func (m *mapper) array() {
	v, ok := m.opts["array"]
	if !ok {
		return
	}
	spec := m.rep.Job["ArrayTaskId"]
	if spec == "" {
		if s, ok := m.rep.JSONRaw["array_task_string"].(string); ok && s != "" {
			spec = s
		} else {
			spec = strings.NewReplacer("[", "", "]", "").Replace(v)
		}
	}
	count, throttle, err := arrayCount(spec)
	if err != nil {
		m.fail("ArrayTaskId", spec, err)
		return
	}
	a := map[string]any{"spec": spec, "count": count, "throttle": nil}
	if throttle > 0 {
		a["throttle"] = throttle
	}
	m.fields["array"] = a
}

// flags maps the simple switches and verbatim strings.
func (m *mapper) flags() {
	m.str("dependency", "dependency")
	m.str("export", "export")
	if v, ok := m.opts["constraint"]; ok {
		m.fields["constraint"] = strings.NewReplacer(`"`, "", "'", "").Replace(v)
	}
	v, ok := m.opts["requeue"]
	if !ok {
		v, ok = m.opts["no-requeue"]
	}
	switch {
	case !ok:
		m.controller("requeue", "Requeue", func(s string) (any, error) { return s != "0", nil })
	case v == "requeue":
		m.fields["requeue"] = true
	case v == "no-requeue":
		m.fields["requeue"] = false
	default:
		m.fail("requeue", v, errUnknown)
	}
	if v, ok := m.opts["signal"]; ok {
		s, err := signalSpec(v)
		if err != nil {
			m.fail("signal", v, err)
		} else {
			m.fields["signal"] = s
		}
	}
	if v, ok := m.opts["exclusive"]; ok {
		switch v {
		case "exclusive":
			m.fields["exclusive"] = true
		case "oversubscribe":
			// --oversubscribe after --exclusive: not represented.
		default:
			m.fields["exclusive"] = v
		}
	}
	if v, ok := m.opts["open-mode"]; ok {
		switch v {
		case "a":
			m.fields["open_mode"] = "append"
		case "t":
			m.fields["open_mode"] = "truncate"
		default:
			m.fail("open-mode", v, errUnknown)
		}
	}
}

// paths maps --chdir and the standard stream paths back to what the
// script wrote: sbatch made relative paths absolute against the working
// directory (--chdir, else the submit dir), so that prefix is stripped.
func (m *mapper) paths() {
	sub := m.rep.SubmitDir + "/"
	work := sub
	if v, ok := m.opts["chdir"]; ok {
		m.fields["chdir"] = strings.TrimPrefix(v, sub)
		work = v + "/"
	}
	for key, opt := range map[string]string{"output": "output", "error": "error", "input": "input"} {
		if v, ok := m.opts[opt]; ok {
			m.fields[key] = relativeTo(v, work)
		}
	}
}

// relativeTo strips the directory prefix sbatch joined onto a relative
// path ("<dir>/<path>", so "-D /x/" gives "/x//path"); a path written
// absolutely under that directory comes out relative too.
func relativeTo(path, prefix string) string {
	if rest, ok := strings.CutPrefix(path, prefix); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(path, strings.TrimRight(prefix, "/")+"/"); ok && prefix != "/" {
		return rest
	}
	return path
}

// schedule maps nice, begin and hold.
func (m *mapper) schedule() {
	if _, ok := m.opts["nice"]; ok {
		m.num("nice", "nice")
	} else {
		m.controller("nice", "Nice", asNumber)
	}
	if v, ok := m.opts["begin"]; ok {
		b, err := beginValue(v, m.submitted)
		if err != nil {
			m.fail("begin", v, err)
		} else {
			m.fields["begin"] = b
		}
	}
	// The hold pass adds its own --hold; the script's own is only visible
	// in the test-only pass.
	if t := m.rep.TestOnly; t != nil {
		if _, ok := t.SbatchOptions["hold"]; ok {
			m.fields["hold"] = true
			return
		}
	}
	m.fields["hold"] = false
	m.defaulted["hold"] = true
}

func (m *mapper) mail() {
	m.str("mail_user", "mail-user")
	if v, ok := m.opts["mail-type"]; ok {
		var types []any
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToUpper(strings.TrimSpace(t)); t != "" {
				types = append(types, t)
			}
		}
		m.fields["mail_type"] = types
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
