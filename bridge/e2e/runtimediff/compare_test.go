package runtimediff

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// diff is one difference between the two runs. key names it in `known`
// lines: "state NAME", "wait NAME", "file PATH", "env PATH VAR"; or a
// run's own failure of an expect-env line: "expect-env SIDE PATH VAR".
type diff struct {
	key, detail string
}

// translator turns what real Slurm's run printed into what hpcbridge's
// run should have printed: its job ids, work dir and node name become
// ours. What differs by nature on both sides (times) becomes a token.
type translator struct {
	ids                map[string]string // Slurm job id -> ours
	slurmWork, work    string
	slurmNode, ourNode string
}

var (
	timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)
	digitRun  = regexp.MustCompile(`\d+`)
)

// newTranslator maps the ids of real's jobs onto ours, name by name and
// array task by array task, and the node names seen in the records.
func newTranslator(real, ours *run) *translator {
	tr := &translator{ids: map[string]string{}, slurmWork: real.work, work: ours.work}
	for name, id := range real.ids {
		tr.ids[id] = ours.ids[name]
	}
	for name, recs := range real.records {
		mine := map[string]record{}
		for _, rec := range ours.records[name] {
			mine[rec.ArrayTaskID] = rec
		}
		for _, rec := range recs {
			o, ok := mine[rec.ArrayTaskID]
			if !ok {
				continue
			}
			if _, set := tr.ids[rec.JobID]; !set {
				tr.ids[rec.JobID] = o.JobID
			}
			if rec.NodeList != "" && o.NodeList != "" && !strings.HasPrefix(rec.NodeList, "(") {
				tr.slurmNode, tr.ourNode = rec.NodeList, o.NodeList
			}
		}
	}
	return tr
}

// slurm translates a text of Slurm's run.
func (tr *translator) slurm(s string) string {
	s = strings.ReplaceAll(s, tr.slurmWork, tr.work)
	s = digitRun.ReplaceAllStringFunc(s, func(d string) string {
		if id, ok := tr.ids[d]; ok && id != "" {
			return id
		}
		return d
	})
	if tr.slurmNode != "" && tr.ourNode != "" {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(tr.slurmNode)+`\b`).ReplaceAllString(s, tr.ourNode)
	}
	return timestamp.ReplaceAllString(s, "{TIME}")
}

// ours normalises a text of hpcbridge's run.
func (tr *translator) ours(s string) string {
	return timestamp.ReplaceAllString(s, "{TIME}")
}

// compare lists every difference between the runs of one scenario.
func compare(sc *scenario, real, ours *run) ([]diff, error) {
	tr := newTranslator(real, ours)
	var diffs []diff
	add := func(key, format string, args ...any) {
		diffs = append(diffs, diff{key: key, detail: fmt.Sprintf(format, args...)})
	}

	names := make([]string, 0, len(real.ids))
	for name := range real.ids {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r, o := outcomes(name, real.records[name]), outcomes(name, ours.records[name])
		for _, k := range unionKeys(r, o) {
			if r[k] != o[k] {
				add("state "+k, "Slurm %q, hpcbridge %q", orNone(r[k]), orNone(o[k]))
			}
		}
		if rc, ok := real.waitStatus[name]; ok && rc != ours.waitStatus[name] {
			add("wait "+name, "sbatch --wait exit status: Slurm %d, hpcbridge %d", rc, ours.waitStatus[name])
		}
	}

	rf, rmodes, err := real.files()
	if err != nil {
		return nil, err
	}
	of, omodes, err := ours.files()
	if err != nil {
		return nil, err
	}
	// Real Slurm's file names in our ids; keys name files by Slurm's
	// names with its ids as {NAME} (Slurm's ids are large and cannot be
	// mistaken for an array index), ours only for files Slurm lacks.
	translated, original := map[string][]byte{}, map[string]string{}
	for p, b := range rf {
		translated[tr.slurm(p)] = b
		original[tr.slurm(p)] = p
	}
	paths := unionKeys(translated, of)
	for _, p := range paths {
		rb, inReal := translated[p]
		ob, inOurs := of[p]
		key := "file " + symbolic(p, ours)
		if inReal {
			key = "file " + symbolic(original[p], real)
		}
		if inReal && inOurs && rmodes[original[p]] != omodes[p] {
			add("mode "+strings.TrimPrefix(key, "file "), "%s: mode %v, Slurm's %v", p, omodes[p], rmodes[original[p]])
		}
		switch {
		case !inOurs:
			add(key, "Slurm wrote %s, hpcbridge did not; Slurm's:\n%s", p, indent(tr.slurm(string(rb))))
		case !inReal:
			add(key, "hpcbridge wrote %s, Slurm did not; ours:\n%s", p, indent(string(ob)))
		case strings.HasSuffix(p, ".env"):
			for _, d := range compareEnv(sc, p, tr, parseEnv(rb), parseEnv(ob)) {
				diffs = append(diffs, diff{key: "env " + strings.TrimPrefix(key, "file ") + " " + d.key, detail: d.detail})
			}
		default:
			want, got := dropLines(sc, tr.slurm(string(rb))), dropLines(sc, tr.ours(string(ob)))
			if want != got {
				add(key, "%s differs:\nSlurm:\n%s\nhpcbridge:\n%s", p, indent(want), indent(got))
			}
		}
	}
	diffs = append(diffs, expectEnv(sc, real, rf)...)
	diffs = append(diffs, expectEnv(sc, ours, of)...)
	return diffs, nil
}

