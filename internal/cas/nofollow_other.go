//go:build !unix

package cas

const (
	oNoFollow = 0
	oNonBlock = 0
)
