package nomadexec

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

func parse(t *testing.T, script string, args ...string) *state.Submission {
	t.Helper()
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script), Args: args})
	if spec == nil {
		t.Fatalf("parse: %v", diags)
	}
	return &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/ada/run", SubmitHost: "login1",
		Env: []string{"HOME=/home/ada", "OMP_NUM_THREADS=4"}, Spec: spec}
}

func TestNomadID(t *testing.T) {
	for _, c := range []struct {
		job  state.Job
		want string
	}{
		{state.Job{ID: 12, ArrayTaskID: state.NoTask}, "slurm-12"},
		{state.Job{ID: 40, ArrayJobID: 30, ArrayTaskID: 7}, "slurm-30_7"},
		{state.Job{ID: 12, ArrayTaskID: state.NoTask, RestartCount: 2}, "slurm-12-r2"},
	} {
		if got := NomadID(&c.job); got != c.want {
			t.Errorf("NomadID(%+v) = %q, want %q", c.job, got, c.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	sub := parse(t, "#!/bin/bash\n#SBATCH -J train -n 2 -c 3 --mem=2G -t 90 -A phys --qos=high -o out-%j.txt -e err-%j.txt\n#SBATCH --constraint=avx2&ib --exclude=n[01-02]\necho hi\n")
	j := &state.Job{ID: 77, ArrayTaskID: state.NoTask, Name: "train", User: "ada", Account: "phys", QOS: "high", Partition: "gpu", TimeLimitMin: 90, Dependency: "afterok:5"}
	tr := Translation{ClusterName: "hb", MHzPerCPU: 200, Partitions: map[string]Partition{"gpu": {NodePool: "gpus", Datacenters: []string{"dc2"}}}}
	job, err := tr.Translate(j, sub)
	if err != nil {
		t.Fatal(err)
	}
	if *job.ID != "slurm-77" || *job.Type != "batch" || *job.NodePool != "gpus" || !reflect.DeepEqual(job.Datacenters, []string{"dc2"}) {
		t.Errorf("job identity/placement: id %s type %s pool %s dcs %v", *job.ID, *job.Type, *job.NodePool, job.Datacenters)
	}
	for k, want := range map[string]string{MetaJobID: "77", MetaUser: "ada", MetaAccount: "phys", MetaPartition: "gpu", MetaQOS: "high",
		MetaSubmitDir: "/home/ada/run", MetaScript: "job.sh", MetaDependency: "afterok:5", MetaTimeLimit: "01:30:00", MetaRestartCount: "0"} {
		if job.Meta[k] != want {
			t.Errorf("meta %s = %q, want %q", k, job.Meta[k], want)
		}
	}
	g := job.TaskGroups[0]
	if *g.RestartPolicy.Attempts != 0 || *g.ReschedulePolicy.Attempts != 0 || *g.ReschedulePolicy.Unlimited {
		t.Error("Nomad must neither restart nor reschedule: the coordinator owns requeue")
	}
	task := g.Tasks[0]
	if task.Driver != DriverName || *task.Resources.CPU != 6*200 || *task.Resources.MemoryMB != 2048 {
		t.Errorf("task driver %s cpu %d mem %d", task.Driver, *task.Resources.CPU, *task.Resources.MemoryMB)
	}
	if task.User != "ada" {
		t.Errorf("task user %q, want the job's owner ada (a submitter node runs the job as that account)", task.User)
	}
	if task.Config["output"] != "out-%j.txt" || task.Config["error"] != "err-%j.txt" || task.Config["workdir"] != "/home/ada/run" || task.Config["time_limit_min"] != 90 {
		t.Errorf("task config %v", task.Config)
	}
	for k, want := range map[string]string{"SLURM_JOB_ID": "77", "SLURM_JOB_NAME": "train", "SLURM_NTASKS": "2", "SLURM_CPUS_PER_TASK": "3",
		"SLURM_MEM_PER_NODE": "2048", "SLURM_JOB_ACCOUNT": "phys", "SLURM_JOB_QOS": "high", "SLURM_JOB_PARTITION": "gpu",
		"SLURM_SUBMIT_DIR": "/home/ada/run", "SLURM_SUBMIT_HOST": "login1", "SLURM_CLUSTER_NAME": "hb", "SLURM_CPUS_ON_NODE": "6",
		"OMP_NUM_THREADS": "4"} {
		if taskEnv(task)[k] != want {
			t.Errorf("env %s = %q, want %q", k, taskEnv(task)[k], want)
		}
	}
	if len(task.Env) != 0 {
		t.Errorf("Nomad task env %v: the job's environment travels in the config (Nomad would interpolate it and add its own)", task.Env)
	}
	if v, ok := taskEnv(task)["SLURM_RESTART_COUNT"]; ok {
		t.Errorf("SLURM_RESTART_COUNT=%q in a first run; Slurm sets it only after a requeue", v)
	}
	var cons []string
	for _, c := range g.Constraints {
		cons = append(cons, c.LTarget+" "+c.Operand+" "+c.RTarget)
	}
	want := []string{"${meta.slurm_features} set_contains avx2,ib", "${node.unique.name} != n01", "${node.unique.name} != n02"}
	if !reflect.DeepEqual(cons, want) {
		t.Errorf("constraints %q, want %q", cons, want)
	}
}

func TestTranslateArrayTask(t *testing.T) {
	sub := parse(t, "#!/bin/sh\n#SBATCH --array=1-9:2%2\ntrue\n")
	sub.Spec.Array.Ranges = nil // as after the Raft log's JSON
	j := &state.Job{ID: 31, ArrayJobID: 30, ArrayTaskID: 5, Name: "job.sh", User: "ada", Partition: "debug", RestartCount: 1}
	job, err := (&Translation{}).Translate(j, sub)
	if err != nil {
		t.Fatal(err)
	}
	env := taskEnv(job.TaskGroups[0].Tasks[0])
	for k, want := range map[string]string{"SLURM_JOB_ID": "31", "SLURM_ARRAY_JOB_ID": "30", "SLURM_ARRAY_TASK_ID": "5",
		"SLURM_ARRAY_TASK_COUNT": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_RESTART_COUNT": "1"} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	if *job.ID != "slurm-30_5-r1" || job.Meta[MetaArrayJobID] != "30" || job.Meta[MetaArrayTaskID] != "5" {
		t.Errorf("id %s meta %v", *job.ID, job.Meta)
	}
	if job.TaskGroups[0].Tasks[0].Config["output"] != "slurm-%A_%a.out" {
		t.Errorf("array default output %v", job.TaskGroups[0].Tasks[0].Config["output"])
	}
}

func TestTranslateRefuses(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{"#!/bin/sh\n#SBATCH -N 2000\n", "Node count specification invalid"},
		{"#!/bin/sh\n#SBATCH --constraint=[a*2&b]\n", "bracketed"},
		{"#!/bin/sh\n#SBATCH -N 1 --nodelist=n[1-2]\n", "names 2 nodes"},
		{"#!/bin/sh\n#SBATCH -N 3 --nodelist=n[1-2]\n", "names all its nodes or none"},
	} {
		_, err := (&Translation{}).Translate(&state.Job{ID: 1, ArrayTaskID: state.NoTask}, parse(t, c.script))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.script, err, c.want)
		}
	}
}

