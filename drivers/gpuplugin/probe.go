package gpuplugin

import (
	"fmt"
	"io"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// ProbeArg is the argument that makes the plugin binary a probe instead of
// a plugin: `hpcbridge-gpu probe-nvml` says whether NVML initialises here
// (hpcbridge dev asks it to choose its default backend, so that hpcbridge
// itself never loads NVML).
const ProbeArg = "probe-nvml"

// Probe opens the real NVML backend and writes one line about it to w:
// "NVML initialised: driver 550.54.15, CUDA 12.4, 8 GPUs". When NVML does
// not initialise it returns why, in one line (wrapping nvml.ErrNoLibrary when
// there is no driver), and writes nothing.
func Probe(w io.Writer) error {
	b, err := nvml.OpenReal()
	if err != nil {
		return err
	}
	defer b.Close()
	driver, err := b.DriverVersion()
	if err != nil {
		return err
	}
	cuda, err := b.CUDAVersion()
	if err != nil {
		return err
	}
	n, err := b.DeviceCount()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "NVML initialised: driver %s, CUDA %s, %d GPUs\n", driver, cuda, n)
	return err
}
