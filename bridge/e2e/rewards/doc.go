// Package rewards tests issue 15's rewards end to end, with real
// processes: donors' machines (`hpcbridge agent` with a join token, each
// its own Nomad client with fake GPUs of a model of its own) run
// checkpointing jobs for three coordinator processes (`hpcbridge server`)
// that credit the donors' wallets, close epochs (`hpcbridge rewards
// close`) and publish each epoch's Merkle root to a chain, `geth --dev`
// over JSON-RPC (internal/gethtest); the donors claim with `hpcbridge
// rewards claim --keystore` and get exactly their credit, then a top-up;
// the leader is killed between sending a publish transaction and recording
// it, and the chain is stopped while an epoch closes: every epoch is
// published once and none is skipped. The embedded chain (go-ethereum's
// simulated backend inside the coordinator) is tested on `hpcbridge dev`.
// The package has only tests; it needs root (the donors' sandboxes), the
// nomad binary and bin/geth, and skips without them.
package rewards