// fixedModels is a GPUModels over a fixed table.
type fixedModels map[string][]string

func (f fixedModels) ModelsOfType(t string) []string { return f[strings.ToLower(t)] }

// TestTranslateGPUs: every GPU form the parser knows becomes Nomad device
// requests and the CPUs and memory real Slurm 22.05 gives the same
// submission (the oracle's scontrol show job of the running job: NumCPUs,
// and TRES mem when memory comes per GPU); a type selects only the models
// it names, or whose plugin gives them that gres_type.
func TestTranslateGPUs(t *testing.T) {
	tr := Translation{GPUModels: fixedModels{"a100_80gb": {"NVIDIA A100-SXM4-80GB"}}}
	type dev struct {
		count uint64
		match []string // models the device constraint accepts
		not   []string // and refuses
	}
	a100, h100, a10 := "NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3", "NVIDIA A10"
	for _, c := range []struct {
		args []string
		cpus int   // Slurm's NumCPUs
		mem  int64 // MiB reserved (512: the default when no memory is asked for)
		devs []dev
	}{
		{nil, 1, 512, nil},
		{[]string{"--gres=gpu:2"}, 1, 512, []dev{{2, []string{a100, h100}, nil}}},
		{[]string{"--gres=gpu:a100:2"}, 1, 512, []dev{{2, []string{a100, "nvidia a100 pcie"}, []string{h100, "A1000", "xa100"}}}},
		{[]string{"--gres=gpu:a10:1"}, 1, 512, []dev{{1, []string{a10}, []string{a100}}}},
		{[]string{"--gres=gpu:a100_80gb:1"}, 1, 512, []dev{{1, []string{"NVIDIA A100-SXM4-80GB"}, []string{a100}}}},
		{[]string{"--gpus=2"}, 1, 512, []dev{{2, []string{a100}, nil}}},
		{[]string{"--gpus=h100:2"}, 1, 512, []dev{{2, []string{h100}, []string{a100}}}},
		{[]string{"--gpus-per-node=2"}, 1, 512, []dev{{2, nil, nil}}},
		{[]string{"-n", "2", "--gpus-per-task=1"}, 2, 512, []dev{{2, nil, nil}}},
		{[]string{"--gres=gpu:2", "--cpus-per-gpu=4"}, 8, 512, []dev{{2, nil, nil}}},
		{[]string{"--gres=gpu:2", "--mem-per-gpu=1G"}, 1, 2048, []dev{{2, nil, nil}}},
		{[]string{"--gpus=3", "--cpus-per-gpu=2", "--mem-per-gpu=100"}, 6, 300, []dev{{3, nil, nil}}},
		{[]string{"-n", "3", "--gpus-per-task=2", "--cpus-per-gpu=1"}, 6, 512, []dev{{6, nil, nil}}},
		{[]string{"-n", "2", "-c", "3", "--gpus-per-task=1"}, 6, 512, []dev{{2, nil, nil}}},
		{[]string{"--gpus-per-node=a100:2", "--cpus-per-gpu=3"}, 6, 512, []dev{{2, []string{a100}, []string{h100}}}},
		{[]string{"--gpus=2", "--gpus-per-task=1"}, 2, 512, []dev{{2, nil, nil}}},
		{[]string{"--gpus=4", "--gpus-per-task=2", "--cpus-per-gpu=3"}, 12, 512, []dev{{4, nil, nil}}},
		{[]string{"--gres=gpu:a100:1,gpu:h100:1"}, 1, 512, []dev{{1, []string{a100}, []string{h100}}, {1, []string{h100}, []string{a100}}}},
		{[]string{"--gpus=a100:2,h100:1"}, 1, 512, []dev{{2, []string{a100}, []string{h100}}, {1, []string{h100}, []string{a100}}}},
		{[]string{"--gpus=h100:4", "--gres=gpu:h100.x:4"}, 1, 512, []dev{{4, []string{h100, "H100.X"}, []string{"h100x", a100}}}},
	} {
		job, err := tr.Translate(&state.Job{ID: 1, ArrayTaskID: state.NoTask}, parse(t, "#!/bin/sh\ntrue\n", c.args...))
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		env := job.TaskGroups[0].Tasks[0].Config["env"].(map[string]string)
		for k, flag := range map[string]string{"SLURM_GPUS": "--gpus=", "SLURM_GPUS_PER_NODE": "--gpus-per-node=",
			"SLURM_GPUS_PER_TASK": "--gpus-per-task=", "SLURM_CPUS_PER_GPU": "--cpus-per-gpu="} {
			want := ""
			for _, a := range c.args {
				if v, ok := strings.CutPrefix(a, flag); ok {
					want = v
				}
			}
			if env[k] != want {
				t.Errorf("%v: %s=%q, want %q (the option as given)", c.args, k, env[k], want)
			}
		}
		res := job.TaskGroups[0].Tasks[0].Resources
		if *res.CPU != c.cpus*DefaultMHzPerCPU || int64(*res.MemoryMB) != c.mem {
			t.Errorf("%v: %d MHz, %d MiB; want %d CPUs (%d MHz), %d MiB", c.args, *res.CPU, *res.MemoryMB, c.cpus, c.cpus*DefaultMHzPerCPU, c.mem)
		}
		if len(res.Devices) != len(c.devs) {
			t.Errorf("%v: %d device requests, want %d", c.args, len(res.Devices), len(c.devs))
			continue
		}
		for i, want := range c.devs {
			d := res.Devices[i]
			if d.Name != GPUDevice || *d.Count != want.count {
				t.Errorf("%v: device %d is %d × %s, want %d × %s", c.args, i, *d.Count, d.Name, want.count, GPUDevice)
			}
			pattern := ""
			for _, con := range d.Constraints {
				if con.LTarget == "${device.model}" && con.Operand == "regexp" {
					pattern = con.RTarget
				}
			}
			if pattern == "" {
				if len(want.not) > 0 {
					t.Errorf("%v: device %d has no model constraint", c.args, i)
				}
				continue
			}
			re := regexp.MustCompile(pattern)
			for _, m := range want.match {
				if !re.MatchString(m) {
					t.Errorf("%v: %q refuses model %q", c.args, pattern, m)
				}
			}
			for _, m := range want.not {
				if re.MatchString(m) {
					t.Errorf("%v: %q accepts model %q", c.args, pattern, m)
				}
			}
		}
	}
}

