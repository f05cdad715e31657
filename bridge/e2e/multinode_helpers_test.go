package e2e

// devNodeNames are the first node names of `hpcbridge dev --nodes N`
// (cmd/hpcbridge's devNodeNames): loopback addresses, which every name
// lookup resolves and every node reaches, so that a multi-node job finds
// its first node by name (MASTER_ADDR, MPI's daemons). The multi-node tests
// give their own Nomad clients these names too.
var devNodeNames = []string{"127.0.1.101", "127.0.1.102", "127.0.1.103"}
