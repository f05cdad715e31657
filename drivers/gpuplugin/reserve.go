package gpuplugin

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/plugins/device"
)

// devDir is where the NVIDIA device nodes are (a variable for tests).
var devDir = "/dev"

// controlNodes are the NVIDIA device nodes every CUDA process needs besides
// its GPUs' /dev/nvidia<minor>, given to a task when they exist.
var controlNodes = []string{"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"}

// Reserve returns what a task needs to use exactly the GPUs ids (UUIDs from
// the last fingerprint): the visible-device environment, in NVML index
// order, and on the real backend the device nodes. An id the plugin did not
// fingerprint is an error.
func (p *Plugin) Reserve(ids []string) (*device.ContainerReservation, error) {
	if len(ids) == 0 {
		return &device.ContainerReservation{}, nil
	}
	b, _, err := p.configured()
	if err != nil {
		return nil, fmt.Errorf("%s: reserve: no GPUs: %w", PluginName, err)
	}
	ins, err := p.lookup(ids)
	var unknown *unknownIDsError
	if errors.As(err, &unknown) {
		// Not in the last fingerprint (none yet, in a plugin Nomad has
		// just restarted): read the GPUs again and look once more.
		if _, ferr := p.fingerprint(b); ferr != nil {
			return nil, fmt.Errorf("%w (and reading the GPUs again failed: %v)", err, ferr)
		}
		ins, err = p.lookup(ids)
	}
	if err != nil {
		return nil, err
	}
	uuids := make([]string, len(ins))
	indexes := make([]string, len(ins))
	for i, in := range ins {
		uuids[i], indexes[i] = in.ID, strconv.Itoa(in.Index)
	}
	r := &device.ContainerReservation{Envs: map[string]string{
		EnvNvidiaVisibleDevices: strings.Join(uuids, ","),
		EnvUUIDs:                strings.Join(uuids, ","),
		EnvIndexes:              strings.Join(indexes, ","),
		EnvBackend:              b.Name(),
	}}
	if !b.Fake() {
		r.Devices = deviceNodes(ins)
	}
	return r, nil
}

// lookup finds the instances ids name, in NVML order; unknown or repeated
// ids are an error.
func (p *Plugin) lookup(ids []string) ([]instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var unknown []string
	seen := map[string]bool{}
	ins := make([]instance, 0, len(ids))
	for _, id := range ids {
		in, ok := p.devices[id]
		switch {
		case !ok:
			unknown = append(unknown, strconv.Quote(id))
		case seen[id]:
			return nil, fmt.Errorf("%s: reserve: GPU %s asked for twice", PluginName, id)
		default:
			seen[id] = true
			ins = append(ins, in)
		}
	}
	if len(unknown) > 0 {
		return nil, &unknownIDsError{ids: unknown}
	}
	slices.SortFunc(ins, func(a, b instance) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.MIGIndex, b.MIGIndex))
	})
	return ins, nil
}

// unknownIDsError is Reserve's error for ids the plugin did not fingerprint.
type unknownIDsError struct{ ids []string }

func (e *unknownIDsError) Error() string {
	return fmt.Sprintf("%s: reserve: unknown GPU ids %s (not in this node's fingerprint)", PluginName, strings.Join(e.ids, ", "))
}

// deviceNodes are /dev/nvidia<minor> of each GPU (once per GPU for MIG
// instances; none for a GPU without a minor number), then the control
// nodes that exist.
func deviceNodes(ins []instance) []*device.DeviceSpec {
	var out []*device.DeviceSpec
	seen := map[int]bool{}
	node := func(name string) *device.DeviceSpec {
		path := devDir + "/" + name
		return &device.DeviceSpec{TaskPath: "/dev/" + name, HostPath: path, CgroupPerms: "rw"}
	}
	for _, in := range ins {
		if in.Minor >= 0 && !seen[in.Minor] {
			seen[in.Minor] = true
			out = append(out, node("nvidia"+strconv.Itoa(in.Minor)))
		}
	}
	for _, name := range controlNodes {
		if _, err := os.Stat(devDir + "/" + name); err == nil {
			out = append(out, node(name))
		}
	}
	return out
}
