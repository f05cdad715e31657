//go:build tools

// Package tools pins the Nomad agent's main package so that `go mod tidy`
// keeps its dependencies; `make nomad` builds it with `-tags ui`.
package tools

import (
	_ "github.com/hashicorp/nomad"
)
