package nomadexec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// DriverName is the task driver that runs Slurm batch scripts
// (drivers/taskdriver).
const DriverName = "hpcbridge"

// TaskName is the name of the one task of every translated job.
const TaskName = "batch"

// JobPrefix starts the id of every Nomad job hpcbridge registers.
const JobPrefix = "slurm-"

// Meta keys of translated Nomad jobs: the Slurm identity an admin sees in
// the Nomad UI.
const (
	MetaJobID        = "slurm_job_id"
	MetaArrayJobID   = "slurm_array_job_id"
	MetaArrayTaskID  = "slurm_array_task_id"
	MetaUser         = "slurm_user"
	MetaAccount      = "slurm_account"
	MetaPartition    = "slurm_partition"
	MetaQOS          = "slurm_qos"
	MetaSubmitDir    = "slurm_submit_dir"
	MetaScript       = "slurm_script"
	MetaDependency   = "slurm_dependency"
	MetaTimeLimit    = "slurm_time_limit"
	MetaRestartCount = "slurm_restart_count"
	MetaExclusive    = "slurm_exclusive"
)

// NodeMetaFeatures is the node meta key listing a Nomad client's Slurm
// features (comma separated), which --constraint matches.
const NodeMetaFeatures = "slurm_features"

// LostAfter is how long Nomad holds the allocation of a node that stopped
// heartbeating as unknown before it calls it lost. Nomad replaces a lost
// allocation whatever the reschedule policy says, which would run the
// script again beside the coordinator's requeued run; so a job's group
// says disconnect { lost_after = LostAfter, replace = false }, and the
// executor ends the run as NODE_FAIL and stops its Nomad job as soon as the
// allocation turns unknown. LostAfter only needs to outlast a coordinator
// without a leader.
const LostAfter = 24 * time.Hour

// Partition says where a Slurm partition's jobs may run in Nomad.
type Partition struct {
	// Datacenters (default all: "*").
	Datacenters []string
	// NodePool (default "default").
	NodePool string
	// Constraints added to every job of the partition.
	Constraints []*api.Constraint
	// Staged: the partition's nodes do not see the submit directory
	// (files:staged in --partition-map; docs/files.md).
	Staged bool
}

// NomadID is the deterministic Nomad job id of a started job: the Slurm id
// (123 or 123_7) and, after a requeue, the restart count (123-r1). A new
// leader that starts the same run again finds the same Nomad job.
func NomadID(j *state.Job) string {
	id := JobPrefix + strconv.FormatUint(j.ID, 10)
	if j.ArrayJobID != 0 && j.ArrayTaskID != state.NoTask {
		id = JobPrefix + strconv.FormatUint(j.ArrayJobID, 10) + "_" + strconv.Itoa(j.ArrayTaskID)
	}
	if j.RestartCount > 0 {
		id += "-r" + strconv.Itoa(j.RestartCount)
	}
	return id
}

// Translation turns jobs into Nomad jobs.
type Translation struct {
	// ClusterName is SLURM_CLUSTER_NAME.
	ClusterName string
	// Partitions maps partition names to placement; a partition not listed
	// gets the zero Partition (every datacenter, the default pool).
	Partitions map[string]Partition
	// Namespace and Region of the Nomad jobs (empty: the client's).
	Namespace, Region string
	// MHzPerCPU is the Nomad CPU shares (MHz) reserved per Slurm CPU
	// (default DefaultMHzPerCPU).
	MHzPerCPU int
	// DefaultMemMiB is the memory of a job that asks for none (default
	// the package's DefaultMemMiB).
	DefaultMemMiB int64
	// KillTimeout is Slurm's KillWait: SIGTERM, then SIGKILL after it
	// (default DefaultKillTimeout).
	KillTimeout time.Duration
	// GPUModels resolves GPU types to the models whose plugin names them
	// so (gres_type); nil: types match model names only.
	GPUModels GPUModels
}

