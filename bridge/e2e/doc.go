// Package e2e holds end-to-end tests that run real hpcbridge server
// processes (built from ./cmd/hpcbridge) on loopback: a three-node
// coordinator cluster under load, with its leader killed.
package e2e
