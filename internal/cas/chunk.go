package cas

import (
	"errors"
	"io"
)

// Chunk sizes of the content-defined chunker.
const (
	MinChunk = 256 << 10
	AvgChunk = 1 << 20
)

// The chunker is a gear hash with normalized cut points (after the FastCDC
// paper, Xia et al., USENIX ATC 2016): h = h<<1 + gear[byte], so each bit of
// h depends on the last 64 bytes only and a cut point depends on the content
// around it, not on its offset. Before AvgChunk a cut needs the top maskHard
// bits of h to be zero (rarer), after it the top maskEasy bits (commoner),
// which narrows the spread of chunk sizes around AvgChunk. No cut is looked
// for in the first MinChunk bytes, and a chunk never exceeds MaxChunk.
const (
	hardBits = 22
	easyBits = 18
	maskHard = uint64(1<<hardBits-1) << (64 - hardBits)
	maskEasy = uint64(1<<easyBits-1) << (64 - easyBits)
)

// gear is 256 pseudo-random 64-bit words, from a fixed splitmix64 sequence so
// that every build cuts the same chunks (the digests of stored trees depend
// on it: never change the seed).
var gear = func() (g [256]uint64) {
	x := uint64(0x6870636272696467) // "hpcbridg"
	for i := range g {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		g[i] = z ^ (z >> 31)
	}
	return g
}()

// cut returns the length of the first chunk of b. b holds at least MaxChunk
// bytes unless it is the end of the input.
func cut(b []byte) int {
	n := len(b)
	if n <= MinChunk {
		return n
	}
	if n > MaxChunk {
		n = MaxChunk
	}
	mid := AvgChunk
	if mid > n {
		mid = n
	}
	var h uint64
	i := MinChunk
	for ; i < mid; i++ {
		h = h<<1 + gear[b[i]]
		if h&maskHard == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		h = h<<1 + gear[b[i]]
		if h&maskEasy == 0 {
			return i + 1
		}
	}
	return n
}

// Chunker cuts a stream into content-defined chunks.
type Chunker struct {
	r   io.Reader
	buf []byte
	beg int // start of unconsumed data in buf
	end int // end of data in buf
	eof bool
}

// NewChunker returns a chunker reading r.
func NewChunker(r io.Reader) *Chunker {
	return &Chunker{r: r, buf: make([]byte, 2*MaxChunk)}
}

// Next returns the next chunk, or io.EOF after the last. The slice is valid
// only until the next call.
func (c *Chunker) Next() ([]byte, error) {
	if c.end-c.beg < MaxChunk && !c.eof {
		if c.beg > 0 {
			c.end = copy(c.buf, c.buf[c.beg:c.end])
			c.beg = 0
		}
		for c.end < len(c.buf) && !c.eof {
			n, err := c.r.Read(c.buf[c.end:])
			c.end += n
			if errors.Is(err, io.EOF) {
				c.eof = true
			} else if err != nil {
				return nil, err
			}
		}
	}
	if c.beg == c.end {
		return nil, io.EOF
	}
	n := cut(c.buf[c.beg:c.end])
	b := c.buf[c.beg : c.beg+n]
	c.beg += n
	return b, nil
}

// Chunks returns the lengths of the chunks data is cut into.
func Chunks(data []byte) []int {
	var out []int
	for len(data) > 0 {
		n := cut(data)
		out = append(out, n)
		data = data[n:]
	}
	return out
}