// Translate renders a started job (a plain job or an array task) as a Nomad
// batch job.
func (t *Translation) Translate(j *state.Job, sub *state.Submission) (*api.Job, error) {
	return t.translate(j, sub, nil)
}

// wholeNode is a node an --exclusive job gets all of: the job is pinned to
// it and reserves everything Nomad may allocate there, so nothing else
// (Slurm job or not) is placed beside it, and it sees all the node's CPUs.
type wholeNode struct {
	ID, Name string
	// IDs, when set, are the nodes of a multi-node job (comma
	// separated), each of which it has whole (the sizes are then the
	// smallest's).
	IDs    string
	CPUs   int   // cores
	MHz    int   // allocatable CPU shares
	MemMiB int64 // allocatable memory
}

func (t *Translation) translate(j *state.Job, sub *state.Submission, whole *wholeNode) (*api.Job, error) {
	if sub == nil || sub.Spec == nil {
		return nil, fmt.Errorf("job %d has no submission", j.ID)
	}
	spec := sub.Spec
	nodes, err := NodeCount(spec)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.SlurmID(), err)
	}
	if nodes != spec.MinNodes() {
		// -w names the nodes without -N: the counts are per those nodes.
		cp, sc := *spec, *sub
		cp.NodesMin, sc.Spec = &nodes, &cp
		spec, sub = &cp, &sc
	}
	id := NomadID(j)
	cpus := spec.CPUCount()
	if nodes > 1 {
		// Each node reserves its share: the job's CPUs over its nodes
		// (rounded up), at least what --ntasks-per-node x -c needs.
		cpus = max((cpus+nodes-1)/nodes, spec.MinCPUsPerNode(), 1)
	}
	mem := t.DefaultMemMiB
	if mem <= 0 {
		mem = DefaultMemMiB
	}
	switch {
	case spec.MemPerNodeMiB != nil && *spec.MemPerNodeMiB > 0:
		mem = *spec.MemPerNodeMiB
	case spec.MemPerCPUMiB != nil && *spec.MemPerCPUMiB > 0:
		mem = *spec.MemPerCPUMiB * int64(cpus)
	case spec.MemPerGPUMiB != nil && *spec.MemPerGPUMiB > 0 && spec.GPUCount() > 0:
		mem = *spec.MemPerGPUMiB * int64((spec.GPUCount()+nodes-1)/nodes)
	}
	mhz := t.MHzPerCPU
	if mhz <= 0 {
		mhz = DefaultMHzPerCPU
	}
	kill := t.KillTimeout
	if kill <= 0 {
		kill = DefaultKillTimeout
	}
	part := t.Partitions[j.Partition]
	dcs := part.Datacenters
	if len(dcs) == 0 {
		dcs = []string{"*"}
	}
	pool := part.NodePool
	if pool == "" {
		pool = "default"
	}
	constraints := append([]*api.Constraint(nil), part.Constraints...)
	cons, err := constraintsOf(spec)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.SlurmID(), err)
	}
	constraints = append(constraints, cons...)

	env := SlurmEnv(j, sub, t.ClusterName)
	cpuMHz := cpus * mhz
	if whole != nil {
		if whole.IDs != "" {
			constraints = append(constraints, &api.Constraint{LTarget: "${node.unique.id}", Operand: "set_contains_any", RTarget: whole.IDs})
		} else {
			constraints = append(constraints, &api.Constraint{LTarget: "${node.unique.id}", Operand: "=", RTarget: whole.ID})
		}
		cpuMHz, mem = whole.MHz, whole.MemMiB
		n := strconv.Itoa(whole.CPUs)
		env["SLURM_CPUS_ON_NODE"], env["SLURM_JOB_CPUS_PER_NODE"] = n, n
	}
	if nodes > 1 {
		// The job-level counts of a multi-node job, as sbatch's
		// environment has them (the driver sets the node list, the node's
		// id and the task layout from the peers it finds).
		per := cpus
		if whole != nil {
			per = whole.CPUs
		}
		c := strconv.Itoa(per)
		env["SLURM_JOB_NUM_NODES"], env["SLURM_NNODES"] = strconv.Itoa(nodes), strconv.Itoa(nodes)
		env["SLURM_CPUS_ON_NODE"], env["SLURM_JOB_CPUS_PER_NODE"] = c, c+"(x"+strconv.Itoa(nodes)+")"
	}
	name := j.Name
	output := "slurm-%j.out"
	if j.ArrayJobID != 0 {
		output = "slurm-%A_%a.out"
	}
	if spec.Output != nil && *spec.Output != "" {
		output = *spec.Output
	}
	workdir := sub.Cwd
	if spec.Chdir != nil && *spec.Chdir != "" {
		workdir = *spec.Chdir
		if !strings.HasPrefix(workdir, "/") && sub.Cwd != "" {
			workdir = strings.TrimSuffix(sub.Cwd, "/") + "/" + workdir
		}
	}
	args := make([]string, len(sub.ScriptArgs))
	for i, a := range sub.ScriptArgs {
		args[i] = escapeHCL(a)
	}
	config := taskspec.Config{
		Script:       escapeHCL(string(batchScript(sub))),
		ScriptName:   "slurm_script", // $0 ends in slurm_script, as under slurmd
		Env:          escapeEnv(env),
		Args:         args,
		Workdir:      escapeHCL(workdir),
		Output:       escapeHCL(output),
		Error:        escapeHCL(strOr(spec.Error, "")),
		Input:        escapeHCL(strOr(spec.Input, "")),
		OpenMode:     strOr(spec.OpenMode, "truncate"),
		TimeLimitMin: j.TimeLimitMin,
	}
	config.Restore = restoreOf(j) // sent with the coordinator's keys (runConfig)
	if nodes > 1 {
		config.Nodes, config.NTasks, config.CPUsPerNode = nodes, spec.TaskCount(), cpus
		if whole != nil {
			config.CPUsPerNode = whole.CPUs
		}
		config.NTasksPerNode = intOr(spec.NtasksPerNode, 0)
		config.CPUsPerTask = intOr(spec.CPUsPerTask, 0)
		config.StepService = StepService(id)
	}
	zero := 0
	batch := "batch"
	fail := "fail"
	// User is the job's owner, whom the coordinator took from the ACL
	// token: a run_as = "submitter" node runs the job as that account.
	task := &api.Task{
		Name:        TaskName,
		Driver:      DriverName,
		User:        j.User,
		Config:      config.ToMap(),
		KillTimeout: &kill,
		KillSignal:  "SIGTERM",
		Resources: &api.Resources{
			CPU:      ptr(cpuMHz),
			MemoryMB: ptr(int(mem)),
			Devices:  gpuDevices(spec, t.GPUModels),
		},
		Meta: map[string]string{},
	}
	group := &api.TaskGroup{
		Name:             ptr("job"),
		Count:            ptr(nodes),
		Tasks:            []*api.Task{task},
		RestartPolicy:    &api.RestartPolicy{Attempts: &zero, Mode: &fail},
		ReschedulePolicy: &api.ReschedulePolicy{Attempts: &zero, Unlimited: ptr(false)},
		Disconnect:       &api.DisconnectStrategy{LostAfter: ptr(LostAfter), Replace: ptr(false)},
		Constraints:      constraints,
	}
	job := &api.Job{
		ID:          &id,
		Name:        ptr(id + " " + name),
		Type:        &batch,
		Datacenters: dcs,
		NodePool:    &pool,
		Priority:    ptr(50),
		TaskGroups:  []*api.TaskGroup{group},
		Meta:        jobMeta(j, sub),
	}
	if nodes > 1 {
		multiNode(job, group, task, id)
	}
	if t.Namespace != "" {
		job.Namespace = &t.Namespace
	}
	if t.Region != "" {
		job.Region = &t.Region
	}
	return job, nil
}

