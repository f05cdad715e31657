//go:build tools

// Package tools pins go-ethereum's geth command so that `go mod tidy` keeps
// its dependencies; `make geth` builds it into bin/geth.
package tools

import (
	_ "github.com/ethereum/go-ethereum/cmd/geth"
)
