package cas_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/cas/s3test"
)

// The S3 backend passes the same conformance suite as the directory store,
// against a real SeaweedFS.
func TestS3Store(t *testing.T) {
	srv := s3test.Start(t)
	s, err := cas.Open(srv.Spec("blobs/v1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, s, func(t *testing.T, ns, digest string, data []byte) {
		_, err := raw.PutObject(context.Background(), srv.Bucket, "blobs/v1/"+ns+"/"+digest, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("keys", func(t *testing.T) {
		// Blobs are "<prefix>/<ns>/<digest>".
		d := cas.Sum([]byte("hello, blob"))
		if _, err := raw.StatObject(context.Background(), srv.Bucket, "blobs/v1/alice/"+d, minio.StatObjectOptions{}); err != nil {
			t.Fatalf("object for alice's blob: %v", err)
		}
	})
	t.Run("wrong-secret", func(t *testing.T) {
		bad, err := cas.Open("s3://" + srv.AccessKey + ":wrong@" + srv.Endpoint + "/" + srv.Bucket + "?tls=false")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bad.Get(context.Background(), "alice", cas.Sum([]byte("hello, blob"))); err == nil || errors.Is(err, cas.ErrNotFound) {
			t.Fatalf("Get with a wrong secret: %v", err)
		}
	})
	t.Run("anonymous-refused", func(t *testing.T) {
		resp, err := http.Get("http://" + srv.Endpoint + "/" + srv.Bucket + "/blobs/v1/alice/" + cas.Sum([]byte("hello, blob")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("anonymous GET: %s, want 403", resp.Status)
		}
	})
	t.Run("new-bucket", func(t *testing.T) { testS3NewBucket(t, srv) })
	t.Run("keys-from-environment", func(t *testing.T) {
		t.Setenv(cas.EnvS3AccessKey, srv.AccessKey)
		t.Setenv(cas.EnvS3SecretKey, srv.SecretKey)
		s, err := cas.Open("s3://" + srv.Endpoint + "/" + srv.Bucket + "/blobs/v1?tls=false")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(context.Background(), "alice", cas.Sum([]byte("hello, blob"))); err != nil || string(got) != "hello, blob" {
			t.Fatalf("Get with the keys from the environment = %q, %v", got, err)
		}
	})
	t.Run("upload-restore", func(t *testing.T) {
		src := t.TempDir()
		write(t, filepath.Join(src, "a/model.bin"), randBytes(5, 6<<20), 0o600)
		m, l, err := cas.Scan(src, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := cas.StoreRemote(s, "erin")
		md, st, err := cas.Upload(context.Background(), m, l, r)
		if err != nil || st.SentChunks == 0 {
			t.Fatalf("upload %+v %v", st, err)
		}
		if _, err := cas.Restore(context.Background(), md, t.TempDir(), r); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseS3Spec(t *testing.T) {
	c, err := cas.ParseS3Spec("s3://AK:S%2Fk@h.example:9000/bkt/a/b?tls=false&region=eu")
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "h.example:9000" || c.AccessKey != "AK" || c.SecretKey != "S/k" || c.Bucket != "bkt" || c.Prefix != "a/b" || c.TLS || c.Region != "eu" {
		t.Fatalf("parsed %+v", c)
	}
	if c, _ := cas.ParseS3Spec("s3://AK:SK@h:1/b"); c == nil || !c.TLS || c.Prefix != "" {
		t.Fatalf("defaults %+v", c)
	}
	// Keys from the environment when the spec names none (a secret in a
	// command line is readable by every local user).
	t.Setenv(cas.EnvS3AccessKey, "ENVAK")
	t.Setenv(cas.EnvS3SecretKey, "ENVSK")
	if c, err := cas.ParseS3Spec("s3://h:1/b"); err != nil || c.AccessKey != "ENVAK" || c.SecretKey != "ENVSK" {
		t.Fatalf("keys from the environment: %+v, %v", c, err)
	}
	if c, err := cas.ParseS3Spec("s3://AK:SK@h:1/b"); err != nil || c.AccessKey != "AK" || c.SecretKey != "SK" {
		t.Fatalf("keys in the spec and the environment: %+v, %v", c, err)
	}
	t.Setenv(cas.EnvS3SecretKey, "")
	for _, bad := range []string{
		"s3://h:1/b",                  // no keys (no secret in the environment)
		"s3://AK@h:1/b",               // no secret
		"s3://AK:SK@/b",               // no host
		"s3://AK:SK@h:1/",             // no bucket
		"s3://AK:SK@h:1/b/../x",       // unclean prefix
		"s3://AK:SK@h:1/b?tls=maybe",  // bad tls
		"s3://AK:SK@h:1/b?insecure=1", // unknown parameter
	} {
		_, err := cas.ParseS3Spec(bad)
		if !errors.Is(err, cas.ErrInvalid) {
			t.Errorf("ParseS3Spec(%q): %v, want ErrInvalid", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), ":SK@") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

// A store whose bucket does not exist yet makes it on its first Put.
func testS3NewBucket(t *testing.T, srv *s3test.Server) {
	s, err := cas.Open("s3://" + srv.AccessKey + ":" + srv.SecretKey + "@" + srv.Endpoint + "/fresh-bucket/p?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := []byte("first")
	if ok, err := s.Has(ctx, "alice", cas.Sum(b)); err != nil || ok {
		t.Fatalf("Has in a missing bucket = %v, %v; want false, nil", ok, err)
	}
	if err := s.Put(ctx, "alice", cas.Sum(b), b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "alice", cas.Sum(b)); err != nil || string(got) != "first" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}
