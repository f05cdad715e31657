package checkpoint

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// countingRemote is a real store remote that counts the blobs put.
type countingRemote struct {
	cas.Remote
	puts int
}

func (c *countingRemote) Put(ctx context.Context, d string, b []byte) error {
	c.puts++
	return c.Remote.Put(ctx, d, b)
}

// The bytes a helper may put are bounded before they reach the
// coordinator: a helper the job tampered with, which ignores the refusal
// and goes on putting, stores nothing more.
func TestServeBoundsPutsOfATamperedHelper(t *testing.T) {
	remote := &countingRemote{Remote: storeRemote(t)}
	aR, aW := io.Pipe() // helper -> driver
	bR, bW := io.Pipe() // driver -> helper
	errc := make(chan error, 1)
	const limit = 1 << 10
	go func() {
		_, err := Serve(context.Background(), aR, bW, &Job{Op: OpScan, Dir: "/x"}, remote, limit)
		bW.Close()
		aR.Close()
		errc <- err
	}()
	f := &fakeHelper{t: t, toDriver: aW, fromDriver: bR}
	if _, _, err := readFrame(bR); err != nil { // the job
		t.Fatal(err)
	}
	// Blobs of maxPayload bytes: the second is over limit+maxPayload.
	refused := 0
	for i := range 4 {
		blob := bytes.Repeat([]byte{byte(i)}, maxPayload)
		if a := f.ask(&header{Op: "put", Digest: cas.Sum(blob)}, blob); a.Error != "" {
			refused++
		}
	}
	if remote.puts != 1 || refused != 3 {
		t.Errorf("with a limit of %d bytes, %d blobs of %d bytes were stored (%d refused), want 1", limit, remote.puts, maxPayload, refused)
	}
	aW.Close()
	bR.Close()
	<-errc
}
