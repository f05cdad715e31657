package nvml

import (
	"fmt"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
)

// noInstance is NVML's "not a MIG instance" GPU/compute instance id.
const noInstance = 0xFFFFFFFF

// WatchXID creates an event set registered for XID critical errors on every
// GPU that supports them. A GPU that does not is skipped (it can then only
// be seen as lost by a failing NVML call).
func (l *library) WatchXID() (w EventWatcher, err error) {
	err = l.use(func() error {
		set, ret := l.lib.EventSetCreate()
		if ret != gonvml.SUCCESS {
			return nvmlError("create event set", ret)
		}
		if err := l.registerXID(set); err != nil {
			set.Free()
			return err
		}
		w = &watcher{l: l, set: set}
		return nil
	})
	return w, err
}

// registerXID registers each GPU that supports XID events with set.
func (l *library) registerXID(set gonvml.EventSet) error {
	n, ret := l.lib.DeviceGetCount()
	if ret != gonvml.SUCCESS {
		return nvmlError("device count", ret)
	}
	for i := range n {
		h, ret := l.lib.DeviceGetHandleByIndex(i)
		if ret != gonvml.SUCCESS {
			return nvmlError(fmt.Sprintf("device %d of %d", i, n), ret)
		}
		supported, ret := h.GetSupportedEventTypes()
		if ret == gonvml.ERROR_NOT_SUPPORTED || supported&gonvml.EventTypeXidCriticalError == 0 {
			continue
		}
		if ret != gonvml.SUCCESS {
			return nvmlError(fmt.Sprintf("device %d: supported events", i), ret)
		}
		ret = h.RegisterEvents(gonvml.EventTypeXidCriticalError, set)
		if ret != gonvml.SUCCESS && ret != gonvml.ERROR_NOT_SUPPORTED {
			return nvmlError(fmt.Sprintf("device %d: register XID events", i), ret)
		}
	}
	return nil
}

// watcher is an event set registered by WatchXID.
type watcher struct {
	l   *library
	set gonvml.EventSet
}

// Wait returns the next XID event, or ok=false after timeout.
func (w *watcher) Wait(timeout time.Duration) (ev Event, ok bool, err error) {
	err = w.l.use(func() error {
		data, ret := w.set.Wait(uint32(timeout.Milliseconds()))
		if ret == gonvml.ERROR_TIMEOUT {
			return nil
		}
		if ret != gonvml.SUCCESS {
			return nvmlError("wait for events", ret)
		}
		if data.EventType != gonvml.EventTypeXidCriticalError {
			return nil
		}
		ev, ok = event(data), true
		return nil
	})
	return ev, ok, err
}

// event converts NVML's event data; a device NVML did not name has UUID "".
func event(data gonvml.EventData) Event {
	ev := Event{XID: data.EventData, GPUInstanceID: -1, ComputeInstanceID: -1}
	if data.Device != nil {
		if uuid, ret := data.Device.GetUUID(); ret == gonvml.SUCCESS {
			ev.UUID = uuid
		}
	}
	if data.GpuInstanceId != noInstance {
		ev.GPUInstanceID = int(data.GpuInstanceId)
	}
	if data.ComputeInstanceId != noInstance {
		ev.ComputeInstanceID = int(data.ComputeInstanceId)
	}
	return ev
}

// Close frees the event set.
func (w *watcher) Close() error {
	return w.l.use(func() error {
		if ret := w.set.Free(); ret != gonvml.SUCCESS {
			return nvmlError("free event set", ret)
		}
		return nil
	})
}
