package jobspec

import (
	"encoding/json"
	"time"
)

// specWire is Spec's compact JSON form, used on the wire and in the Raft
// log: values that are not given are left out (a job list of 100,000 specs
// is a third of the size). It must keep Spec's fields exactly: the
// conversions below do not compile otherwise.
type specWire struct {
	JobName       *string           `json:"job_name,omitempty"`
	Partition     *string           `json:"partition,omitempty"`
	Account       *string           `json:"account,omitempty"`
	QOS           *string           `json:"qos,omitempty"`
	NodesMin      *int              `json:"nodes_min,omitempty"`
	NodesMax      *int              `json:"nodes_max,omitempty"`
	Ntasks        *int              `json:"ntasks,omitempty"`
	NtasksPerNode *int              `json:"ntasks_per_node,omitempty"`
	CPUsPerTask   *int              `json:"cpus_per_task,omitempty"`
	MemPerNodeMiB *int64            `json:"mem_per_node_mib,omitempty"`
	MemPerCPUMiB  *int64            `json:"mem_per_cpu_mib,omitempty"`
	MemPerGPUMiB  *int64            `json:"mem_per_gpu_mib,omitempty"`
	TimeLimit     *TimeLimit        `json:"time_limit_min,omitempty"`
	TimeMin       *TimeLimit        `json:"time_min_min,omitempty"`
	GPUsPerJob    *int              `json:"gpus_per_job,omitempty"`
	GPUsPerNode   *int              `json:"gpus_per_node,omitempty"`
	GPUsPerTask   *int              `json:"gpus_per_task,omitempty"`
	GPUType       *string           `json:"gpu_type,omitempty"`
	Gres          []string          `json:"gres,omitempty"`
	Constraint    *string           `json:"constraint,omitempty"`
	Array         *Array            `json:"array,omitempty"`
	Dependency    *Dependency       `json:"dependency,omitempty"`
	Requeue       *bool             `json:"requeue,omitempty"`
	Signal        *Signal           `json:"signal,omitempty"`
	Output        *string           `json:"output,omitempty"`
	Error         *string           `json:"error,omitempty"`
	Input         *string           `json:"input,omitempty"`
	Chdir         *string           `json:"chdir,omitempty"`
	Export        *string           `json:"export,omitempty"`
	Exclusive     *Exclusive        `json:"exclusive,omitempty"`
	Nice          *int              `json:"nice,omitempty"`
	Begin         *Begin            `json:"begin,omitempty"`
	Hold          bool              `json:"hold,omitempty"`
	MailType      []string          `json:"mail_type,omitempty"`
	MailUser      *string           `json:"mail_user,omitempty"`
	OpenMode      *string           `json:"open_mode,omitempty"`
	ScriptArgs    []string          `json:"script_args,omitempty"`
	Ignored       []Ignored         `json:"ignored,omitempty"`
	Warnings      []string          `json:"warnings,omitempty"`
	CPUsPerGPU    *int              `json:"cpus_per_gpu,omitempty"`
	Nodelist      *string           `json:"nodelist,omitempty"`
	Exclude       *string           `json:"exclude,omitempty"`
	Comment       *string           `json:"comment,omitempty"`
	Wrap          *string           `json:"wrap,omitempty"`
	Parsable      bool              `json:"parsable,omitempty"`
	Wait          bool              `json:"wait,omitempty"`
	TestOnly      bool              `json:"test_only,omitempty"`
	Quiet         bool              `json:"quiet,omitempty"`
	Verbose       int               `json:"verbose,omitempty"`
	GPURequests   [3]string         `json:"gpu_requests,omitzero"`
	Other         map[string]string `json:"other,omitempty"`
}

// specContract is Spec with its contract tags and no methods.
type specContract Spec

// specOnWire adds what the contract's form of a value loses: --begin's
// contract form has no zone, so the exact instant travels beside it.
type specOnWire struct {
	specWire
	BeginAt *time.Time `json:"begin_at,omitempty"`
}

// MarshalJSON writes the compact form (see ContractJSON for the contract
// that `hpcbridge jobspec` prints).
func (s Spec) MarshalJSON() ([]byte, error) {
	w := specOnWire{specWire: specWire(s)}
	if s.Begin != nil {
		at := s.Begin.At
		w.BeginAt = &at
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads either form.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var w specOnWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Spec(w.specWire)
	if s.Begin != nil && w.BeginAt != nil {
		s.Begin.At = *w.BeginAt
	}
	return nil
}

// ContractJSON writes the spec in the JSON contract of `hpcbridge jobspec`:
// every key present, null when not given.
func (s *Spec) ContractJSON() ([]byte, error) {
	return json.Marshal((*specContract)(s))
}
