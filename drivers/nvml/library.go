package nvml

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
)

// errClosed is returned by a backend's calls after Close.
var errClosed = errors.New("nvml: backend is closed")

// library is the Backend over a go-nvml Interface on which Init succeeded:
// the real library or the fake's mock server. Both run this code.
type library struct {
	lib  gonvml.Interface
	name string

	mu     sync.RWMutex
	closed bool

	// handles caches device handles by UUID, as the last Devices found
	// them: NVML's handles stay valid while it is initialised, and a
	// lookup per sample would cost an NVML call (and, on the fake, grow
	// the mock's record of calls).
	hmu     sync.Mutex
	handles map[string]gonvml.Device
}

// nvmlError words a failed NVML call: what was asked and NVML's return code.
func nvmlError(what string, ret gonvml.Return) error {
	return fmt.Errorf("nvml: %s: %s", what, ret.Error())
}

// Name is BackendNVML or BackendFake.
func (l *library) Name() string { return l.name }

// Fake reports whether this is the fake backend.
func (l *library) Fake() bool { return l.name == BackendFake }

// Close shuts NVML down once; later calls fail with errClosed.
func (l *library) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if ret := l.lib.Shutdown(); ret != gonvml.SUCCESS {
		return nvmlError("shutdown", ret)
	}
	return nil
}

// use runs f unless the backend is closed; Close waits for running calls.
func (l *library) use(f func() error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return errClosed
	}
	return f()
}

// DriverVersion is the driver's version string.
func (l *library) DriverVersion() (v string, err error) {
	err = l.use(func() error {
		var ret gonvml.Return
		if v, ret = l.lib.SystemGetDriverVersion(); ret != gonvml.SUCCESS {
			return nvmlError("driver version", ret)
		}
		return nil
	})
	return v, err
}

// CUDAVersion is the driver's CUDA version, "MAJOR.MINOR" from NVML's
// 1000*major + 10*minor.
func (l *library) CUDAVersion() (v string, err error) {
	err = l.use(func() error {
		n, ret := l.lib.SystemGetCudaDriverVersion()
		if ret != gonvml.SUCCESS {
			return nvmlError("CUDA driver version", ret)
		}
		v = fmt.Sprintf("%d.%d", n/1000, n%1000/10)
		return nil
	})
	return v, err
}

// DeviceCount is the number of GPUs.
func (l *library) DeviceCount() (n int, err error) {
	err = l.use(func() error {
		var ret gonvml.Return
		if n, ret = l.lib.DeviceGetCount(); ret != gonvml.SUCCESS {
			return nvmlError("device count", ret)
		}
		return nil
	})
	return n, err
}

// Devices describes every GPU in index order, and refreshes the handle
// cache.
func (l *library) Devices() (devs []Device, err error) {
	handles := map[string]gonvml.Device{}
	err = l.use(func() error {
		n, ret := l.lib.DeviceGetCount()
		if ret != gonvml.SUCCESS {
			return nvmlError("device count", ret)
		}
		for i := range n {
			h, ret := l.lib.DeviceGetHandleByIndex(i)
			if ret != gonvml.SUCCESS {
				return nvmlError(fmt.Sprintf("device %d of %d", i, n), ret)
			}
			d, err := describe(h, i, handles)
			if err != nil {
				return err
			}
			handles[d.UUID] = h
			devs = append(devs, d)
		}
		return nil
	})
	if err == nil {
		l.hmu.Lock()
		l.handles = handles
		l.hmu.Unlock()
	}
	return devs, err
}

