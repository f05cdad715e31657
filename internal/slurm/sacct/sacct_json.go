package sacct

import (
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The layout of sacct --json: Slurm 22.05's dbv0.0.38 job records, with the
// parts hpcbridge knows.

type sacctJSONDoc struct {
	Meta   slurm.Meta     `json:"meta"`
	Errors []any          `json:"errors"`
	Jobs   []sacctJSONJob `json:"jobs"`
}

type sacctJSONExit struct {
	Status     string `json:"status"`
	ReturnCode int    `json:"return_code"`
	Signal     *struct {
		SignalID   int    `json:"signal_id"`
		SignalName string `json:"name"`
	} `json:"signal,omitempty"`
}

type sacctJSONTime struct {
	Elapsed    int64 `json:"elapsed"`
	Eligible   int64 `json:"eligible"`
	End        int64 `json:"end"`
	Start      int64 `json:"start"`
	Submission int64 `json:"submission"`
	Suspended  int64 `json:"suspended"`
	Limit      *int  `json:"limit"`
}

type sacctJSONTres struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	ID    int    `json:"id"`
	Count int64  `json:"count"`
}

type sacctJSONStep struct {
	Step struct {
		JobID uint64 `json:"job_id"`
		ID    string `json:"id"`
		Name  string `json:"name"`
	} `json:"step"`
	State    string        `json:"state"`
	ExitCode sacctJSONExit `json:"exit_code"`
	Time     sacctJSONTime `json:"time"`
	Nodes    struct {
		Count int      `json:"count"`
		Range string   `json:"range"`
		List  []string `json:"list"`
	} `json:"nodes"`
	Tasks struct {
		Count int `json:"count"`
	} `json:"tasks"`
	Tres struct {
		Requested struct {
			Max []sacctJSONTres `json:"max"`
		} `json:"requested"`
	} `json:"tres"`
}

type sacctJSONJob struct {
	Account         string `json:"account"`
	AllocationNodes int    `json:"allocation_nodes"`
	Array           struct {
		JobID  uint64 `json:"job_id"`
		Limits struct {
			Max struct {
				Running struct {
					Tasks int `json:"tasks"`
				} `json:"running"`
			} `json:"max"`
		} `json:"limits"`
		Task   *string `json:"task"`
		TaskID *int    `json:"task_id"`
	} `json:"array"`
	Association struct {
		Account   string `json:"account"`
		Cluster   string `json:"cluster"`
		Partition string `json:"partition"`
		User      string `json:"user"`
	} `json:"association"`
	Cluster         string        `json:"cluster"`
	Constraints     string        `json:"constraints"`
	DerivedExitCode sacctJSONExit `json:"derived_exit_code"`
	Time            sacctJSONTime `json:"time"`
	ExitCode        sacctJSONExit `json:"exit_code"`
	Flags           []string      `json:"flags"`
	Group           string        `json:"group"`
	JobID           uint64        `json:"job_id"`
	Name            string        `json:"name"`
	Nodes           string        `json:"nodes"`
	Partition       string        `json:"partition"`
	Priority        int64         `json:"priority"`
	QOS             string        `json:"qos"`
	Required        struct {
		CPUs   int   `json:"CPUs"`
		Memory int64 `json:"memory"`
	} `json:"required"`
	State struct {
		Current string `json:"current"`
		Reason  string `json:"reason"`
	} `json:"state"`
	Steps []sacctJSONStep `json:"steps"`
	Tres  struct {
		Allocated []sacctJSONTres `json:"allocated"`
		Requested []sacctJSONTres `json:"requested"`
	} `json:"tres"`
	User             string `json:"user"`
	WorkingDirectory string `json:"working_directory"`
	// GPU is hpcbridge's GPU accounting of the record (not Slurm's).
	GPU *sacctJSONGPU `json:"hpcbridge_gpu,omitempty"`
}

// exitJSON is an exit code as sacct --json renders it.
func exitJSON(st string, code, sig int) sacctJSONExit {
	e := sacctJSONExit{Status: st, ReturnCode: code}
	if sig != 0 {
		e.Signal = &struct {
			SignalID   int    `json:"signal_id"`
			SignalName string `json:"name"`
		}{sig, signalShortName(sig)}
	}
	return e
}

// signalShortName is a signal's name without SIG.
func signalShortName(n int) string {
	for name, num := range slurm.SignalNumbers {
		if num == n && name != "POLL" {
			return name
		}
	}
	return ""
}

// exitStatusName is the status word of an exit code.
func exitStatusName(code, sig int) string {
	switch {
	case sig != 0:
		return "SIGNALED"
	case code != 0:
		return "FAILED"
	}
	return "SUCCESS"
}

