// Package bridge is to be the coordinator: the service `hpcbridge server`
// runs, which owns the Raft node, the API server, the tasks every server
// runs and, on each leadership gain, one leader term (scheduler, executor
// reconcile). Until that lands, cmd/hpcbridge assembles these parts.
//
// Its subpackages are the coordinator's parts:
//
//	apiserver   the /v1 HTTP routes, access control, leader forwarding, limits
//	api         the Go client and wire types (api/wire: the lean part; api/brief: the packed brief list)
//	sched       the leader's scheduler loop
//	nomadexec   the Nomad executor and the output archive
//	bridgetest  an in-process API server over a real Raft cluster, for tests
//	e2e         end-to-end tests: hpcbridge processes and real Nomad agents
package bridge
