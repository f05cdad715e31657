package squeue

import (
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The layout of squeue --json: Slurm 22.05's openapi v0.0.38 job records,
// key for key, with the values hpcbridge knows (the rest are Slurm's
// defaults for a job that does not use them).

// squeueJSONDoc is the whole document.
type squeueJSONDoc struct {
	Meta   slurm.Meta      `json:"meta"`
	Errors []any           `json:"errors"`
	Jobs   []squeueJSONJob `json:"jobs"`
}

// squeueJSONJob is one job, in Slurm's key order.
type squeueJSONJob struct {
	Account                  string   `json:"account"`
	AccrueTime               int64    `json:"accrue_time"`
	AdminComment             string   `json:"admin_comment"`
	ArrayJobID               uint64   `json:"array_job_id"`
	ArrayTaskID              *int     `json:"array_task_id"`
	ArrayMaxTasks            int      `json:"array_max_tasks"`
	ArrayTaskString          string   `json:"array_task_string"`
	AssociationID            int      `json:"association_id"`
	BatchFeatures            string   `json:"batch_features"`
	BatchFlag                bool     `json:"batch_flag"`
	BatchHost                string   `json:"batch_host"`
	Flags                    []string `json:"flags"`
	BurstBuffer              string   `json:"burst_buffer"`
	BurstBufferState         string   `json:"burst_buffer_state"`
	Cluster                  string   `json:"cluster"`
	ClusterFeatures          string   `json:"cluster_features"`
	Command                  string   `json:"command"`
	Comment                  string   `json:"comment"`
	Container                string   `json:"container"`
	Contiguous               bool     `json:"contiguous"`
	CoreSpec                 *int     `json:"core_spec"`
	ThreadSpec               *int     `json:"thread_spec"`
	CoresPerSocket           *int     `json:"cores_per_socket"`
	BillableTres             *float64 `json:"billable_tres"`
	CPUsPerTask              *int     `json:"cpus_per_task"`
	CPUFrequencyMinimum      *int     `json:"cpu_frequency_minimum"`
	CPUFrequencyMaximum      *int     `json:"cpu_frequency_maximum"`
	CPUFrequencyGovernor     *int     `json:"cpu_frequency_governor"`
	CPUsPerTres              string   `json:"cpus_per_tres"`
	Deadline                 int64    `json:"deadline"`
	DelayBoot                int      `json:"delay_boot"`
	Dependency               string   `json:"dependency"`
	DerivedExitCode          int      `json:"derived_exit_code"`
	EligibleTime             int64    `json:"eligible_time"`
	EndTime                  int64    `json:"end_time"`
	ExcludedNodes            string   `json:"excluded_nodes"`
	ExitCode                 int      `json:"exit_code"`
	Features                 string   `json:"features"`
	FederationOrigin         string   `json:"federation_origin"`
	FederationSiblingsActive string   `json:"federation_siblings_active"`
	FederationSiblingsViable string   `json:"federation_siblings_viable"`
	GresDetail               []string `json:"gres_detail"`
	GroupID                  int      `json:"group_id"`
	GroupName                string   `json:"group_name"`
	JobID                    uint64   `json:"job_id"`
	JobState                 string   `json:"job_state"`
	LastSchedEvaluation      int64    `json:"last_sched_evaluation"`
	Licenses                 string   `json:"licenses"`
	MaxCPUs                  int      `json:"max_cpus"`
	MaxNodes                 int      `json:"max_nodes"`
	MCSLabel                 string   `json:"mcs_label"`
	MemoryPerTres            string   `json:"memory_per_tres"`
	Name                     string   `json:"name"`
	Nodes                    string   `json:"nodes"`
	Nice                     *int     `json:"nice"`
	TasksPerCore             *int     `json:"tasks_per_core"`
	TasksPerNode             int      `json:"tasks_per_node"`
	TasksPerSocket           *int     `json:"tasks_per_socket"`
	TasksPerBoard            int      `json:"tasks_per_board"`
	CPUs                     int      `json:"cpus"`
	NodeCount                int      `json:"node_count"`
	Tasks                    int      `json:"tasks"`
	HetJobID                 int      `json:"het_job_id"`
	HetJobIDSet              string   `json:"het_job_id_set"`
	HetJobOffset             int      `json:"het_job_offset"`
	Partition                string   `json:"partition"`
	Prefer                   string   `json:"prefer"`
	MemoryPerNode            *int64   `json:"memory_per_node"`
	MemoryPerCPU             *int64   `json:"memory_per_cpu"`
	MinimumCPUsPerNode       int      `json:"minimum_cpus_per_node"`
	MinimumTmpDiskPerNode    int      `json:"minimum_tmp_disk_per_node"`
	PreemptTime              int64    `json:"preempt_time"`
	PreSusTime               int64    `json:"pre_sus_time"`
	Priority                 int64    `json:"priority"`
	Profile                  *string  `json:"profile"`
	QOS                      string   `json:"qos"`
	Reboot                   bool     `json:"reboot"`
	RequiredNodes            string   `json:"required_nodes"`
	Requeue                  bool     `json:"requeue"`
	ResizeTime               int64    `json:"resize_time"`
	RestartCnt               int      `json:"restart_cnt"`
	ResvName                 string   `json:"resv_name"`
	Shared                   *string  `json:"shared"`
	ShowFlags                []string `json:"show_flags"`
	SocketsPerBoard          int      `json:"sockets_per_board"`
	SocketsPerNode           *int     `json:"sockets_per_node"`
	StartTime                int64    `json:"start_time"`
	StateDescription         string   `json:"state_description"`
	StateReason              string   `json:"state_reason"`
	StandardError            string   `json:"standard_error"`
	StandardInput            string   `json:"standard_input"`
	StandardOutput           string   `json:"standard_output"`
	SubmitTime               int64    `json:"submit_time"`
	SuspendTime              int64    `json:"suspend_time"`
	SystemComment            string   `json:"system_comment"`
	TimeLimit                *int     `json:"time_limit"`
	TimeMinimum              int      `json:"time_minimum"`
	ThreadsPerCore           *int     `json:"threads_per_core"`
	TresBind                 string   `json:"tres_bind"`
	TresFreq                 string   `json:"tres_freq"`
	TresPerJob               string   `json:"tres_per_job"`
	TresPerNode              string   `json:"tres_per_node"`
	TresPerSocket            string   `json:"tres_per_socket"`
	TresPerTask              string   `json:"tres_per_task"`
	TresReqStr               string   `json:"tres_req_str"`
	TresAllocStr             string   `json:"tres_alloc_str"`
	UserID                   int      `json:"user_id"`
	UserName                 string   `json:"user_name"`
	Wckey                    string   `json:"wckey"`
	CurrentWorkingDirectory  string   `json:"current_working_directory"`
}

// squeueJSON builds the document for jobs, in id order as slurmctld
// lists them.
func squeueJSON(jobs []*state.Job, opts squeueOptions) squeueJSONDoc {
	vc := opts.ViewCtx(opts.Now)
	doc := squeueJSONDoc{Meta: slurm.NewMeta("openapi/v0.0.38", "Slurm OpenAPI v0.0.38"), Errors: []any{}, Jobs: []squeueJSONJob{}}
	for _, j := range jobs {
		doc.Jobs = append(doc.Jobs, jobJSON(vc.View(j)))
	}
	return doc
}

// jobJSON is one job's record.
func jobJSON(v slurm.JobView) squeueJSONJob {
	j := v.Job
	ids := v.Users.Get(j.User)
	out := squeueJSONJob{
		Account:                 j.Account,
		BatchFlag:               true,
		BatchHost:               slurm.FirstHost(j.NodeList),
		Flags:                   []string{},
		Cluster:                 slurm.ClusterName,
		Command:                 v.Command(),
		Comment:                 v.Comment(),
		CPUsPerTres:             v.CPUsPerTRES(),
		MemoryPerTres:           v.MemPerTRES(),
		Dependency:              v.Dependency(),
		ExcludedNodes:           v.ExcNodes(),
		ExitCode:                v.ExitStatus(),
		Features:                v.Features(),
		GresDetail:              []string{},
		GroupID:                 ids.Gid,
		GroupName:               ids.Group,
		JobID:                   j.ID,
		JobState:                string(j.State),
		Licenses:                v.Licenses(),
		Name:                    j.Name,
		Nodes:                   j.NodeList,
		CPUs:                    v.CPUs(),
		NodeCount:               v.Nodes(),
		Tasks:                   v.Tasks(),
		Partition:               j.Partition,
		Priority:                v.Priority(),
		QOS:                     j.QOS,
		RequiredNodes:           v.ReqNodes(),
		Requeue:                 j.Requeue,
		RestartCnt:              j.RestartCount,
		ResvName:                v.Reservation(),
		ShowFlags:               []string{"SHOW_ALL", "SHOW_DETAIL", "SHOW_LOCAL"},
		StateReason:             v.Reason(),
		StandardInput:           "/dev/null",
		TresPerJob:              v.TRESPerJob(),
		TresPerNode:             v.TRESPerNode(),
		TresPerTask:             v.TRESPerTask(),
		TresReqStr:              v.TRES(),
		UserID:                  ids.Uid,
		UserName:                j.User,
		Wckey:                   v.Wckey(),
		MinimumCPUsPerNode:      v.MinCPUsNode(),
		CurrentWorkingDirectory: v.WorkDir(),
	}
	if j.ArrayJobID != 0 {
		out.ArrayJobID = j.ArrayJobID
		out.ArrayMaxTasks = j.Throttle()
		if v.PendingBase() {
			out.ArrayTaskString = v.ArrayTaskString()
		} else {
			t := j.ArrayTaskID
			out.ArrayTaskID = &t
		}
	}
	if j.TimeLimitMin > 0 {
		t := j.TimeLimitMin
		out.TimeLimit = &t
	}
	if v.Spec != nil {
		out.StandardOutput = slurm.SpecString(v.Spec.Output)
		out.StandardError = slurm.SpecString(v.Spec.Error)
		if v.Spec.Input != nil {
			out.StandardInput = *v.Spec.Input
		}
		out.MemoryPerNode = v.Spec.MemPerNodeMiB
		out.MemoryPerCPU = v.Spec.MemPerCPUMiB
		out.CPUsPerTask = v.Spec.CPUsPerTask
		if v.Spec.NtasksPerNode != nil {
			out.TasksPerNode = *v.Spec.NtasksPerNode
		}
	}
	if j.Nice != 0 {
		n := j.Nice
		out.Nice = &n
	}
	if !j.StartTime.IsZero() && j.State != state.StatePending {
		out.TresAllocStr = v.TRES()
	}
	out.SubmitTime = j.SubmitTime.Unix()
	out.LastSchedEvaluation = j.SubmitTime.Unix()
	if t := v.EligibleTime(); !t.IsZero() {
		out.EligibleTime, out.AccrueTime = t.Unix(), t.Unix()
	}
	if t := v.StartTime(); !t.IsZero() {
		out.StartTime = t.Unix()
	}
	if t := v.EndTime(); !t.IsZero() {
		out.EndTime = t.Unix()
	}
	return out
}
