// Package gpuplugin is hpcbridge's Nomad device plugin "hpcbridge-gpu": it
// offers a node's NVIDIA GPUs to Nomad as "nvidia/gpu" devices, read through
// drivers/nvml with the backend its configuration names (the real NVML, or
// the fake one that says it is fake).
//
// It fingerprints each GPU (UUID, model, memory, PCI bus id, compute
// capability, driver and CUDA versions; MIG instances as devices of their
// own when MIG is on) and sends a fingerprint only when something changed;
// an XID critical error reported by NVML marks that GPU unhealthy, and the
// new fingerprint goes out at once. Reserve hands a task exactly its GPUs
// (the visible-device environment, and device nodes on real hardware);
// Stats reports utilisation, memory, power and temperature. The contract
// with the task driver and the coordinator, and the configuration, are in
// docs/gpu.md.
package gpuplugin
