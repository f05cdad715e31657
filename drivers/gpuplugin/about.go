package gpuplugin

import (
	"time"

	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/device"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
)

const (
	// PluginName is the plugin's name, and its binary's file name in the
	// client's plugin_dir: the agent's `plugin "hpcbridge-gpu" { ... }`
	// block configures it.
	PluginName = "hpcbridge-gpu"

	// Vendor and DeviceType make Nomad's device name "nvidia/gpu".
	Vendor     = "nvidia"
	DeviceType = device.DeviceTypeGPU
)

// Version is the plugin's version, reported to Nomad. Builds set it with
// -ldflags "-X github.com/hpcbridge/hpcbridge/drivers/gpuplugin.Version=...";
// it must be semantic-version shaped (0.1.0+904f0a9).
var Version = "0.1.0"

// Device group attributes (see docs/gpu.md).
const (
	// AttrBackend is "nvml" or "fake".
	AttrBackend = "backend"
	// AttrFake is true on the fake backend: the GPUs are made up.
	AttrFake = "fake"
	// AttrGresType is the short, lower-case type a Slurm admin would write
	// in gres.conf ("a100", "h100", "a100_1g.5gb" for a MIG instance).
	AttrGresType = "gres_type"
	// AttrMemory is the device's memory in MiB.
	AttrMemory = "memory"
	// AttrComputeCapability is CUDA's "MAJOR.MINOR" ("8.0").
	AttrComputeCapability = "compute_capability"
	// AttrDriverVersion and AttrCUDAVersion are the driver's versions.
	AttrDriverVersion = "driver_version"
	AttrCUDAVersion   = "cuda_version"
)

// Environment variables Reserve sets for a task (see docs/gpu.md).
const (
	// EnvNvidiaVisibleDevices is the NVIDIA container runtime's variable:
	// the reserved GPUs' UUIDs, comma-separated, in NVML index order.
	EnvNvidiaVisibleDevices = "NVIDIA_VISIBLE_DEVICES"
	// EnvUUIDs is the same list.
	EnvUUIDs = "HPCBRIDGE_GPU_UUIDS"
	// EnvIndexes is each GPU's NVML (PCI order) index, same order ("0,3").
	EnvIndexes = "HPCBRIDGE_GPU_INDEXES"
	// EnvBackend is "nvml" or "fake".
	EnvBackend = "HPCBRIDGE_GPU_BACKEND"
)

// Stat names in each device's Stats (see docs/gpu.md).
const (
	StatUtilization = "utilization"
	StatMemoryUsed  = "memory_used"
	StatPower       = "power"
	StatTemperature = "temperature"
)

const (
	// DefaultFingerprintPeriod is how often the GPUs are read again.
	DefaultFingerprintPeriod = 5 * time.Second
	// minPeriod and maxPeriod bound fingerprint_period.
	minPeriod = 100 * time.Millisecond
	maxPeriod = time.Hour
	// xidWait is how long one wait for an NVML event lasts; the watcher
	// checks for shutdown between waits.
	xidWait = time.Second
)

// pluginInfo answers the PluginInfo RPC.
func pluginInfo() *base.PluginInfoResponse {
	return &base.PluginInfoResponse{
		Type:              base.PluginTypeDevice,
		PluginApiVersions: []string{device.ApiVersion010},
		PluginVersion:     Version,
		Name:              PluginName,
	}
}

// configSpec is the plugin configuration (the agent's plugin block). The
// fake_* settings have no defaults here so that setting one with the real
// backend can be refused; Config.normalize fills them in.
var configSpec = hclspec.NewObject(map[string]*hclspec.Spec{
	"backend":    hclspec.NewAttr("backend", "string", true),
	"fake_model": hclspec.NewAttr("fake_model", "string", false),
	"fake_count": hclspec.NewAttr("fake_count", "number", false),
	"fake_seed":  hclspec.NewAttr("fake_seed", "string", false),
	"devices":    hclspec.NewAttr("devices", "list(string)", false),
	"fingerprint_period": hclspec.NewDefault(
		hclspec.NewAttr("fingerprint_period", "string", false),
		hclspec.NewLiteral(`"`+DefaultFingerprintPeriod.String()+`"`),
	),
})