func jobMeta(j *state.Job, sub *state.Submission) map[string]string {
	m := map[string]string{
		MetaJobID:        strconv.FormatUint(j.ID, 10),
		MetaUser:         j.User,
		MetaPartition:    j.Partition,
		MetaSubmitDir:    sub.Cwd,
		MetaScript:       sub.ScriptName,
		MetaRestartCount: strconv.Itoa(j.RestartCount),
		MetaTimeLimit:    timeLimitString(j.TimeLimitMin),
	}
	if j.ArrayJobID != 0 {
		m[MetaArrayJobID] = strconv.FormatUint(j.ArrayJobID, 10)
		m[MetaArrayTaskID] = strconv.Itoa(j.ArrayTaskID)
	}
	for k, v := range map[string]string{MetaAccount: j.Account, MetaQOS: j.QOS, MetaDependency: j.Dependency} {
		if v != "" {
			m[k] = v
		}
	}
	if sub.Spec.Exclusive != nil {
		m[MetaExclusive] = sub.Spec.Exclusive.Mode
		if m[MetaExclusive] == "" {
			m[MetaExclusive] = "exclusive"
		}
	}
	return m
}

// timeLimitString is a limit as Slurm prints it ([D-]HH:MM:SS or UNLIMITED).
func timeLimitString(min int) string {
	if min <= 0 {
		return "UNLIMITED"
	}
	d, h, m := min/1440, min/60%24, min%60
	if d > 0 {
		return fmt.Sprintf("%d-%02d:%02d:00", d, h, m)
	}
	return fmt.Sprintf("%02d:%02d:00", h, m)
}

