package taskdriver

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
)

// Multi-node jobs (taskspec.Config.Nodes >= 2): one Nomad allocation per
// node, each running stepd, which listens on the group's step port and
// finds the other nodes in the secrets directory (stepd/multinode.go). The
// driver gives stepd its part of the picture and reports the role stepd
// took as a task event.

// Task event annotations of a multi-node job's role.
const (
	AnnotationRole  = "hpcbridge.role"
	AnnotationNodes = "hpcbridge.nodes"
)

// rolePoll is how often the driver looks for stepd's role record (until
// it has found it).
const rolePoll = 200 * time.Millisecond

// multiNodeConfig is stepd's multi-node configuration, nil for a job on
// one node. A multi-node task without its step port cannot serve steps and
// is refused.
func multiNodeConfig(cfg *drivers.TaskConfig, tc *TaskConfig) (*jobdir.MultiNode, error) {
	if tc.Nodes < 2 {
		return nil, nil
	}
	addr, err := stepListenAddr(cfg)
	if err != nil {
		return nil, err
	}
	return &jobdir.MultiNode{
		Nodes:      tc.Nodes,
		Listen:     addr,
		SecretsDir: cfg.TaskDir().SecretsDir,
	}, nil
}

// stepListenAddr is the host address and port Nomad allocated for the
// group's step port: from the task's allocated ports, else from the
// port's NOMAD_HOST_* (or NOMAD_*) variables.
func stepListenAddr(cfg *drivers.TaskConfig) (string, error) {
	label := taskspec.StepPortLabel
	if r := cfg.Resources; r != nil && r.Ports != nil {
		for _, p := range *r.Ports {
			if p.Label == label && p.Value > 0 {
				return net.JoinHostPort(p.HostIP, strconv.Itoa(p.Value)), nil
			}
		}
	}
	for _, pre := range []string{"NOMAD_HOST_", "NOMAD_"} {
		port, ip := cfg.Env[pre+"PORT_"+label], cfg.Env[pre+"IP_"+label]
		if n, err := strconv.Atoi(port); err == nil && n > 0 && net.ParseIP(ip) != nil {
			return net.JoinHostPort(ip, port), nil
		}
	}
	return "", fmt.Errorf("multi-node task: Nomad allocated no %q port (the group's network block is missing it)", label)
}

// watchRole reports the role stepd records (jobdir.RoleFile) as a task
// event once it appears; the returned function stops the watch, waits for
// it and, if the role was not reported yet (a job shorter than rolePoll),
// reports it then, before the job's end is.
func (h *taskHandle) watchRole() func() {
	if h.emit == nil || !h.multiNode() {
		return func() {}
	}
	stop := make(chan struct{})
	reported := false
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(rolePoll)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h.reportRole() {
					reported = true
					return
				}
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		if !reported {
			h.reportRole()
		}
	}
}

// multiNode reports whether the task is one node of a multi-node job.
func (h *taskHandle) multiNode() bool {
	var tc TaskConfig
	return h.taskConfig.DecodeDriverConfig(&tc) == nil && tc.Nodes >= 2
}

// reportRole emits the role event if stepd has recorded its role.
func (h *taskHandle) reportRole() bool {
	var r jobdir.Role
	if err := jobdir.ReadJSON(h.layout.RoleFile(), &r); err != nil {
		return false
	}
	msg := "multi-node job: this node serves srun's steps"
	if r.Role == "batch" {
		msg = "multi-node job: this node runs the batch script"
	}
	ev := &drivers.TaskEvent{
		TaskID:      h.taskConfig.ID,
		AllocID:     h.taskConfig.AllocID,
		TaskName:    h.taskConfig.Name,
		Timestamp:   time.Now(),
		Message:     msg,
		Annotations: map[string]string{AnnotationRole: r.Role, AnnotationNodes: r.Nodes},
	}
	if err := h.emit(ev); err != nil {
		h.logger.Warn("cannot report the job's role", "error", err)
	}
	return true
}
