// Package rewards is the coordinator's side of the reward chain: it closes
// ledger epochs and publishes each epoch's Merkle root to the
// RewardDistributor contract exactly once, across leader failover and chain
// outages (docs/rewards.md).
//
// Open connects to the chain (internal/chain: the embedded simulated chain
// or any JSON-RPC endpoint), loads the publisher key from its keystore file
// and checks the contract. The Service it returns gives the coordinator two
// leader tasks and the API its RewardsBackend:
//
//   - the closer (Closer) closes the next epoch every Config.Epoch when some
//     wallet's cumulative credit changed since the last one; Service.Close
//     closes one now (POST /v1/rewards/close).
//   - the publisher (Publisher) publishes the epochs in order. For each, it
//     reads the contract's current epoch and root first: the chain already
//     holding the epoch with the same root is recorded as published with
//     nothing sent; another root halts publishing, loudly, until an admin
//     resumes it. Otherwise it re-broadcasts the transaction a Raft intent
//     recorded, or signs a new one and commits its intent to Raft before it
//     sends it, waits for the receipt and records the epoch published; a
//     reverted publish halts. Chain errors are retried with capped
//     exponential backoff. So a new leader never sends a second transaction
//     for an epoch whose first one landed, whether or not it was recorded.
//
// Keys come from keystore files only and are never logged.
package rewards
