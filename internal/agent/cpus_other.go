//go:build !linux

package agent

import "runtime"

// allowedCPUs are 0 .. NumCPU-1 outside Linux.
func allowedCPUs() ([]int, error) {
	out := make([]int, runtime.NumCPU())
	for i := range out {
		out[i] = i
	}
	return out, nil
}
