package cas_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// testStore is the conformance suite every Store backend passes (the local
// directory and S3). corrupt, when not nil, overwrites a stored blob's bytes
// behind the store's back.
func testStore(t *testing.T, s cas.Store, corrupt func(t *testing.T, ns, digest string, data []byte)) {
	ctx := context.Background()
	a := []byte("hello, blob")
	da := cas.Sum(a)

	t.Run("put-get-has", func(t *testing.T) {
		if ok, err := s.Has(ctx, "alice", da); err != nil || ok {
			t.Fatalf("Has before Put = %v, %v; want false, nil", ok, err)
		}
		if _, err := s.Get(ctx, "alice", da); !errors.Is(err, cas.ErrNotFound) {
			t.Fatalf("Get before Put: %v, want ErrNotFound", err)
		}
		if err := s.Put(ctx, "alice", da, a); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "alice", da, a); err != nil {
			t.Fatalf("second Put: %v", err)
		}
		if ok, err := s.Has(ctx, "alice", da); err != nil || !ok {
			t.Fatalf("Has after Put = %v, %v", ok, err)
		}
		got, err := s.Get(ctx, "alice", da)
		if err != nil || !bytes.Equal(got, a) {
			t.Fatalf("Get = %q, %v", got, err)
		}
		empty := cas.Sum(nil)
		if err := s.Put(ctx, "alice", empty, nil); err != nil {
			t.Fatalf("Put empty: %v", err)
		}
		if got, err := s.Get(ctx, "alice", empty); err != nil || len(got) != 0 {
			t.Fatalf("Get empty = %q, %v", got, err)
		}
	})
	t.Run("namespaces-are-separate", func(t *testing.T) {
		if ok, err := s.Has(ctx, "bob", da); err != nil || ok {
			t.Fatalf("bob Has alice's blob = %v, %v", ok, err)
		}
		if _, err := s.Get(ctx, "bob", da); !errors.Is(err, cas.ErrNotFound) {
			t.Fatalf("bob Get alice's blob: %v, want ErrNotFound", err)
		}
	})
	t.Run("put-refuses-mismatch", func(t *testing.T) {
		b := []byte("other bytes")
		err := s.Put(ctx, "alice", cas.Sum([]byte("claimed")), b)
		if !errors.Is(err, cas.ErrDigestMismatch) {
			t.Fatalf("Put with a wrong digest: %v, want ErrDigestMismatch", err)
		}
		if ok, _ := s.Has(ctx, "alice", cas.Sum([]byte("claimed"))); ok {
			t.Fatal("a mismatched Put was stored")
		}
	})
	t.Run("refuses-oversize", func(t *testing.T) {
		big := make([]byte, cas.MaxManifest+1)
		if err := s.Put(ctx, "alice", cas.Sum(big), big); err == nil {
			t.Fatal("Put of a blob over MaxManifest succeeded")
		}
	})
	t.Run("bad-keys", func(t *testing.T) {
		for _, ns := range []string{"", ".", "..", "../x", "a/b", "-x", ".hidden", strings.Repeat("a", 65), "a\x00b"} {
			if err := s.Put(ctx, ns, da, a); !errors.Is(err, cas.ErrInvalid) {
				t.Errorf("Put in namespace %q: %v, want ErrInvalid", ns, err)
			}
			if _, err := s.Has(ctx, ns, da); !errors.Is(err, cas.ErrInvalid) {
				t.Errorf("Has in namespace %q: %v, want ErrInvalid", ns, err)
			}
		}
		for _, d := range []string{"", "sha256:", "sha256:../../x", strings.ToUpper(da), "md5:" + da[7:], da + "0"} {
			if _, err := s.Get(ctx, "alice", d); !errors.Is(err, cas.ErrInvalid) {
				t.Errorf("Get of digest %q: %v, want ErrInvalid", d, err)
			}
		}
	})
	t.Run("get-verifies", func(t *testing.T) {
		if corrupt == nil {
			t.Skip("no way to corrupt this backend's blobs")
		}
		b := []byte("will be corrupted")
		d := cas.Sum(b)
		if err := s.Put(ctx, "carol", d, b); err != nil {
			t.Fatal(err)
		}
		corrupt(t, "carol", d, []byte("will be corruptex"))
		if got, err := s.Get(ctx, "carol", d); !errors.Is(err, cas.ErrDigestMismatch) {
			t.Fatalf("Get of a corrupted blob = %q, %v; want ErrDigestMismatch", got, err)
		}
		// Putting it again repairs it.
		if err := s.Put(ctx, "carol", d, b); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "carol", d); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("Get after a repairing Put = %q, %v", got, err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := bytes.Repeat([]byte{byte(i % 2)}, 1000)
				d := cas.Sum(b)
				if err := s.Put(ctx, "dave", d, b); err != nil {
					errs <- err
					return
				}
				if got, err := s.Get(ctx, "dave", d); err != nil || !bytes.Equal(got, b) {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent put/get: %v", err)
		}
	})
}
