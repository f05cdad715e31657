package nomadagent

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/nomad/api"
)

// DeviceGroup is one group of devices a client's device plugins
// fingerprinted, as the servers see it: vendor, type and model (Name), the
// group's attributes (as Nomad prints them, with their units) and its
// instances.
type DeviceGroup struct {
	Vendor, Type, Name string
	Attributes         map[string]string
	Instances          []DeviceInstance
}

// DeviceInstance is one device of a group.
type DeviceInstance struct {
	ID       string
	Healthy  bool
	PCIBusID string
}

// Devices returns the device groups of this client's node as the servers
// see it now.
func (a *Agent) Devices(ctx context.Context) ([]DeviceGroup, error) {
	id := a.NodeID()
	if id == "" {
		return nil, errors.New("nomadagent: Devices: not a client with a registered node")
	}
	n, _, err := a.api.Nodes().Info(id, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("nomadagent: node %s: %w", a.cfg.Name, err)
	}
	return deviceGroups(n), nil
}

// WaitDevices blocks until cond holds for the device groups of this
// client's node and returns them. It follows the node with blocking
// queries (a device plugin's fingerprint arrives after the node is ready);
// it never polls.
func (a *Agent) WaitDevices(ctx context.Context, cond func([]DeviceGroup) bool) ([]DeviceGroup, error) {
	id := a.NodeID()
	if id == "" {
		return nil, errors.New("nomadagent: WaitDevices: not a client with a registered node")
	}
	var last []DeviceGroup
	_, err := follow(ctx, func(q *api.QueryOptions) (*api.Node, *api.QueryMeta, error) {
		return a.api.Nodes().Info(id, q)
	}, func(n *api.Node) bool {
		last = deviceGroups(n)
		return cond(last)
	})
	if err != nil {
		return last, fmt.Errorf("nomadagent: devices of node %s: %w", a.cfg.Name, err)
	}
	return last, nil
}

// deviceGroups converts a node's device resources, sorted by vendor, type
// and name (instances by PCI bus id, then id).
func deviceGroups(n *api.Node) []DeviceGroup {
	if n == nil || n.NodeResources == nil {
		return nil
	}
	var out []DeviceGroup
	for _, d := range n.NodeResources.Devices {
		if d == nil {
			continue
		}
		g := DeviceGroup{Vendor: d.Vendor, Type: d.Type, Name: d.Name, Attributes: map[string]string{}}
		for k, v := range d.Attributes {
			if v != nil {
				g.Attributes[k] = v.String()
			}
		}
		for _, i := range d.Instances {
			if i == nil {
				continue
			}
			di := DeviceInstance{ID: i.ID, Healthy: i.Healthy}
			if i.Locality != nil {
				di.PCIBusID = i.Locality.PciBusID
			}
			g.Instances = append(g.Instances, di)
		}
		sort.Slice(g.Instances, func(x, y int) bool {
			a, b := g.Instances[x], g.Instances[y]
			if a.PCIBusID != b.PCIBusID {
				return a.PCIBusID < b.PCIBusID
			}
			return a.ID < b.ID
		})
		out = append(out, g)
	}
	sort.Slice(out, func(x, y int) bool {
		a, b := out[x], out[y]
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	return out
}
