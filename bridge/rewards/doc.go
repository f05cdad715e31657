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
// Each term starts with a Raft Barrier: a new leader reads the ledger only
// after it applied everything its predecessor committed (an intent it did
// not see would make it sign a second transaction for the epoch). A
// recorded intent's transaction is sent only when it is that epoch's
// publish of the ledger's root, to the contract, from the publisher key.
//
// The chain's node is trusted for reads (run your own, or one you trust):
// a node that lies about the contract's epoch and root can make an epoch
// look published. What a wrong or lagging node can no longer do: make the
// publisher pay more than Config.MaxFeePerGas per gas (default 500 gwei,
// whatever tip it suggests), sign below the mined nonce, or halt
// publishing by answering from a block before the previous epoch's
// publish (read again instead). A publish unmined after Publisher.Replace
// (5 minutes) is replaced by the same call at the same nonce with fees
// raised by 10% (within the bound), its intent committed first.
// The chain id is pinned to the one the contract's published epochs were
// sent on: a node answering another is refused (nothing is signed for a
// chain where the transaction could be replayed). A halt's reason never
// quotes the chain URL's user info or query. The dev faucet funds each
// wallet once.
// Config.Confirmations (hpcbridge server --reward-confirmations) is how
// deep the publish must be before the epoch is recorded published: 0 for
// chains that never reorganise (the simulated chain, geth --dev); a depth
// no reorg reaches on a real chain (e.g. 64 on Ethereum mainnet).
//
// Keys come from keystore files only and are never logged.
package rewards