// describe reads one GPU's static facts, and its MIG instances, whose
// handles it adds to handles.
func describe(h gonvml.Device, index int, handles map[string]gonvml.Device) (Device, error) {
	d := Device{Index: index}
	var ret gonvml.Return
	where := func(what string) string { return fmt.Sprintf("device %d: %s", index, what) }
	if d.UUID, ret = h.GetUUID(); ret != gonvml.SUCCESS {
		return d, nvmlError(where("UUID"), ret)
	}
	if d.Name, ret = h.GetName(); ret != gonvml.SUCCESS {
		return d, nvmlError(where("name"), ret)
	}
	mem, ret := h.GetMemoryInfo()
	if ret != gonvml.SUCCESS {
		return d, nvmlError(where("memory"), ret)
	}
	d.MemoryMiB = mem.Total >> 20
	pci, ret := h.GetPciInfo()
	if ret != gonvml.SUCCESS {
		return d, nvmlError(where("PCI info"), ret)
	}
	d.PCIBusID = busID(pci.BusId)
	major, minor, ret := h.GetCudaComputeCapability()
	if ret != gonvml.SUCCESS {
		return d, nvmlError(where("compute capability"), ret)
	}
	d.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
	d.Minor, ret = h.GetMinorNumber()
	if ret == gonvml.ERROR_NOT_SUPPORTED {
		d.Minor = -1 // no /dev/nvidia<N> (WSL, some virtual GPUs)
	} else if ret != gonvml.SUCCESS {
		return d, nvmlError(where("minor number"), ret)
	}
	mig, err := migDevices(h, d, handles)
	if err != nil {
		return d, err
	}
	d.MIGEnabled, d.MIG = mig != nil, mig
	return d, nil
}

