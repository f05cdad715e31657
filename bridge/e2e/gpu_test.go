package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestGPUJobsOnFakeGPUs runs GPU jobs on a real Nomad whose node has 8
// fake A100s (the device plugin's fake backend): 2-GPU jobs share the
// node on disjoint GPUs and the one that does not fit waits PENDING
// (Resources); --gpus-per-task gives each srun task its own GPU; requests
// no node can ever meet are refused at submit; the GPU examples run; sacct
// accounts the GPUs.
func TestGPUJobsOnFakeGPUs(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	top, uuids := newGPUStack(t, "a100", 8)
	t.Run("four 2-GPU jobs at once, the fifth waits", func(t *testing.T) { gpuPacking(top.on(t), uuids) })
	t.Run("gpus per task", func(t *testing.T) { gpuPerTask(top.on(t)) })
	t.Run("impossible requests refused at submit", func(t *testing.T) { gpuRefused(top.on(t)) })
	t.Run("GPU examples", func(t *testing.T) { gpuExamples(top.on(t)) })
}

// gpuPacking submits five 2-GPU jobs to the 8-GPU node: four run at once,
// each on two GPUs no other job holds (the UUIDs it printed, the ones
// Nomad allocated to it); the fifth waits PENDING (Resources) until one
// ends, then runs on the GPUs that one gave back. sacct shows each job's
// GPUs in AllocTRES.
func gpuPacking(st *stack, nodeUUIDs []string) {
	t := st.t
	st = st.in("packing")
	script := st.script("gpu2.sh", gpuEnvScript)
	var ids []string
	for range 5 {
		ids = append(ids, st.sbatch("--gres=gpu:2", "-c", "1", "--mem=64M", "-o", "gpu2-%j.out", script))
	}
	output := func(id string) gpuOutput { return parseGPUOutput(st.readOutput("gpu2-" + id + ".out")) }

	// Four start (and stay: none is released yet); the fifth waits.
	var running []string
	var waiting string
	eventually(t, "four of the five 2-GPU jobs started, the fifth PENDING (Resources)", 3*time.Minute, func() error {
		running, waiting = nil, ""
		for _, id := range ids {
			if output(id).started {
				running = append(running, id)
			} else {
				waiting = id
			}
		}
		if len(running) != 4 {
			return fmt.Errorf("started: %v", running)
		}
		if got := strings.TrimSpace(st.must("squeue", "-h", "-j", waiting, "-o", "%t|%R")); got != "PD|(Resources)" {
			return fmt.Errorf("squeue for the fifth job %s: %q, want PD|(Resources)", waiting, got)
		}
		return nil
	})
	if waiting != ids[4] {
		t.Errorf("job %s waits, not the last submitted (%s): Slurm starts jobs of equal priority in submit order", waiting, ids[4])
	}
	if j := st.wait(waiting, 10*time.Second, "known", func(*state.Job) bool { return true }); j.State != state.StatePending || j.Reason != state.ReasonResources || j.NodeList != "" {
		t.Errorf("the fifth job: %s (%s) on %q, want PENDING (Resources) on no node", j.State, j.Reason, j.NodeList)
	}

	holder := map[string]string{} // GPU UUID -> job
	indexes := map[string]string{}
	checkJob := func(id string) []string {
		t.Helper()
		o := output(id)
		got := o.uuids()
		slices.Sort(got)
		if len(got) != 2 {
			t.Errorf("job %s sees GPUs %v, want 2 (output %v)", id, got, o.vars)
		}
		for _, u := range got {
			if !slices.Contains(nodeUUIDs, u) {
				t.Errorf("job %s sees GPU %s, not one of the node's %v", id, u, nodeUUIDs)
			}
			if other, ok := holder[u]; ok && other != id {
				t.Errorf("GPU %s given to job %s while job %s holds it", u, id, other)
			}
			holder[u] = id
		}
		alloc, err := allocatedGPUs(st.agent.API(), id)
		if err != nil || !slices.Equal(alloc, got) {
			t.Errorf("job %s: Nomad allocated %v (%v), the job sees %v", id, alloc, err, got)
		}
		cuda := list(o.vars["CUDA_VISIBLE_DEVICES"])
		if len(cuda) != 2 || o.vars["SLURM_JOB_GPUS"] != o.vars["CUDA_VISIBLE_DEVICES"] || o.vars["SLURM_GPUS_ON_NODE"] != "2" {
			t.Errorf("job %s: CUDA_VISIBLE_DEVICES=%q SLURM_JOB_GPUS=%q SLURM_GPUS_ON_NODE=%q, want the same two indexes and 2",
				id, o.vars["CUDA_VISIBLE_DEVICES"], o.vars["SLURM_JOB_GPUS"], o.vars["SLURM_GPUS_ON_NODE"])
		}
		for _, i := range cuda {
			if other, ok := indexes[i]; ok && other != id {
				t.Errorf("GPU index %s given to job %s while job %s holds it", i, id, other)
			}
			indexes[i] = id
		}
		return got
	}
	gpusOf := map[string][]string{}
	for _, id := range running {
		gpusOf[id] = checkJob(id)
	}
	if len(holder) != 8 {
		t.Errorf("four 2-GPU jobs hold %d distinct GPUs, want 8: %v", len(holder), holder)
	}
	// What the Slurm commands say meanwhile: the job's TRES (squeue's
	// format as the oracle prints it), and all 8 GPUs in use on the node.
	if got := strings.TrimSpace(st.must("squeue", "-h", "-j", running[0], "-o", "%b")); got != "gres:gpu:2" {
		t.Errorf("squeue -o %%b for a running 2-GPU job: %q, want gres:gpu:2", got)
	}
	eventually(t, "sinfo -O GresUsed shows the 8 GPUs in use", time.Minute, func() error {
		if got := strings.TrimSpace(st.must("sinfo", "-h", "-N", "-O", "GresUsed")); got != "gpu:a100:8(IDX:0-7)" {
			return fmt.Errorf("sinfo -h -N -O GresUsed: %q, want gpu:a100:8(IDX:0-7)", got)
		}
		return nil
	})

	// One ends: the fifth runs, on the two GPUs it gave back.
	first := running[0]
	st.release(first)
	st.waitEnded(2*time.Minute, first)
	for _, u := range gpusOf[first] {
		delete(holder, u)
	}
	for i, id := range indexes {
		if id == first {
			delete(indexes, i)
		}
	}
	eventually(t, "the fifth job started once a job ended", 2*time.Minute, func() error {
		if !output(waiting).started {
			return fmt.Errorf("squeue: %s", st.must("squeue", "-h", "-j", waiting, "-o", "%t|%R"))
		}
		return nil
	})
	gpusOf[waiting] = checkJob(waiting)
	if got := gpusOf[waiting]; !slices.Equal(got, gpusOf[first]) {
		t.Errorf("the fifth job runs on %v, want the GPUs job %s gave back, %v", got, first, gpusOf[first])
	}

	for _, id := range ids[1:] {
		st.release(id)
	}
	st.waitEnded(2*time.Minute, ids...)
	for _, id := range ids {
		if got := st.sacctState(id); got != "COMPLETED|0:0" {
			t.Errorf("job %s: sacct %q, want COMPLETED|0:0", id, got)
		}
		if !output(id).released {
			t.Errorf("job %s did not run to its end:\n%s", id, st.readOutput("gpu2-"+id+".out"))
		}
		if got := st.must("sacct", "-n", "-X", "-P", "-j", id, "--format=AllocTRES"); !strings.Contains(got, "gres/gpu=2") {
			t.Errorf("job %s: sacct AllocTRES %q lacks gres/gpu=2", id, strings.TrimSpace(got))
		}
		// The accounting record: the GPUs the job ran on, and GPUs x its
		// run time as the coordinator observed it.
		j := st.wait(id, 10*time.Second, "accounted", func(j *state.Job) bool { return j.GPU != nil })
		if !slices.Equal(j.GPU.UUIDs, gpusOf[id]) || j.GPU.Count() != 2 {
			t.Errorf("job %s: accounted GPUs %v, it ran on %v", id, j.GPU.UUIDs, gpusOf[id])
		}
		if want := state.GPUSeconds(2, j.StartTime, j.EndTime); j.GPU.Seconds != want || j.EndTime.Sub(j.StartTime) >= time.Second && want <= 0 {
			t.Errorf("job %s: GPU-seconds %d, want 2 x its run %v = %d", id, j.GPU.Seconds, j.EndTime.Sub(j.StartTime), want)
		}
		if got, want := strings.TrimSpace(st.must("sacct", "-n", "-X", "-P", "-j", id, "--format=GPUSeconds")), fmt.Sprint(j.GPU.Seconds); got != want {
			t.Errorf("job %s: sacct GPUSeconds %q, want %s", id, got, want)
		}
	}
}

