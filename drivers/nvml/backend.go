package nvml

import (
	"errors"
	"fmt"
	"time"
)

// Backend names, as the device plugin's config (backend = "...") and its
// device attribute "backend" spell them.
const (
	// BackendNVML is the real NVML library.
	BackendNVML = "nvml"
	// BackendFake is the fake on go-nvml's mock package.
	BackendFake = "fake"
)

// ErrNoLibrary is wrapped by OpenReal's error when libnvidia-ml cannot be
// loaded (NVML's ERROR_LIBRARY_NOT_FOUND): no NVIDIA driver on this machine.
var ErrNoLibrary = errors.New("NVML library (libnvidia-ml.so.1) not found: no NVIDIA driver installed on this machine")

// Backend is what hpcbridge needs from NVML. Devices are listed in NVML
// index order (PCI bus order); the other calls name a GPU or MIG instance by
// its UUID. It is safe for concurrent use.
type Backend interface {
	// Name is BackendNVML or BackendFake.
	Name() string
	// Fake reports whether the GPUs are made up (the fake backend).
	Fake() bool
	// Close shuts NVML down (real) or drops the fake machine. Calls after
	// Close fail.
	Close() error
	// DriverVersion is the NVIDIA driver's version ("550.54.15").
	DriverVersion() (string, error)
	// CUDAVersion is the CUDA version the driver supports ("12.4").
	CUDAVersion() (string, error)
	// DeviceCount is the number of GPUs NVML sees (MIG instances not
	// counted).
	DeviceCount() (int, error)
	// Devices describes every GPU, with its MIG instances when MIG is on.
	Devices() ([]Device, error)
	// Status samples a GPU's (or MIG instance's) utilisation, memory,
	// power and temperature.
	Status(uuid string) (Status, error)
	// Processes lists the compute processes running on a GPU, with the
	// GPU memory each uses.
	Processes(uuid string) ([]Process, error)
	// ProcessUtilization returns the per-process utilisation samples NVML
	// took on a GPU after the timestamp since (microseconds, as NVML counts;
	// 0 for all it keeps). No samples is an empty list, not an error.
	ProcessUtilization(uuid string, since uint64) ([]ProcessSample, error)
	// WatchXID registers for XID critical-error events on every GPU that
	// supports them and returns the event set to wait on.
	WatchXID() (EventWatcher, error)
}

// Device is one GPU as NVML describes it.
type Device struct {
	// Index is NVML's index (PCI bus order), what CUDA_VISIBLE_DEVICES
	// counts with when CUDA_DEVICE_ORDER=PCI_BUS_ID.
	Index int
	// UUID is "GPU-" and a UUID, stable for the GPU's life.
	UUID string
	// Name is the model as NVML names it ("NVIDIA A100-SXM4-40GB").
	Name string
	// MemoryMiB is the GPU's total memory.
	MemoryMiB uint64
	// PCIBusID is "0000:07:00.0" (domain:bus:device.function, lower case).
	PCIBusID string
	// ComputeCapability is CUDA's "MAJOR.MINOR" ("8.0").
	ComputeCapability string
	// Minor is the minor number of /dev/nvidia<Minor>; -1 where NVML has
	// none (WSL, some virtual GPUs).
	Minor int
	// MIGEnabled is true when MIG mode is on (current mode); MIG then
	// lists the instances.
	MIGEnabled bool
	MIG        []MIGDevice
}

// MIGDevice is one MIG instance of a GPU whose MIG mode is on.
type MIGDevice struct {
	// Index is the instance's index under its parent.
	Index int
	// UUID is "MIG-" and a UUID.
	UUID string
	// Name is NVML's name of the instance ("NVIDIA A100-SXM4-40GB MIG 1g.5gb").
	Name string
	// MemoryMiB is the instance's memory.
	MemoryMiB uint64
	// ParentUUID and ParentIndex name the physical GPU.
	ParentUUID  string
	ParentIndex int
	// GPUInstanceID and ComputeInstanceID are NVML's ids of the instance.
	GPUInstanceID     int
	ComputeInstanceID int
}

// Status is one sample of a GPU's state. A field NVML does not support for
// the device (power and temperature of a MIG instance, for one) is nil.
type Status struct {
	// UtilizationPct is the share of the last sample period in which a
	// kernel ran (0-100).
	UtilizationPct *uint32
	// MemoryUsedMiB and MemoryTotalMiB are the device memory in use and in
	// all.
	MemoryUsedMiB  uint64
	MemoryTotalMiB uint64
	// PowerW is the board's power draw in watts.
	PowerW *float64
	// TemperatureC is the GPU core temperature in degrees Celsius.
	TemperatureC *uint32
	// Time is when the sample was taken.
	Time time.Time
}

// Process is a compute process on a GPU.
type Process struct {
	PID           uint32
	UsedMemoryMiB uint64
}

// ProcessSample is NVML's utilisation sample of one process on a GPU.
type ProcessSample struct {
	PID uint32
	// Timestamp is NVML's sample time in microseconds since the epoch.
	Timestamp uint64
	// SMUtilPct and MemUtilPct are the process's share of the GPU's
	// streaming multiprocessors and memory bandwidth (0-100).
	SMUtilPct  uint32
	MemUtilPct uint32
}

// Event is an XID critical error NVML reported.
type Event struct {
	// UUID names the GPU; empty when NVML did not say which GPU (treat
	// every GPU as affected).
	UUID string
	// XID is the error's XID number (see NVIDIA's XID catalogue).
	XID uint64
	// GPUInstanceID and ComputeInstanceID name the MIG instance, when the
	// error was in one (-1 otherwise).
	GPUInstanceID     int
	ComputeInstanceID int
}

// EventWatcher is an NVML event set registered for XID critical errors.
// Only one goroutine may use it: the one that waits also closes it.
type EventWatcher interface {
	// Wait blocks up to timeout for the next event; ok is false when none
	// came in that time.
	Wait(timeout time.Duration) (ev Event, ok bool, err error)
	// Close frees the event set.
	Close() error
}

// ApplicationXID reports whether an XID is one NVIDIA documents as caused by
// the application (a faulting kernel, an exception, a reset it asked for)
// rather than by the GPU: 13, 31, 43, 45, 68 and 109. Such an error does not
// make the GPU unhealthy.
func ApplicationXID(xid uint64) bool {
	switch xid {
	case 13, 31, 43, 45, 68, 109:
		return true
	}
	return false
}

// Open opens the backend named kind (BackendNVML or BackendFake); fake
// configures the fake and is ignored for the real backend.
func Open(kind string, fake FakeConfig) (Backend, error) {
	switch kind {
	case BackendNVML:
		return OpenReal()
	case BackendFake:
		return OpenFake(fake)
	}
	return nil, fmt.Errorf("nvml: backend %q: want %q or %q", kind, BackendNVML, BackendFake)
}