// SlurmEnv is the job-level Slurm environment of a run, with the
// submitter's environment as --export selected it: taskspec.JobEnv over the
// job's record (the node-level variables, such as SLURM_JOB_NODELIST and
// SLURM_TASK_PID, come from the task driver).
func SlurmEnv(j *state.Job, sub *state.Submission, cluster string) map[string]string {
	spec := sub.Spec
	tj := taskspec.Job{
		ID: j.ID, ArrayJobID: j.ArrayJobID, ArrayTaskID: j.ArrayTaskID,
		Name: j.Name, User: j.User, Partition: j.Partition, Account: j.Account, QOS: j.QOS, Dependency: j.Dependency,
		SubmitDir: sub.Cwd, SubmitHost: sub.SubmitHost, Cluster: cluster,
		CPUs: spec.CPUCount(), Ntasks: spec.Ntasks, NtasksPerNode: spec.NtasksPerNode, CPUsPerTask: spec.CPUsPerTask,
		MemPerNodeMiB: spec.MemPerNodeMiB, MemPerCPUMiB: spec.MemPerCPUMiB,
		RestartCount: j.RestartCount, Export: spec.Export, Env: sub.Env,
		// The GPU request forms as given (SLURM_GPUS, ...); the GPUs
		// themselves are the driver's, from Nomad's reservation.
		GPUs: spec.GPURequests[0], GPUsPerNode: spec.GPURequests[1], GPUsPerTask: spec.GPURequests[2],
		CPUsPerGPU: spec.CPUsPerGPU, MemPerGPUMiB: spec.MemPerGPUMiB,
	}
	if j.ArrayJobID != 0 && j.ArrayTaskID != state.NoTask && spec.Array != nil {
		lo, hi, step := arrayBounds(spec.Array)
		tj.Array = &taskspec.Array{Count: spec.Array.Count, Min: lo, Max: hi, Step: step}
	}
	return taskspec.JobEnv(tj)
}

// arrayBounds are the smallest and largest index of an array and its step:
// the common difference when the indexes form one arithmetic progression
// (Slurm prints 1-9:2 as 1,3,5,7,9), else 1.
func arrayBounds(a *jobspec.Array) (lo, hi, step int) {
	if len(a.Ranges) == 0 {
		// The ranges do not travel through the Raft log: read them again
		// from the normalised expression.
		if parsed, err := jobspec.ParseArray(a.Spec, math.MaxInt32); err == nil {
			a = parsed
		}
	}
	count := 0
	for i, r := range a.Ranges {
		if i == 0 || r.First < lo {
			lo = r.First
		}
		if i == 0 || r.Last > hi {
			hi = r.Last
		}
		count += (r.Last-r.First)/max(r.Step, 1) + 1
	}
	if count < 2 || (hi-lo)%(count-1) != 0 {
		return lo, hi, 1
	}
	step = (hi - lo) / (count - 1)
	for _, r := range a.Ranges {
		if (r.First-lo)%step != 0 || r.Last > r.First && max(r.Step, 1) != step {
			return lo, hi, 1
		}
	}
	return lo, hi, step
}

