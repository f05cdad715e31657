package stepnet

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Kind is a frame's type.
type Kind byte

// Frame kinds. srun sends Ping, Launch, Stdin, StdinEOF and Signal; stepd
// answers Pong, Launched, Stdout, Stderr, Exit and Done.
const (
	KindPing     Kind = 1 + iota // {} -> Pong
	KindPong                     // Pong
	KindLaunch                   // Launch
	KindLaunched                 // Launched
	KindStdin                    // raw bytes for task Rank
	KindStdinEOF                 // task Rank's stdin ends
	KindSignal                   // Signal, to every task of the step on the node
	KindStdout                   // raw bytes from task Rank
	KindStderr                   // raw bytes from task Rank
	KindExit                     // Exit of task Rank
	KindDone                     // every task of the node ended and its output was sent
)

// MaxFrame bounds a frame's payload; a larger one ends the connection.
const MaxFrame = 1 << 20

// headerLen is a frame's header: payload length (4), kind (1), rank (4).
const headerLen = 9

// Frame is one message.
type Frame struct {
	Kind Kind
	Rank int
	Data []byte
}

// ReadFrame reads one frame, refusing payloads over MaxFrame.
func ReadFrame(r io.Reader) (Frame, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(h[0:4])
	if n > MaxFrame {
		return Frame{}, fmt.Errorf("step service: frame of %d bytes (at most %d)", n, MaxFrame)
	}
	f := Frame{Kind: Kind(h[4]), Rank: int(binary.BigEndian.Uint32(h[5:9])), Data: make([]byte, n)}
	if _, err := io.ReadFull(r, f.Data); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// Decode unmarshals a frame's JSON payload into v.
func (f Frame) Decode(v any) error {
	if err := json.Unmarshal(f.Data, v); err != nil {
		return fmt.Errorf("step service: frame kind %d: %w", f.Kind, err)
	}
	return nil
}

// Conn writes frames on one connection; writes from several goroutines
// do not interleave.
type Conn struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConn wraps w.
func NewConn(w io.Writer) *Conn { return &Conn{w: w} }

// Write sends one frame with a raw payload (at most MaxFrame bytes).
func (c *Conn) Write(k Kind, rank int, data []byte) error {
	if len(data) > MaxFrame {
		return fmt.Errorf("step service: frame of %d bytes (at most %d)", len(data), MaxFrame)
	}
	b := make([]byte, headerLen+len(data))
	binary.BigEndian.PutUint32(b[0:4], uint32(len(data)))
	b[4] = byte(k)
	binary.BigEndian.PutUint32(b[5:9], uint32(rank))
	copy(b[headerLen:], data)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.w.Write(b)
	return err
}

// WriteJSON sends one frame whose payload is v as JSON.
func (c *Conn) WriteJSON(k Kind, rank int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Write(k, rank, b)
}
