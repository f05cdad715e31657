package api

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Slurm node states (Node.State): the base state of a node, as scontrol
// prints it. Flags (Node.Flags) qualify it.
const (
	NodeIdle      = "IDLE"      // no hpcbridge job on the node
	NodeMixed     = "MIXED"     // some of its CPUs allocated
	NodeAllocated = "ALLOCATED" // all of its CPUs allocated
	NodeDown      = "DOWN"      // Nomad says down, or the hpcbridge driver is unhealthy
	NodeUnknown   = "UNKNOWN"   // Nomad has not finished registering it
)

// Node state flags (Node.Flags).
const (
	// FlagDrain: Nomad drains the node or made it ineligible for
	// scheduling; no new job is placed there.
	FlagDrain = "DRAIN"
	// FlagNotResponding: the node missed its Nomad heartbeats.
	FlagNotResponding = "NOT_RESPONDING"
)

// MaxNodes bounds the nodes one GET /v1/nodes answer holds (sorted by
// name; NodeList.Total says how many there were).
const MaxNodes = 10000

// Node is a Nomad client that runs hpcbridge jobs, as Slurm shows a node
// (sinfo, scontrol show node). It holds no secrets: anyone with a token may
// list nodes, as anyone may run sinfo.
type Node struct {
	// Name is the Nomad node name; Addr its address.
	Name string `json:"name"`
	Addr string `json:"addr,omitempty"`
	// State is one of the Node* constants; Flags qualify it.
	State string   `json:"state"`
	Flags []string `json:"flags,omitempty"`
	// Reason says why a node is down or drained; ReasonTime when (zero
	// when unknown) and ReasonUser who ("nomad" for what Nomad reports).
	Reason     string    `json:"reason,omitempty"`
	ReasonTime time.Time `json:"reason_time,omitzero"`
	ReasonUser string    `json:"reason_user,omitempty"`
	// CPUs are the node's cores; AllocCPUs those hpcbridge jobs hold.
	CPUs      int `json:"cpus"`
	AllocCPUs int `json:"alloc_cpus"`
	// MemMiB is the node's memory; AllocMemMiB what hpcbridge jobs hold.
	MemMiB      int64 `json:"mem_mib"`
	AllocMemMiB int64 `json:"alloc_mem_mib"`
	// Jobs counts the hpcbridge allocations on the node.
	Jobs int `json:"jobs"`
	// Features are the node meta slurm_features (what --constraint matches).
	Features []string `json:"features,omitempty"`
	// Gres lists the node's generic resources as Slurm's Gres= does
	// ("gpu:a100:8", "gpu:a100:8(fake)" for a fake backend's GPUs);
	// GresUsed what jobs hold of them as GresUsed= does
	// ("gpu:a100:2(IDX:0-1)", "gpu:h100:0(IDX:N/A)").
	Gres     []string `json:"gres,omitempty"`
	GresUsed []string `json:"gres_used,omitempty"`
	// GPUs are the node's GPU groups, one per model, with their counts
	// (what Gres and GresUsed are made of).
	GPUs []NodeGPU `json:"gpus,omitempty"`
	// Partitions the node serves, in the coordinator's order.
	Partitions []string `json:"partitions,omitempty"`
	// Arch, OS (kernel name and release) and the Nomad version of the node.
	Arch    string `json:"arch,omitempty"`
	OS      string `json:"os,omitempty"`
	Version string `json:"version,omitempty"`
	// RunAs is the driver's run-as policy (submitter or pool), empty when
	// the driver does not say.
	RunAs string `json:"run_as,omitempty"`
	// Datacenter, Pool and Class are the node's Nomad placement.
	Datacenter string `json:"datacenter,omitempty"`
	Pool       string `json:"pool,omitempty"`
	Class      string `json:"class,omitempty"`
	// Donor is the donor organisation the node joined under (its join
	// record, through the key it registered: state.View.DonorOfNode);
	// empty for a node no join registered, whatever its Nomad meta says.
	Donor string `json:"donor,omitempty"`
}

// HasFlag reports whether the node carries flag.
func (n *Node) HasFlag(flag string) bool {
	for _, f := range n.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// NodeList is the answer of GET /v1/nodes.
type NodeList struct {
	// Nodes, sorted by name, at most MaxNodes of them.
	Nodes []Node `json:"nodes"`
	// Total counts the nodes there were; more than len(Nodes) when the
	// list was cut at MaxNodes.
	Total int `json:"total"`
	// Source says where the nodes come from ("nomad"); empty when the
	// coordinator has no execution backend, and so no nodes.
	Source string `json:"source,omitempty"`
}

// Nodes lists the nodes (sinfo).
func (c *Client) Nodes(ctx context.Context) (*NodeList, error) {
	var out NodeList
	if _, err := c.do(ctx, http.MethodGet, "/v1/nodes", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Node reads one node by name (scontrol show node NAME); an unknown name
// is an *Error with code CodeNotFound.
func (c *Client) Node(ctx context.Context, name string) (*Node, error) {
	var out Node
	if _, err := c.do(ctx, http.MethodGet, "/v1/node/"+url.PathEscape(name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
