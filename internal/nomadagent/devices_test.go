package nomadagent

import (
	"reflect"
	"testing"

	"github.com/hashicorp/nomad/api"
)

// TestDeviceGroups: a node's devices as WaitDevices hands them out, sorted,
// with attributes as Nomad prints them.
func TestDeviceGroups(t *testing.T) {
	str := func(s string) *api.Attribute { return &api.Attribute{StringVal: &s} }
	mem := int64(40960)
	yes := true
	n := &api.Node{NodeResources: &api.NodeResources{Devices: []*api.NodeDeviceResource{
		{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA H100 80GB HBM3",
			Attributes: map[string]*api.Attribute{"gres_type": str("h100"), "fake": {BoolVal: &yes}, "memory": {IntVal: &mem, Unit: "MiB"}},
			Instances: []*api.NodeDevice{
				{ID: "GPU-b", Healthy: true, Locality: &api.NodeDeviceLocality{PciBusID: "0000:13:00.0"}},
				{ID: "GPU-a", Healthy: false, Locality: &api.NodeDeviceLocality{PciBusID: "0000:10:00.0"}},
				nil,
			}},
		nil,
		{Vendor: "amd", Type: "gpu", Name: "MI300X", Instances: []*api.NodeDevice{{ID: "x"}}},
	}}}
	want := []DeviceGroup{
		{Vendor: "amd", Type: "gpu", Name: "MI300X", Attributes: map[string]string{}, Instances: []DeviceInstance{{ID: "x"}}},
		{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA H100 80GB HBM3",
			Attributes: map[string]string{"gres_type": "h100", "fake": "true", "memory": "40960 MiB"},
			Instances:  []DeviceInstance{{ID: "GPU-a", PCIBusID: "0000:10:00.0"}, {ID: "GPU-b", Healthy: true, PCIBusID: "0000:13:00.0"}}},
	}
	if got := deviceGroups(n); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := deviceGroups(&api.Node{}); got != nil {
		t.Errorf("a node without resources: %+v", got)
	}
}