// sacctJSON builds the --json document: one job object per record (with
// -D, a requeued job's earlier runs each have one, under the same job_id).
func sacctJSON(recs []acctRecord, o sacctOptions) sacctJSONDoc {
	vc := o.ViewCtx(o.Now)
	doc := sacctJSONDoc{Meta: slurm.NewMeta("openapi/dbv0.0.38", "Slurm OpenAPI DB v0.0.38"), Errors: []any{}, Jobs: []sacctJSONJob{}}
	for _, r := range recs {
		j := r.job
		v := vc.View(j)
		var out sacctJSONJob
		out.Account, out.Cluster, out.Constraints = j.Account, slurm.ClusterName, v.Features()
		if j.NodeList != "" {
			out.AllocationNodes = v.Nodes()
		}
		if j.ArrayJobID != 0 {
			out.Array.JobID = j.ArrayJobID
			out.Array.Limits.Max.Running.Tasks = j.Throttle()
			if v.PendingBase() {
				t := v.ArrayTaskString()
				out.Array.Task = &t
			} else {
				t := j.ArrayTaskID
				out.Array.TaskID = &t
			}
		}
		out.Association.Account, out.Association.Cluster = j.Account, slurm.ClusterName
		out.Association.Partition, out.Association.User = j.Partition, j.User
		out.DerivedExitCode = exitJSON("SUCCESS", 0, 0)
		out.ExitCode = exitJSON(exitStatusName(j.ExitCode, j.ExitSignal), j.ExitCode, j.ExitSignal)
		out.Time = jobTimeJSON(v)
		out.Flags = []string{"CLEAR_SCHEDULING", "STARTED_ON_SUBMIT"}
		out.Group = v.Users.Get(j.User).Group
		out.JobID, out.Name, out.Nodes = j.ID, j.Name, j.NodeList
		if out.Nodes == "" {
			out.Nodes = "None assigned"
		}
		out.Partition, out.Priority, out.QOS = j.Partition, v.Priority(), j.QOS
		out.Required.CPUs, out.Required.Memory = v.CPUs(), v.MemTotal()
		out.State.Current, out.State.Reason = string(j.State), v.Reason()
		out.Steps = []sacctJSONStep{}
		if b := r.batch; !o.Allocations && b != nil && (!r.stepsOnly || r.sel.batch) {
			var st sacctJSONStep
			st.Step.JobID, st.Step.ID, st.Step.Name = j.ID, "batch", "batch"
			st.State = batchState(b)
			st.ExitCode = exitJSON(exitStatusName(b.ExitCode, b.ExitSignal), b.ExitCode, b.ExitSignal)
			st.Time = jobTimeJSON(vc.View(b))
			st.Time.Limit = nil
			st.Nodes.Count, st.Nodes.Range, st.Nodes.List = 1, slurm.FirstHost(j.NodeList), []string{slurm.FirstHost(j.NodeList)}
			st.Tasks.Count = 1
			st.Tres.Requested.Max = stepUsageJSON(b)
			out.Steps = append(out.Steps, st)
		}
		if !o.Allocations {
			out.Steps = append(out.Steps, r.stepsJSON(vc)...)
		}
		out.Tres.Requested = tresJSONWith(v, v.Spec.GPUCount())
		out.Tres.Allocated = []sacctJSONTres{}
		if !j.StartTime.IsZero() && j.State != state.StatePending {
			out.Tres.Allocated = tresJSONWith(v, gpusAllocated(v))
		}
		out.GPU = gpuJSON(v)
		out.User, out.WorkingDirectory = j.User, v.WorkDir()
		doc.Jobs = append(doc.Jobs, out)
	}
	return doc
}

// jobTimeJSON is the "time" object of a job.
func jobTimeJSON(v slurm.JobView) sacctJSONTime {
	j := v.Job
	t := sacctJSONTime{Elapsed: max(v.Used(), 0), Submission: j.SubmitTime.Unix()}
	if e := v.EligibleTime(); !e.IsZero() {
		t.Eligible = e.Unix()
	}
	if !j.StartTime.IsZero() && j.State != state.StatePending {
		t.Start = j.StartTime.Unix()
	}
	if recordEnded(j) && !j.EndTime.IsZero() {
		t.End = j.EndTime.Unix()
	}
	if j.TimeLimitMin > 0 {
		l := j.TimeLimitMin
		t.Limit = &l
	}
	return t
}

// tresJSON lists the job's TRES in Slurm's order of TRES ids.
func tresJSON(v slurm.JobView) []sacctJSONTres {
	out := []sacctJSONTres{{Type: "cpu", ID: 1, Count: int64(v.CPUs())}}
	if m := v.MemTotal(); m > 0 {
		out = append(out, sacctJSONTres{Type: "mem", ID: 2, Count: m})
	}
	out = append(out, sacctJSONTres{Type: "node", ID: 4, Count: int64(v.Nodes())},
		sacctJSONTres{Type: "billing", ID: 5, Count: int64(v.CPUs())})
	return out
}
