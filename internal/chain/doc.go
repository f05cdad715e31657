// Package chain opens the Ethereum chain that the rewards publisher writes
// epoch roots to and that donors claim from: either go-ethereum's in-process
// simulated chain (Kind "simulated", the embedded default of `hpcbridge dev`)
// or any JSON-RPC endpoint (Kind "rpc", e.g. geth).
//
// Both kinds hand out the same Backend, usable as the backend of abigen v2
// bindings (bind.ContractBackend and bind.DeployBackend) and for plain reads
// (chain id, nonces, balances, receipts, logs).
//
// The simulated chain:
//
//   - runs Osaka rules: OsakaConfig is go-ethereum's dev chain configuration
//     with every fork after Osaka switched off (the dev configuration enables a
//     future fork's gas schedule by default, which is not what mainnet charges);
//   - mines each transaction it receives (go-ethereum's simulated beacon,
//     asked for a block whenever the pool has a new transaction, like
//     `geth --dev --dev.period 0`, but with at most one empty block per
//     wake-up: a transaction no block can take stays pending instead of
//     making the chain seal empty blocks without end);
//     Backend.SendTransaction returns once the transaction is in a block (and
//     the database synced), so bind.WaitMined finds the receipt at once;
//   - keeps its state in Config.DataDir when one is given: blocks, state
//     (hash scheme, archive: each block's state is written as the block is,
//     so a killed process loses nothing it reported mined) and the genesis it
//     was created with (genesis.json), so a restarted process reopens the same
//     chain with its contracts, balances and block number. An empty DataDir
//     keeps everything in memory (tests);
//   - serves an allow-listed, bounded JSON-RPC endpoint (ServeRPC) so command
//     line tools reach the embedded chain through the coordinator's API.
//
// Keys come from encrypted keystore files (LoadKeystore, WriteKeystore) and are
// never logged or taken from flags.
package chain