// busID turns NVML's C string "00000000:07:00.0" into "0000:07:00.0": the
// four-digit domain and lower case that Linux (lspci, sysfs) writes.
func busID(raw [32]int8) string {
	var b strings.Builder
	for _, c := range raw {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	s := strings.ToLower(b.String())
	if dom, rest, ok := strings.Cut(s, ":"); ok && len(dom) == 8 && strings.HasPrefix(dom, "0000") {
		s = dom[4:] + ":" + rest
	}
	return s
}

// migDevices lists a GPU's MIG instances, adding their handles to handles:
// nil when MIG is off or not supported (the GPU is then a device of its
// own).
func migDevices(h gonvml.Device, parent Device, handles map[string]gonvml.Device) ([]MIGDevice, error) {
	current, _, ret := h.GetMigMode()
	if ret == gonvml.ERROR_NOT_SUPPORTED || (ret == gonvml.SUCCESS && current != gonvml.DEVICE_MIG_ENABLE) {
		return nil, nil
	}
	if ret != gonvml.SUCCESS {
		return nil, nvmlError(fmt.Sprintf("device %d: MIG mode", parent.Index), ret)
	}
	n, ret := h.GetMaxMigDeviceCount()
	if ret != gonvml.SUCCESS {
		return nil, nvmlError(fmt.Sprintf("device %d: MIG device count", parent.Index), ret)
	}
	out := []MIGDevice{}
	for i := range n {
		m, ret := h.GetMigDeviceHandleByIndex(i)
		if ret == gonvml.ERROR_NOT_FOUND || ret == gonvml.ERROR_INVALID_ARGUMENT {
			continue // no instance in this slot
		}
		if ret != gonvml.SUCCESS {
			return nil, nvmlError(fmt.Sprintf("device %d: MIG device %d", parent.Index, i), ret)
		}
		md, err := describeMIG(m, parent, i)
		if err != nil {
			return nil, err
		}
		handles[md.UUID] = m
		out = append(out, md)
	}
	return out, nil
}

// describeMIG reads one MIG instance's facts.
func describeMIG(m gonvml.Device, parent Device, index int) (MIGDevice, error) {
	md := MIGDevice{Index: index, ParentUUID: parent.UUID, ParentIndex: parent.Index}
	where := fmt.Sprintf("device %d: MIG device %d", parent.Index, index)
	var ret gonvml.Return
	if md.UUID, ret = m.GetUUID(); ret != gonvml.SUCCESS {
		return md, nvmlError(where+": UUID", ret)
	}
	if md.Name, ret = m.GetName(); ret != gonvml.SUCCESS {
		return md, nvmlError(where+": name", ret)
	}
	mem, ret := m.GetMemoryInfo()
	if ret != gonvml.SUCCESS {
		return md, nvmlError(where+": memory", ret)
	}
	md.MemoryMiB = mem.Total >> 20
	if md.GPUInstanceID, ret = m.GetGpuInstanceId(); ret != gonvml.SUCCESS {
		return md, nvmlError(where+": GPU instance id", ret)
	}
	if md.ComputeInstanceID, ret = m.GetComputeInstanceId(); ret != gonvml.SUCCESS {
		return md, nvmlError(where+": compute instance id", ret)
	}
	return md, nil
}

// handle finds a GPU or MIG instance by UUID: in the cache of the last
// Devices, else through NVML.
func (l *library) handle(uuid string) (gonvml.Device, error) {
	l.hmu.Lock()
	h, ok := l.handles[uuid]
	l.hmu.Unlock()
	if ok {
		return h, nil
	}
	h, ret := l.lib.DeviceGetHandleByUUID(uuid)
	if ret != gonvml.SUCCESS {
		return nil, nvmlError(fmt.Sprintf("device %q", uuid), ret)
	}
	return h, nil
}

// Status samples one device. Utilisation, power and temperature that NVML
// does not support on the device are left nil; other failures are errors.
func (l *library) Status(uuid string) (st Status, err error) {
	err = l.use(func() error {
		h, err := l.handle(uuid)
		if err != nil {
			return err
		}
		st, err = status(h, uuid)
		return err
	})
	return st, err
}

// status reads one device's sample.
func status(h gonvml.Device, uuid string) (Status, error) {
	st := Status{Time: time.Now()}
	where := func(what string) string { return fmt.Sprintf("device %q: %s", uuid, what) }
	mem, ret := h.GetMemoryInfo()
	if ret != gonvml.SUCCESS {
		return st, nvmlError(where("memory"), ret)
	}
	st.MemoryUsedMiB, st.MemoryTotalMiB = mem.Used>>20, mem.Total>>20
	util, ret := h.GetUtilizationRates()
	if err := optional(ret, where("utilisation")); err != nil {
		return st, err
	} else if ret == gonvml.SUCCESS {
		st.UtilizationPct = &util.Gpu
	}
	mw, ret := h.GetPowerUsage()
	if err := optional(ret, where("power")); err != nil {
		return st, err
	} else if ret == gonvml.SUCCESS {
		w := float64(mw) / 1000
		st.PowerW = &w
	}
	temp, ret := h.GetTemperature(gonvml.TEMPERATURE_GPU)
	if err := optional(ret, where("temperature")); err != nil {
		return st, err
	} else if ret == gonvml.SUCCESS {
		st.TemperatureC = &temp
	}
	return st, nil
}

// optional is nil for SUCCESS and for what the device does not support.
func optional(ret gonvml.Return, what string) error {
	if ret == gonvml.SUCCESS || ret == gonvml.ERROR_NOT_SUPPORTED {
		return nil
	}
	return nvmlError(what, ret)
}

// Processes lists a device's compute processes.
func (l *library) Processes(uuid string) (ps []Process, err error) {
	err = l.use(func() error {
		h, err := l.handle(uuid)
		if err != nil {
			return err
		}
		infos, ret := h.GetComputeRunningProcesses()
		if ret != gonvml.SUCCESS {
			return nvmlError(fmt.Sprintf("device %q: compute processes", uuid), ret)
		}
		ps = make([]Process, 0, len(infos))
		for _, p := range infos {
			ps = append(ps, Process{PID: p.Pid, UsedMemoryMiB: p.UsedGpuMemory >> 20})
		}
		return nil
	})
	return ps, err
}

// ProcessUtilization returns a device's process samples after since.
func (l *library) ProcessUtilization(uuid string, since uint64) (ss []ProcessSample, err error) {
	err = l.use(func() error {
		h, err := l.handle(uuid)
		if err != nil {
			return err
		}
		samples, ret := h.GetProcessUtilization(since)
		if ret == gonvml.ERROR_NOT_FOUND {
			ss = []ProcessSample{} // no sample since then
			return nil
		}
		if ret != gonvml.SUCCESS {
			return nvmlError(fmt.Sprintf("device %q: process utilisation", uuid), ret)
		}
		ss = make([]ProcessSample, 0, len(samples))
		for _, s := range samples {
			ss = append(ss, ProcessSample{PID: s.Pid, Timestamp: s.TimeStamp, SMUtilPct: s.SmUtil, MemUtilPct: s.MemUtil})
		}
		return nil
	})
	return ss, err
}
