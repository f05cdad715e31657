//go:build tools

// Package tools pins SeaweedFS's weed command so that the module keeps its
// dependencies; `make s3` builds it into bin/weed.
package tools

import (
	_ "github.com/seaweedfs/seaweedfs/weed"
)
