// Package pilot tests examples/slurm/donate-node.sh, the pilot job a
// university's admin submits to their own Slurm cluster to lend its
// allocation to the federation, on real Slurm: the Slurm 22.05 oracle of
// ../shared/slurm-oracle, whose slurmd runs the pilot on this machine. The
// pilot's `hpcbridge agent` joins the test's own coordinator and Nomad
// (`hpcbridge dev --staged`, whose one Nomad client is the "other node"),
// runs jobs, and leaves on the pilot's --signal before its time limit: the
// job running there checkpoints and resumes on the other node, and Slurm
// records the pilot COMPLETED, not TIMEOUT. The package has only tests.
//
// The oracle is shared with other packages' tests, whose jobs take the
// node's whole memory one at a time: the pilot may queue for minutes
// behind them. Run it with a timeout above go test's 10 minutes, as
// `make test` does: go test -timeout 30m ./bridge/e2e/pilot.
package pilot
