package cas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in an S3-compatible bucket: each blob is the object
// "<prefix>/<ns>/<digest>" (no prefix: "<ns>/<digest>"). It talks S3 through
// minio-go (Apache-2.0) with path-style requests, so any S3-compatible
// server works (SeaweedFS in the tests). Reads are verified like the local
// store's.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// S3Config is what an s3:// spec names.
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	Prefix    string // without leading or trailing '/'; may be empty
	TLS       bool   // https (the default) or http (?tls=false)
	Region    string // ?region=; empty lets the client find it
}

// Environment variables holding the S3 keys of a spec that names none
// ("s3://host:port/bucket"), so that the secret need not stand in a
// command line (which every local user can read in /proc).
const (
	EnvS3AccessKey = "AWS_ACCESS_KEY_ID"
	EnvS3SecretKey = "AWS_SECRET_ACCESS_KEY"
)

// ParseS3Spec parses "s3://ACCESS:SECRET@host:port/bucket[/prefix][?tls=false][&region=R]".
// ACCESS and SECRET are URL-escaped when they hold '/', '@', ':' or '%'.
// Without "ACCESS:SECRET@", the keys are $AWS_ACCESS_KEY_ID and
// $AWS_SECRET_ACCESS_KEY.
func ParseS3Spec(spec string) (*S3Config, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w blob store %s: %s (want s3://ACCESS:SECRET@HOST:PORT/BUCKET[/PREFIX][?tls=false])", ErrInvalid, redact(spec), why)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, bad("not a URL")
	}
	if u.Scheme != "s3" {
		return nil, bad("not s3://")
	}
	c := &S3Config{Endpoint: u.Host, TLS: true}
	if u.User != nil {
		c.AccessKey = u.User.Username()
		c.SecretKey, _ = u.User.Password()
	} else {
		c.AccessKey, c.SecretKey = os.Getenv(EnvS3AccessKey), os.Getenv(EnvS3SecretKey)
	}
	if c.Endpoint == "" || u.Hostname() == "" {
		return nil, bad("no host")
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return nil, bad("no ACCESS:SECRET credentials (in the spec, or $" + EnvS3AccessKey + " and $" + EnvS3SecretKey + ")")
	}
	p := strings.Trim(u.Path, "/")
	c.Bucket, c.Prefix, _ = strings.Cut(p, "/")
	if c.Bucket == "" {
		return nil, bad("no bucket")
	}
	if c.Prefix != "" && (path.Clean(c.Prefix) != c.Prefix || strings.HasPrefix(c.Prefix, "..") || strings.Contains(c.Prefix, "/../")) {
		return nil, bad("prefix not clean")
	}
	for k, v := range u.Query() {
		switch k {
		case "tls":
			switch v[0] {
			case "true", "1":
				c.TLS = true
			case "false", "0":
				c.TLS = false
			default:
				return nil, bad("tls must be true or false")
			}
		case "region":
			c.Region = v[0]
		default:
			return nil, bad(fmt.Sprintf("unknown parameter %q", k))
		}
	}
	return c, nil
}

func openS3(spec string) (Store, error) {
	c, err := ParseS3Spec(spec)
	if err != nil {
		return nil, err
	}
	return NewS3(c)
}

// NewS3 returns the store in c's bucket; the bucket is made on the first
// Put that finds it missing (or by EnsureBucket).
func NewS3(c *S3Config) (*S3, error) {
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       c.TLS,
		Region:       c.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("blob store s3://%s/%s: %w", c.Endpoint, c.Bucket, err)
	}
	return &S3{c: cl, bucket: c.Bucket, prefix: c.Prefix}, nil
}

// EnsureBucket creates the store's bucket when it does not exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob store: bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("blob store: make bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *S3) key(ns, digest string) (string, error) {
	if err := checkKey(ns, digest); err != nil {
		return "", err
	}
	if s.prefix == "" {
		return ns + "/" + digest, nil
	}
	return s.prefix + "/" + ns + "/" + digest, nil
}

// notFound reports whether err says the object is not there (a missing
// bucket holds no objects either).
func notFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == minio.NoSuchBucket || code == "NotFound"
}

// Has reports whether the object exists.
func (s *S3) Has(ctx context.Context, ns, digest string) (bool, error) {
	k, err := s.key(ns, digest)
	if err != nil {
		return false, err
	}
	_, err = s.c.StatObject(ctx, s.bucket, k, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	}
	return false, fmt.Errorf("blob store s3 %s: %w", k, err)
}

// Put uploads data as one object after checking its digest.
func (s *S3) Put(ctx context.Context, ns, digest string, data []byte) error {
	k, err := s.key(ns, digest)
	if err != nil {
		return err
	}
	if err := Verify(digest, data); err != nil {
		return fmt.Errorf("blob store put: %w", err)
	}
	put := func() error {
		_, err := s.c.PutObject(ctx, s.bucket, k, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
			ContentType:      "application/octet-stream",
			DisableMultipart: true,
			SendContentMd5:   true,
		})
		return err
	}
	err = put()
	if err != nil && minio.ToErrorResponse(err).Code == minio.NoSuchBucket {
		// A new store: make its bucket on the first write.
		if berr := s.EnsureBucket(ctx); berr != nil {
			return berr
		}
		err = put()
	}
	if err != nil {
		return fmt.Errorf("blob store s3 put %s: %w", k, err)
	}
	return nil
}

// Get downloads the object (at most MaxManifest bytes) and checks its digest.
func (s *S3) Get(ctx context.Context, ns, digest string) ([]byte, error) {
	k, err := s.key(ns, digest)
	if err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob store s3 get %s: %w", k, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, MaxManifest+1))
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("blob %s in %s: %w", digest, ns, ErrNotFound)
		}
		return nil, fmt.Errorf("blob store s3 get %s: %w", k, err)
	}
	if err := Verify(digest, data); err != nil {
		return nil, fmt.Errorf("blob store s3 get (%s): %w", k, err)
	}
	return data, nil
}
