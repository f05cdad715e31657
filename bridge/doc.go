// Package bridge is the coordinator: the service `hpcbridge server` (and
// `hpcbridge dev`) runs. New(Config).Run owns the Raft node, the API server,
// the tasks every server runs (the API, the output mirror and its sweep)
// and, on each leadership gain, one leader term: its tasks (the API address,
// the Nomad executor's event follower and reconcile, the scheduler, and
// Config.LeaderTasks) run under one errgroup, and the next term starts only
// after every task of the last one has returned (see LeaderTask).
//
// Its subpackages are the coordinator's parts:
//
//	apiserver   the /v1 HTTP routes, access control, leader forwarding, limits
//	api         the Go client and wire types (api/wire: the lean part; api/brief: the packed brief list)
//	sched       the leader's scheduler loop
//	nomadexec   the Nomad executor: start/stop/signal/capacity, event follower, reconcile, outcomes
//	archive     the output archive on every server: copies, mirror, sweep
//	bridgetest  an in-process API server over a real Raft cluster, for tests
//	e2e         end-to-end tests: hpcbridge processes and real Nomad agents
package bridge