// expectEnv checks the scenario's expect-env lines on one run's files.
func expectEnv(sc *scenario, r *run, files map[string][]byte) []diff {
	if len(sc.expectEnv) == 0 {
		return nil
	}
	var diffs []diff
	side := r.c.name
	for _, e := range sc.expectEnv {
		matched := 0
		for _, p := range slices.Sorted(maps.Keys(files)) {
			sym := symbolic(p, r)
			if ok, _ := filepath.Match(e.files, sym); !ok || !strings.HasSuffix(p, ".env") {
				continue
			}
			matched++
			env := parseEnv(files[p])
			for _, kv := range e.vars {
				k, want, _ := strings.Cut(kv, "=")
				if got, ok := env[k]; !ok || got != want {
					state := "unset"
					if ok {
						state = fmt.Sprintf("%q", got)
					}
					diffs = append(diffs, diff{"expect-env " + side + " " + sym + " " + k,
						fmt.Sprintf("%s's job recorded %s with %s %s, want %q", side, p, k, state, want)})
				}
			}
		}
		if matched == 0 {
			diffs = append(diffs, diff{"expect-env " + side + " " + e.files,
				fmt.Sprintf("%s's jobs recorded no environment (*.env) matching %s", side, e.files)})
		}
	}
	return diffs
}

// outcomes are a job's records as "STATE EXITCODE", by record key.
func outcomes(name string, recs []record) map[string]string {
	m := map[string]string{}
	for _, rec := range recs {
		m[rec.key(name)] = rec.State + " " + rec.ExitCode
	}
	return m
}

// symbolic writes a path of run r with its job ids as {NAME} or
// {NAME_TASK} (stable across runs, for known lines).
func symbolic(p string, r *run) string {
	byID := map[string]string{}
	for name, recs := range r.records {
		for _, rec := range recs {
			byID[rec.JobID] = "{" + rec.key(name) + "}"
		}
		byID[r.ids[name]] = "{" + name + "}"
	}
	return digitRun.ReplaceAllStringFunc(p, func(d string) string {
		if s, ok := byID[d]; ok {
			return s
		}
		return d
	})
}

func dropLines(sc *scenario, s string) string {
	if len(sc.ignore) == 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		line := strings.TrimSuffix(l, "\n")
		if !slices.ContainsFunc(sc.ignore, func(re *regexp.Regexp) bool { return re.MatchString(line) }) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// parseEnv reads an `env -0` dump.
func parseEnv(b []byte) map[string]string {
	m := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			m[k] = v
		}
	}
	return m
}

// compareEnv compares two recorded environments: every Slurm variable, and
// the scenario's other variables, after translation. Step environments
// (files named step*) may lack srun's network variables.
func compareEnv(sc *scenario, path string, tr *translator, real, ours map[string]string) []diff {
	notSet, extra := slurmoracle.NotSetBatch, slurmoracle.ExtraBatch
	base := path[strings.LastIndex(path, "/")+1:]
	if strings.HasPrefix(base, "step") {
		notSet = slurmoracle.NotSetStep
	}
	var diffs []diff
	wanted := func(k string) bool { return slurmoracle.IsSlurmVar(k) || slices.Contains(sc.envVars, k) }
	for _, k := range unionKeys(real, ours) {
		if !wanted(k) {
			continue
		}
		rv, inReal := real[k]
		ov, inOurs := ours[k]
		switch {
		case inReal && slices.Contains(notSet, k), inOurs && !inReal && slices.Contains(extra, k):
		case !inOurs:
			diffs = append(diffs, diff{k, fmt.Sprintf("Slurm sets %s=%q, hpcbridge does not", k, rv)})
		case !inReal:
			diffs = append(diffs, diff{k, fmt.Sprintf("hpcbridge sets %s=%q, Slurm does not", k, ov)})
		case slices.Contains(slurmoracle.OwnValues, k):
		default:
			want, got := tr.slurm(rv), tr.ours(ov)
			switch k {
			case "SLURM_CLUSTER_NAME": // the clusters' own names
				want, got = "", ""
			case "PATH": // srun's directory comes first in ours
				got = stripSrunDir(got)
			}
			if want != got {
				diffs = append(diffs, diff{k, fmt.Sprintf("%s=%q, Slurm has %q", k, got, want)})
			}
		}
	}
	return diffs
}

// stripSrunDir drops the task's own bin directory (where srun is) from the
// front of a PATH; docs/driver.md explains it.
func stripSrunDir(path string) string {
	first, rest, ok := strings.Cut(path, ":")
	if ok && strings.HasSuffix(first, "/bin") && strings.Contains(first, "/alloc/") {
		return rest
	}
	return path
}

func unionKeys[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(no record)"
	}
	return s
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}
