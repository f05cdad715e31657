package nomadexec

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// MaxNodes bounds a job's node count (-N): no site of donor nodes has more,
// and the count sizes a Nomad group, a plan and the peers file.
const MaxNodes = 1024

// StepServicePrefix starts the Nomad service name under which every
// allocation of a multi-node job registers its step daemon's port.
const StepServicePrefix = "hpcbridge-step-"

// StepService is the step daemons' service of the Nomad job nid.
func StepService(nid string) string { return StepServicePrefix + nid }

// StepKeyPath is the Nomad Variable that holds a multi-node run's step key
// (item taskspec.StepKeyVar): under nomad/jobs/<nomad job id>, which only
// that job's workload identity (and management tokens) may read.
func StepKeyPath(nid string) string { return "nomad/jobs/" + nid }

// NodeCount is the number of nodes a job runs on: -N's minimum (a range
// min-max takes the minimum: the job starts as soon as that many nodes
// can be had, and never waits for more), raised to the count of names
// --nodelist gives, as Slurm does when -N is not given. Errors, as Slurm's
// "Node count specification invalid": a -N below the names' count, or
// above it (Slurm would add other nodes to the named ones; one Nomad group
// cannot say "these k and any N-k others"), or above MaxNodes.
func NodeCount(spec *jobspec.Spec) (int, error) {
	n := spec.MinNodes()
	if n > MaxNodes {
		return 0, fmt.Errorf("Node count specification invalid: --nodes=%d is more than %d", n, MaxNodes)
	}
	if spec.Nodelist == nil || *spec.Nodelist == "" {
		return n, nil
	}
	names, err := hostlist.Expand(*spec.Nodelist)
	if err != nil {
		return 0, fmt.Errorf("--nodelist: %w", err)
	}
	k := len(names)
	switch {
	case k > MaxNodes:
		return 0, fmt.Errorf("Node count specification invalid: --nodelist=%s names %d nodes, more than %d", *spec.Nodelist, k, MaxNodes)
	case spec.NodesMin == nil || *spec.NodesMin <= 0:
		return k, nil
	case n < k:
		return 0, fmt.Errorf("Node count specification invalid: --nodelist=%s names %d nodes, --nodes=%d", *spec.Nodelist, k, n)
	case n > k:
		return 0, fmt.Errorf("--nodes=%d with --nodelist=%s (%d nodes): a job either names all its nodes or none", n, *spec.Nodelist, k)
	}
	return k, nil
}

// multiNode gives the job of a run on several nodes its shape (see
// docs/nomad.md, Multi-node jobs): each allocation on a node of its own,
// a dynamic port for the step daemon registered as a Nomad service tagged
// with the node's name, and the two files the driver reads in the task's
// secrets directory: the peers (from the service) and the run's step key
// (from the Nomad Variable the executor writes before it registers the
// job). The coordinator pins the job to one datacenter before it
// registers it (Executor.Start).
func multiNode(job *api.Job, group *api.TaskGroup, task *api.Task, nid string) {
	job.Constraints = append(job.Constraints, &api.Constraint{Operand: api.ConstraintDistinctHosts, RTarget: "true"})
	group.Networks = []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: taskspec.StepPortLabel}}}}
	svc := StepService(nid)
	group.Services = []*api.Service{{Name: svc, PortLabel: taskspec.StepPortLabel, Provider: "nomad",
		Tags: []string{"${node.unique.name}"}}}
	noop := "noop"
	task.Templates = []*api.Template{
		{
			EmbeddedTmpl: ptr(`{{ range nomadService "` + svc + `" }}{{ index .Tags 0 }} {{ .Address }} {{ .Port }} {{ .AllocID }}` + "\n" + `{{ end }}`),
			DestPath:     ptr("secrets/" + taskspec.PeersFile),
			ChangeMode:   &noop,
			Perms:        ptr("0600"),
		},
		{
			EmbeddedTmpl: ptr(`{{ with nomadVar "` + StepKeyPath(nid) + `" }}{{ .` + taskspec.StepKeyVar + ` }}{{ end }}`),
			DestPath:     ptr("secrets/" + taskspec.StepKeyFile),
			ChangeMode:   &noop,
			Perms:        ptr("0600"),
		},
	}
	if task.Meta == nil {
		task.Meta = map[string]string{}
	}
	task.Meta["hpcbridge_nodes"] = strconv.Itoa(*group.Count)
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