func TestTranslateWholeNode(t *testing.T) {
	tr := Translation{MHzPerCPU: 100}
	stub := &api.NodeListStub{ID: "n-1", Name: "gpu7", Status: api.NodeStatusReady, SchedulingEligibility: api.NodeSchedulingEligible,
		NodeResources:     &api.NodeResources{Cpu: api.NodeCpuResources{CpuShares: 16000, TotalCpuCores: 8}, Memory: api.NodeMemoryResources{MemoryMB: 32768}},
		ReservedResources: &api.NodeReservedResources{Cpu: api.NodeReservedCpuResources{CpuShares: 1000}, Memory: api.NodeReservedMemoryResources{MemoryMB: 768}}}
	whole, ok := wholeOf(stub)
	if !ok || whole != (wholeNode{ID: "n-1", Name: "gpu7", CPUs: 8, MHz: 15000, MemMiB: 32000}) {
		t.Fatalf("wholeOf = %+v, %v", whole, ok)
	}
	for _, bad := range []func(*api.NodeListStub){
		func(n *api.NodeListStub) { n.Status = api.NodeStatusDown },
		func(n *api.NodeListStub) { n.SchedulingEligibility = api.NodeSchedulingIneligible },
		func(n *api.NodeListStub) { n.Drain = true },
		func(n *api.NodeListStub) { n.NodeResources = nil },
	} {
		n := *stub
		bad(&n)
		if _, ok := wholeOf(&n); ok {
			t.Errorf("wholeOf(%+v) takes jobs", n)
		}
	}
	job, err := tr.translate(&state.Job{ID: 5, ArrayTaskID: state.NoTask}, parse(t, "#!/bin/sh\n#SBATCH --exclusive -c 2 --mem=1G\ntrue\n"), &whole)
	if err != nil {
		t.Fatal(err)
	}
	task := job.TaskGroups[0].Tasks[0]
	if *task.Resources.CPU != 15000 || *task.Resources.MemoryMB != 32000 || taskEnv(task)["SLURM_CPUS_ON_NODE"] != "8" || taskEnv(task)["SLURM_JOB_CPUS_PER_NODE"] != "8" {
		t.Errorf("whole node: cpu %d mem %d env %v", *task.Resources.CPU, *task.Resources.MemoryMB, taskEnv(task))
	}
	pinned := false
	for _, c := range job.TaskGroups[0].Constraints {
		pinned = pinned || c.LTarget == "${node.unique.id}" && c.Operand == "=" && c.RTarget == "n-1"
	}
	if !pinned {
		t.Errorf("not pinned to the node: %v", job.TaskGroups[0].Constraints)
	}
}