// gpuPerTask: -n 2 --gpus-per-task=1 gives the job two GPUs and each srun
// task one of them, a different one.
func gpuPerTask(st *stack) {
	t := st.t
	st = st.in("pertask")
	script := st.script("pertask.sh", `#!/bin/bash
echo "batch CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES SLURM_JOB_GPUS=$SLURM_JOB_GPUS SLURM_GPUS_PER_TASK=$SLURM_GPUS_PER_TASK"
srun bash -c 'echo "task $SLURM_PROCID CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES SLURM_STEP_GPUS=$SLURM_STEP_GPUS"' | sort
`)
	id := st.sbatch("-n", "2", "--gpus-per-task=1", "-c", "1", "--mem-per-cpu=64M", "-o", "pertask-%j.out", script)
	st.waitEnded(2*time.Minute, id)
	out := st.readOutput("pertask-" + id + ".out")
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Fatalf("sacct %q, want COMPLETED|0:0\n%s", got, out)
	}
	m := regexp.MustCompile(`^batch CUDA_VISIBLE_DEVICES=(\d+),(\d+) SLURM_JOB_GPUS=(\d+,\d+) SLURM_GPUS_PER_TASK=1\ntask 0 CUDA_VISIBLE_DEVICES=(\d+) SLURM_STEP_GPUS=(\S*)\ntask 1 CUDA_VISIBLE_DEVICES=(\d+) SLURM_STEP_GPUS=(\S*)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pertask-%s.out is not two GPUs for the job and one for each task:\n%s", id, out)
	}
	job := []string{m[1], m[2]}
	if m[3] != m[1]+","+m[2] {
		t.Errorf("SLURM_JOB_GPUS=%s, CUDA_VISIBLE_DEVICES=%s,%s", m[3], m[1], m[2])
	}
	if m[4] == m[6] || !slices.Contains(job, m[4]) || !slices.Contains(job, m[6]) {
		t.Errorf("tasks see GPUs %s and %s, want one each of the job's %v:\n%s", m[4], m[6], job, out)
	}
}

// gpuRefused: a request no node can ever meet (more GPUs than a node has,
// a GPU type no node has) is refused by sbatch, with Slurm's words, and
// leaves no job behind.
func gpuRefused(st *stack) {
	t := st.t
	script := st.script("never.sh", "#!/bin/sh\ntrue\n")
	before := st.must("squeue", "-h", "-o", "%i")
	for _, args := range [][]string{{"--gres=gpu:9"}, {"--gres=gpu:v100:1"}, {"--gpus=9"}, {"-n", "3", "--gpus-per-task=3"}} {
		out, err := st.run("sbatch", append(args, script)...)
		if err == nil {
			t.Errorf("sbatch %s on 8-GPU A100 nodes: accepted (%q), want refused", strings.Join(args, " "), out)
			continue
		}
		if !strings.Contains(out, "Requested node configuration is not available") {
			t.Errorf("sbatch %s refused with %q, want Slurm's \"Requested node configuration is not available\"", strings.Join(args, " "), out)
		}
	}
	if after := st.must("squeue", "-h", "-o", "%i"); after != before {
		t.Errorf("refused submissions left jobs: squeue %q, before %q", after, before)
	}
}

// gpuExamples runs gpu-train-checkpoint.sh (3 epochs) and gpu-per-task.sh
// as their headers say, and checks their outputs.
func gpuExamples(st *stack) {
	t := st.t
	st = st.in("examples")
	dir := examplesDir(t)
	train := st.sbatch(filepath.Join(dir, "gpu-train-checkpoint.sh"), "3")
	perTask := st.sbatch(filepath.Join(dir, "gpu-per-task.sh"))
	st.waitEnded(3*time.Minute, train, perTask)
	for _, id := range []string{train, perTask} {
		if got := st.sacctState(id); got != "COMPLETED|0:0" {
			t.Errorf("job %s: sacct %q, want COMPLETED|0:0", id, got)
		}
	}
	out := st.readFile("train-ckpt-" + train + ".out")
	if !regexp.MustCompile(`(?m)^CUDA_VISIBLE_DEVICES=\d$`).MatchString(out) ||
		!strings.Contains(out, "epoch 3/3 ") || !strings.Contains(out, "training complete: 3 epochs, 1 run(s)\n") {
		t.Errorf("train-ckpt-%s.out: want one GPU, 3 epochs, training complete:\n%s", train, out)
	}
	out = st.readFile("gpu-per-task-" + perTask + ".out")
	m := regexp.MustCompile(`(?m)^task 0: CUDA_VISIBLE_DEVICES=(\d)\ntask 1: CUDA_VISIBLE_DEVICES=(\d)\n\z`).FindStringSubmatch(out)
	if m == nil || m[1] == m[2] {
		t.Errorf("gpu-per-task-%s.out: want one different GPU per task:\n%s", perTask, out)
	}
}

// TestGPUTypedRequestsOnTwoNodeDev: on `hpcbridge dev --nodes 2` with fake
// A100s on its first node (127.0.1.101) and fake H100s on its second
// (127.0.1.102), --gres=gpu:h100:1 runs only on the second and
// --gres=gpu:a100:1 only on the first; sinfo shows each node's GPUs
// by type, marked fake; more H100s than a node has is refused at submit.
func TestGPUTypedRequestsOnTwoNodeDev(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildGPUTools(t)
	dev := startDev(t, binDir, plugins, "--nodes", "2", "--gpu-backend", "fake", "--gpus", "2", "--gpu-model", "a100,h100")
	st := &stack{t: t, binDir: binDir, plugins: plugins, work: sharedDir(t), token: dev.managementToken(t)}
	st.api = client(t, dev.url, st.token)
	st.env = append(os.Environ(), "HPCBRIDGE_ADDR="+dev.url, "HPCBRIDGE_TOKEN="+st.token, "PATH="+binDir+":"+os.Getenv("PATH"))

	node1, node2 := devNodeNames[0], devNodeNames[1]
	eventually(t, "sinfo shows the first node's A100s and the second's H100s, fake", 2*time.Minute, func() error {
		out, err := st.run("sinfo", "-h", "-N", "-o", "%N %G")
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], node1+" ") || !strings.Contains(lines[0], "gpu:a100:2") ||
			!strings.HasPrefix(lines[1], node2+" ") || !strings.Contains(lines[1], "gpu:h100:2") || strings.Count(out, "fake") != 2 {
			return fmt.Errorf("sinfo -N -o '%%N %%G': %q", out)
		}
		return nil
	})

	script := st.script("typed.sh", "#!/bin/bash\necho \"$SLURMD_NODENAME CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES\"\n")
	want := map[string]string{}
	for range 3 {
		want[st.sbatch("--gres=gpu:h100:1", "--mem=64M", script)] = node2
	}
	want[st.sbatch("--gres=gpu:a100:1", "--mem=64M", script)] = node1
	for id, node := range want {
		st.waitEnded(3*time.Minute, id)
		j := st.wait(id, 10*time.Second, "known", func(*state.Job) bool { return true })
		if got := st.sacctState(id); got != "COMPLETED|0:0" || j.NodeList != node {
			t.Errorf("job %s: sacct %q on %q, want COMPLETED|0:0 on %s", id, got, j.NodeList, node)
		}
		if out := st.readFile("slurm-" + id + ".out"); !regexp.MustCompile(`^` + regexp.QuoteMeta(node) + ` CUDA_VISIBLE_DEVICES=\d\n$`).MatchString(out) {
			t.Errorf("slurm-%s.out = %q, want one GPU on %s", id, out, node)
		}
	}
	out, err := st.run("sbatch", "--gres=gpu:h100:3", script)
	if err == nil || !strings.Contains(out, "Requested node configuration is not available") {
		t.Errorf("sbatch --gres=gpu:h100:3 with two H100s per node: %q (%v), want refused: Requested node configuration is not available", out, err)
	}
}