// constraintsOf turns --constraint, --nodelist and --exclude into Nomad
// constraints. Features are matched against the node meta slurm_features:
// "a&b" needs both, "a|b" either; Slurm's bracketed and counted forms have
// no Nomad equivalent and are refused.
func constraintsOf(spec *jobspec.Spec) ([]*api.Constraint, error) {
	var out []*api.Constraint
	feat := "${meta." + NodeMetaFeatures + "}"
	if spec.Constraint != nil && *spec.Constraint != "" {
		c := *spec.Constraint
		if strings.ContainsAny(c, "[]*()") {
			return nil, fmt.Errorf("--constraint=%s: bracketed and counted feature expressions are not supported; use a&b or a|b", c)
		}
		if strings.Contains(c, "&") && strings.Contains(c, "|") {
			return nil, fmt.Errorf("--constraint=%s: mixing & and | is not supported", c)
		}
		switch {
		case strings.Contains(c, "|"):
			out = append(out, &api.Constraint{LTarget: feat, Operand: "set_contains_any", RTarget: strings.ReplaceAll(c, "|", ",")})
		default:
			out = append(out, &api.Constraint{LTarget: feat, Operand: "set_contains", RTarget: strings.ReplaceAll(strings.ReplaceAll(c, "&", ","), " ", "")})
		}
	}
	if spec.Nodelist != nil && *spec.Nodelist != "" {
		nodes, err := hostlist.Expand(*spec.Nodelist)
		if err != nil {
			return nil, fmt.Errorf("--nodelist: %w", err)
		}
		if len(nodes) == 1 {
			out = append(out, &api.Constraint{LTarget: "${node.unique.name}", Operand: "=", RTarget: nodes[0]})
		} else {
			// One of the names on each of its nodes (NodeCount made the
			// job's node count the names' count).
			out = append(out, &api.Constraint{LTarget: "${node.unique.name}", Operand: "set_contains_any", RTarget: strings.Join(nodes, ",")})
		}
	}
	if spec.Exclude != nil && *spec.Exclude != "" {
		nodes, err := hostlist.Expand(*spec.Exclude)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		for _, n := range nodes {
			out = append(out, &api.Constraint{LTarget: "${node.unique.name}", Operand: "!=", RTarget: n})
		}
	}
	return out, nil
}

// escapeHCL protects a string from the HCL template evaluation Nomad's
// client applies to task config: "${" and "%{" would start an
// interpolation or a directive ("${HOME:-/tmp}" in a script is an HCL
// syntax error); "$${" and "%%{" are their literal spellings.
func escapeHCL(s string) string {
	if !strings.Contains(s, "${") && !strings.Contains(s, "%{") {
		return s
	}
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

// escapeEnv escapes every value of the job's environment for the task
// config (escapeHCL). The environment travels in the config, not in the
// Nomad task's env: Nomad would interpolate "${...}" in env values and add
// the Nomad agent's own environment to a driver without file-system
// isolation, and the job must see exactly what the submitter exported.
func escapeEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = escapeHCL(v)
	}
	return out
}

func strOr(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// batchScript is the script the job runs: the one submitted, or for a
// --wrap job committed without one, the script sbatch generates.
func batchScript(sub *state.Submission) []byte {
	if len(sub.Script) == 0 && sub.Spec != nil && sub.Spec.Wrap != nil {
		return jobspec.WrapScript(*sub.Spec.Wrap)
	}
	return sub.Script
}