// taskEnv is the job's environment in a translated task's config.
func taskEnv(task *api.Task) map[string]string {
	env, _ := task.Config["env"].(map[string]string)
	return env
}

func TestTranslateEnvForDriver(t *testing.T) {
	sub := parse(t, "#!/bin/sh\ntrue\n")
	sub.Env = []string{"PS1=${debian_chroot:+($debian_chroot)}\\u@\\h", "FOO=bar"}
	sub.ScriptName = "/home/ada/job.sh"
	export := "NONE,FOO=bar"
	sub.Spec.Export = &export
	job, err := (&Translation{}).Translate(&state.Job{ID: 9, ArrayTaskID: state.NoTask, User: "ada"}, sub)
	if err != nil {
		t.Fatal(err)
	}
	task := job.TaskGroups[0].Tasks[0]
	env := taskEnv(task)
	// Nomad evaluates the config as HCL: "${" must arrive escaped.
	if env["PS1"] != "$${debian_chroot:+($debian_chroot)}\\u@\\h" || env["FOO"] != "bar" {
		t.Errorf("env PS1=%q FOO=%q", env["PS1"], env["FOO"])
	}
	// sbatch --export=NONE (or a list) makes the node add the user's
	// login environment, as Slurm 22.05 does.
	if env["SLURM_GET_USER_ENV"] != "1" || env["SLURM_EXPORT_ENV"] != export {
		t.Errorf("SLURM_GET_USER_ENV=%q SLURM_EXPORT_ENV=%q", env["SLURM_GET_USER_ENV"], env["SLURM_EXPORT_ENV"])
	}
	// $0 is .../slurm_script whatever the script's own name, as under slurmd.
	if task.Config["script_name"] != "slurm_script" || job.Meta[MetaScript] != "/home/ada/job.sh" {
		t.Errorf("script_name %v, meta %v", task.Config["script_name"], job.Meta[MetaScript])
	}
}
