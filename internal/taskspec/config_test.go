package taskspec

import (
	"reflect"
	"slices"
	"testing"
)

// Tags are Config's codec tags, in field order.
func tags() []string {
	t := reflect.TypeFor[Config]()
	out := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		out = append(out, f.Tag.Get("codec"))
	}
	return out
}

// TestToMapKeys: ToMap writes every field under its codec tag, with the
// field's value, so the map the executor sends is what the driver decodes
// (a multi-node config: a one-node one leaves the layout out, see
// TestToMapOneNode).
func TestToMapKeys(t *testing.T) {
	c := Config{Script: "s", ScriptName: "n", Args: []string{"a"}, Workdir: "/w", Output: "o", Error: "e", Input: "i",
		OpenMode: "append", TimeLimitMin: 7, Env: map[string]string{"K": "v"},
		Nodes: 2, NTasks: 4, NTasksPerNode: 2, CPUsPerTask: 3, CPUsPerNode: 6, StepService: "hpcbridge-step-slurm-1",
		Coordinator: "http://127.0.0.1:1", RunToken: "t", JobID: 9, Run: 1, StagedInput: "sha256:i", Restore: "sha256:r", CheckpointDir: "ckpt"}
	m := c.ToMap()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	want := tags()
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("ToMap keys %v, codec tags %v", keys, want)
	}
	v := reflect.ValueOf(c)
	for i, tag := range tags() {
		if !reflect.DeepEqual(m[tag], v.Field(i).Interface()) {
			t.Errorf("%s: map holds %#v, field %#v", tag, m[tag], v.Field(i).Interface())
		}
	}
}

// TestToMapOneNode: a one-node job's config has only the keys it had
// before multi-node jobs, so a driver that does not know the layout keys
// still takes it.
func TestToMapOneNode(t *testing.T) {
	c := Config{Script: "s", Nodes: 1, NTasks: 1}
	for _, k := range []string{"nodes", "ntasks", "ntasks_per_node", "cpus_per_task", "cpus_per_node", "step_service",
		"coordinator", "run_token", "job_id", "run", "staged_input", "restore", "checkpoint_dir"} {
		if _, ok := c.ToMap()[k]; ok {
			t.Errorf("one-node config has %q", k)
		}
	}
}
