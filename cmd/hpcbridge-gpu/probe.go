package main

import (
	"fmt"
	"io"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// probeArg runs the binary as a probe instead of a plugin: `hpcbridge-gpu
// probe-nvml` says whether NVML initialises on this machine (exit 0, with
// the driver version and GPU count) or not (exit 1, with why). `hpcbridge
// dev` asks it to choose its default GPU backend: the CLI itself stays free
// of NVML (and cgo), and a crash here cannot take it down. Nomad never
// passes arguments to the plugin unless its plugin block's args say so.
const probeArg = "probe-nvml"

// probe initialises the real NVML backend and describes what it sees.
func probe(out, errw io.Writer) int {
	b, err := nvml.OpenReal()
	if err != nil {
		fmt.Fprintf(errw, "%v\n", err)
		return 1
	}
	defer b.Close()
	driver, err := b.DriverVersion()
	if err != nil {
		fmt.Fprintf(errw, "NVML initialised, but: %v\n", err)
		return 1
	}
	n, err := b.DeviceCount()
	if err != nil {
		fmt.Fprintf(errw, "NVML initialised, but: %v\n", err)
		return 1
	}
	fmt.Fprintf(out, "NVML initialised: driver %s, %d GPUs\n", driver, n)
	return 0
}
