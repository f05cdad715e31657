// Package receipt is the unit of credited work: a statement, signed by the
// ed25519 key of the node that did the work, that a run of a job committed
// a checkpoint after holding some GPUs and CPUs for an interval. The node's
// driver makes and signs receipts; the coordinator verifies them against
// the node's registered public key, checks the checkpoint's digest in the
// store, and credits only what the Nomad servers observed.
//
// The signed bytes are the receipt's canonical JSON (Canonical): field
// order fixed by the struct, times in UTC with nanoseconds, no extra
// spaces. A receipt travels as a Signed: the canonical bytes as sent, and
// the signature over exactly those bytes, so nobody re-encodes what was
// signed.
package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Version is the receipt format; a receipt of another version is refused.
const Version = 1

// MaxBytes bounds a receipt's canonical encoding.
const MaxBytes = 16 << 10

// MaxGPUs bounds the GPUs one receipt may name.
const MaxGPUs = 64

// Receipt is what a node signs when a run of a job commits a checkpoint.
type Receipt struct {
	// Version is the format (Version).
	Version int `json:"v"`
	// JobID is the Slurm job id (an array task's own id); Run the run
	// (the job's restart count when it started: 0, 1, ...); Seq the
	// checkpoint's number within the run, from 1.
	JobID uint64 `json:"job"`
	Run   int    `json:"run"`
	Seq   int    `json:"seq"`
	// Node is the Nomad node's name, NodeID its Nomad node id, AllocID
	// the Nomad allocation the work ran in.
	Node    string `json:"node"`
	NodeID  string `json:"node_id"`
	AllocID string `json:"alloc"`
	// GPUs are the UUIDs of the GPUs the run held (none: CPU work);
	// CPUs the CPUs it held.
	GPUs []string `json:"gpus,omitempty"`
	CPUs int      `json:"cpus"`
	// Start and End bound the work this receipt claims: from the end of
	// the run's previous receipt (or the run's start) to the commit.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Digest is the checkpoint manifest's digest ("sha256:<64 hex>"),
	// Size the checkpoint's total bytes (every file's size), Uploaded
	// the bytes this commit sent (the delta).
	Digest   string `json:"digest"`
	Size     int64  `json:"size"`
	Uploaded int64  `json:"uploaded"`
	// Trigger says what committed the checkpoint: "command" (hpcbridge
	// checkpoint), "exit85", "stop" (a reclaim, a time limit or a
	// cancel's grace).
	Trigger string `json:"trigger"`
}

// Triggers.
const (
	TriggerCommand = "command"
	TriggerExit85  = "exit85"
	TriggerStop    = "stop"
)

// Signed is a receipt as sent: its canonical bytes and the node's
// signature over them (both base64 in JSON).
type Signed struct {
	Body []byte `json:"body"`
	Sig  []byte `json:"sig"`
}

// Canonical is r's encoding for signing: its JSON with times in UTC.
func (r *Receipt) Canonical() ([]byte, error) {
	c := *r
	c.Start, c.End = c.Start.UTC(), c.End.UTC()
	return json.Marshal(&c)
}

// Seconds is the length of the interval the receipt claims, in whole
// seconds (rounded down; 0 when End is not after Start).
func (r *Receipt) Seconds() int64 {
	if !r.End.After(r.Start) {
		return 0
	}
	return int64(r.End.Sub(r.Start) / time.Second)
}

// Check reports what is wrong with r's fields, before any signature check.
func (r *Receipt) Check() error {
	switch {
	case r.Version != Version:
		return fmt.Errorf("receipt version %d, want %d", r.Version, Version)
	case r.JobID == 0:
		return errors.New("receipt names no job")
	case r.Run < 0 || r.Seq < 1:
		return fmt.Errorf("receipt run %d seq %d: want run >= 0 and seq >= 1", r.Run, r.Seq)
	case r.Node == "" || len(r.Node) > 256 || r.NodeID == "" || len(r.NodeID) > 64 || r.AllocID == "" || len(r.AllocID) > 64:
		return errors.New("receipt node, node id and allocation must be given (at most 256, 64 and 64 bytes)")
	case len(r.GPUs) > MaxGPUs:
		return fmt.Errorf("receipt names %d GPUs (at most %d)", len(r.GPUs), MaxGPUs)
	case r.CPUs < 0 || r.CPUs > 1<<16:
		return fmt.Errorf("receipt CPUs %d out of range", r.CPUs)
	case r.Start.IsZero() || r.End.Before(r.Start):
		return errors.New("receipt interval must start and not end before it starts")
	case !ValidDigest(r.Digest):
		return fmt.Errorf("receipt digest %q: want sha256:<64 lower-case hex>", r.Digest)
	case r.Size < 0 || r.Uploaded < 0:
		return errors.New("receipt sizes must not be negative")
	}
	switch r.Trigger {
	case TriggerCommand, TriggerExit85, TriggerStop:
	default:
		return fmt.Errorf("receipt trigger %q: want command, exit85 or stop", r.Trigger)
	}
	for _, g := range r.GPUs {
		if g == "" || len(g) > 128 {
			return errors.New("receipt GPU UUIDs must be 1 to 128 bytes")
		}
	}
	return nil
}

// ValidDigest reports whether d is "sha256:" and 64 lower-case hex digits.
func ValidDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Sign makes r's signed form with the node's private key.
func Sign(r *Receipt, key ed25519.PrivateKey) (*Signed, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	body, err := r.Canonical()
	if err != nil {
		return nil, err
	}
	return &Signed{Body: body, Sig: ed25519.Sign(key, body)}, nil
}

// Open verifies s's signature with pub and returns the receipt it signs,
// checked. The body must be exactly the receipt's canonical encoding: a
// body with unknown fields, or one that re-encodes differently, is refused.
func Open(s *Signed, pub ed25519.PublicKey) (*Receipt, error) {
	if s == nil || len(s.Body) == 0 || len(s.Body) > MaxBytes {
		return nil, fmt.Errorf("receipt body missing or over %d bytes", MaxBytes)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("node key is not an ed25519 public key")
	}
	if !ed25519.Verify(pub, s.Body, s.Sig) {
		return nil, errors.New("receipt signature does not verify with the node's key")
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(s.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt body: %w", err)
	}
	if again, err := r.Canonical(); err != nil || !bytes.Equal(again, s.Body) {
		return nil, errors.New("receipt body is not in canonical form")
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// EncodeKey is a public key's text form: "ed25519:" and base64 (std).
func EncodeKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// DecodeKey reads EncodeKey's form.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b64, ok := strings.CutPrefix(s, "ed25519:")
	if !ok {
		return nil, fmt.Errorf("node key %q: want ed25519:<base64>", s)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("node key %q: want %d bytes of base64", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// LoadOrCreateKey reads the node's private key from path (the 32-byte
// seed, hex, mode 0600), creating it on first use. A key file that others
// may read is refused.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%x\n", seed)), 0o600); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, err
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("node key %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	var seed []byte
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%x", &seed); err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("node key %s: want %d bytes of hex", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
