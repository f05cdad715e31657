package taskdriver

import (
	"time"

	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/fsisolation"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
)

const (
	// PluginName is the driver's name: jobs say `driver = "hpcbridge"`.
	PluginName = "hpcbridge"

	// BinaryName is the plugin binary's file name in the client's
	// plugin_dir; the agent's `plugin "hpcbridge-driver" { ... }` block
	// is matched against this file name, not against PluginName.
	BinaryName = "hpcbridge-driver"

	// fingerprintPeriod is how often the driver re-checks its health.
	fingerprintPeriod = 30 * time.Second

	// taskHandleVersion versions the TaskState kept in task handles.
	taskHandleVersion = 1
)

// Version is the driver's version, reported to Nomad as the plugin version
// and in the node attribute driver.hpcbridge.version. Builds set it with
// -ldflags "-X github.com/hpcbridge/hpcbridge/drivers/taskdriver.Version=...";
// Nomad refuses a plugin whose version is not semantic-version shaped, so
// build metadata goes after a '+' (0.1.0+904f0a9).
var Version = "0.1.0"

// pluginInfo answers the PluginInfo RPC.
func pluginInfo() *base.PluginInfoResponse {
	return &base.PluginInfoResponse{
		Type:              base.PluginTypeDriver,
		PluginApiVersions: []string{drivers.ApiVersion010},
		PluginVersion:     Version,
		Name:              PluginName,
	}
}

// Node attributes the driver reports (besides driver.hpcbridge and its
// version): the node's run-as policy, for `scontrol show node` and for
// placement constraints.
const (
	// AttrRunAs is "submitter" or "pool".
	AttrRunAs = "driver." + PluginName + ".run_as"
	// AttrPoolUIDs is the pool's uid range, "FIRST-LAST" (pool only).
	AttrPoolUIDs = "driver." + PluginName + ".pool_uids"
	// AttrAllowRoot says whether a job may run as root.
	AttrAllowRoot = "driver." + PluginName + ".allow_root"
	// AttrSandbox is true on a node that runs jobs in sandboxes (donor
	// nodes: docs/driver.md, "Sandbox mode").
	AttrSandbox = "driver." + PluginName + ".sandbox"
)

// configSpec is the plugin configuration (the agent's plugin block).
var configSpec = hclspec.NewObject(map[string]*hclspec.Spec{
	"run_as": hclspec.NewDefault(
		hclspec.NewAttr("run_as", "string", false),
		hclspec.NewLiteral(`"`+DefaultRunAs+`"`),
	),
	"pool_uids": hclspec.NewDefault(
		hclspec.NewAttr("pool_uids", "string", false),
		hclspec.NewLiteral(`"`+DefaultPoolUIDs+`"`),
	),
	"pool_dir": hclspec.NewDefault(
		hclspec.NewAttr("pool_dir", "string", false),
		hclspec.NewLiteral(`"`+DefaultPoolDir+`"`),
	),
	"allow_root": hclspec.NewDefault(
		hclspec.NewAttr("allow_root", "bool", false),
		hclspec.NewLiteral("false"),
	),
	"sandbox": hclspec.NewDefault(
		hclspec.NewAttr("sandbox", "bool", false),
		hclspec.NewLiteral("false"),
	),
	"sandbox_uids": hclspec.NewDefault(
		hclspec.NewAttr("sandbox_uids", "string", false),
		hclspec.NewLiteral(`"`+DefaultSandboxUIDs+`"`),
	),
	"sandbox_pids_max": hclspec.NewDefault(
		hclspec.NewAttr("sandbox_pids_max", "number", false),
		hclspec.NewLiteral("4096"),
	),
	"node_key_file": hclspec.NewDefault(
		hclspec.NewAttr("node_key_file", "string", false),
		hclspec.NewLiteral(`"`+DefaultNodeKeyFile+`"`),
	),
})

// taskConfigSpec is a task's `config` block: the contract with the
// coordinator, documented in docs/driver.md.
var taskConfigSpec = hclspec.NewObject(map[string]*hclspec.Spec{
	"script": hclspec.NewAttr("script", "string", true),
	"script_name": hclspec.NewDefault(
		hclspec.NewAttr("script_name", "string", false),
		hclspec.NewLiteral(`"slurm_script"`),
	),
	"args":    hclspec.NewAttr("args", "list(string)", false),
	"workdir": hclspec.NewAttr("workdir", "string", false),
	"output":  hclspec.NewAttr("output", "string", false),
	"error":   hclspec.NewAttr("error", "string", false),
	"input":   hclspec.NewAttr("input", "string", false),
	"open_mode": hclspec.NewDefault(
		hclspec.NewAttr("open_mode", "string", false),
		hclspec.NewLiteral(`"truncate"`),
	),
	"time_limit_min": hclspec.NewAttr("time_limit_min", "number", false),
	"env":            hclspec.NewAttr("env", "map(string)", false),
	// A multi-node job's layout (taskspec.Config; absent for one node).
	"nodes":           hclspec.NewAttr("nodes", "number", false),
	"ntasks":          hclspec.NewAttr("ntasks", "number", false),
	"ntasks_per_node": hclspec.NewAttr("ntasks_per_node", "number", false),
	"cpus_per_task":   hclspec.NewAttr("cpus_per_task", "number", false),
	"cpus_per_node":   hclspec.NewAttr("cpus_per_node", "number", false),
	"step_service":    hclspec.NewAttr("step_service", "string", false),
	// Files and checkpoints (taskspec.Config; absent without credentials).
	"coordinator":    hclspec.NewAttr("coordinator", "string", false),
	"run_token":      hclspec.NewAttr("run_token", "string", false),
	"job_id":         hclspec.NewAttr("job_id", "number", false),
	"run":            hclspec.NewAttr("run", "number", false),
	"staged_input":   hclspec.NewAttr("staged_input", "string", false),
	"restore":        hclspec.NewAttr("restore", "string", false),
	"checkpoint_dir": hclspec.NewAttr("checkpoint_dir", "string", false),
})

// capabilities: signals yes (with Slurm's scopes); no `nomad alloc exec`
// (it would run as root in the task's context on a donor's machine); no
// file-system isolation: the script runs in the job's directory on the
// host, as under Slurm.
var capabilities = &drivers.Capabilities{
	SendSignals:       true,
	Exec:              false,
	FSIsolation:       fsisolation.None,
	NetIsolationModes: []drivers.NetIsolationMode{drivers.NetIsolationModeHost},
	MountConfigs:      drivers.MountConfigSupportNone,
}
