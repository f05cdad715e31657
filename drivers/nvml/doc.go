// Package nvml is hpcbridge's small interface over NVIDIA's management
// library (NVML), and the only package that imports
// github.com/NVIDIA/go-nvml. The device plugin (drivers/gpuplugin) and the
// task driver read GPUs through its Backend.
//
// There are two backends, always chosen explicitly (see docs/gpu.md):
//
//   - OpenReal loads libnvidia-ml and calls nvmlInit before anything else.
//     Without an NVIDIA driver every other NVML call would crash the process,
//     so when Init fails OpenReal stops there and returns an error (wrapping
//     ErrNoLibrary when the library is missing), and never calls Shutdown.
//   - OpenFake builds a machine out of go-nvml's own mock package (its DGX
//     A100 for "a100", mock devices of the named model otherwise) with UUIDs
//     and PCI bus ids pinned by a seed (the node's name) so that they are the
//     same across restarts. It says it is fake: Backend.Fake is true and
//     Backend.Name is "fake".
//
// Both backends run the same code over go-nvml's nvml.Interface; only the
// construction differs. Every NVML method this package calls is implemented
// by the fake (the mock panics on the others).
package nvml
