package wallet

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/sha3"
)

// A published vector, computed by another implementation (web3.js's
// accounts.sign, documented with this key): our personal_sign hash, our
// signature and our recovery must agree with it.
const (
	vectorKey     = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	vectorAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	vectorMessage = "Some data"
	vectorHash    = "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
	vectorSig     = "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c"
)

func TestKnownVector(t *testing.T) {
	key, err := LoadKey("0x" + vectorKey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := Address(key); got != vectorAddress {
		t.Fatalf("address of the key = %s, want %s", got, vectorAddress)
	}
	// The hash, computed here with golang.org/x/crypto's Keccak, not
	// go-ethereum's.
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte("\x19Ethereum Signed Message:\n9" + vectorMessage))
	if got := hex.EncodeToString(k.Sum(nil)); got != vectorHash {
		t.Fatalf("x/crypto keccak of the envelope = %s, want %s", got, vectorHash)
	}
	if got := hex.EncodeToString(hash(vectorMessage)); got != vectorHash {
		t.Fatalf("hash = %s, want %s", got, vectorHash)
	}
	// RFC 6979 signatures are deterministic: ours is the published one.
	if got := EncodeSignature(Sign(vectorMessage, key)); got != vectorSig {
		t.Fatalf("Sign = %s, want %s", got, vectorSig)
	}
	sig, err := ParseSignature(vectorSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vectorMessage, sig, vectorAddress); err != nil {
		t.Fatalf("Verify of the published signature: %v", err)
	}
	// The address as lower case (as many tools print it) is the same.
	if err := Verify(vectorMessage, sig, strings.ToLower(vectorAddress)); err != nil {
		t.Fatalf("Verify with a lower-case address: %v", err)
	}
	// v as 0/1 (some signers) is taken too.
	low := append([]byte(nil), sig...)
	low[64] -= 27
	if err := Verify(vectorMessage, low, vectorAddress); err != nil {
		t.Fatalf("Verify with v 0/1: %v", err)
	}
}

func TestGeneratedKey(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := Address(key)
	if want := crypto.PubkeyToAddress(key.PublicKey).Hex(); addr != want {
		t.Fatalf("Address = %s, want %s", addr, want)
	}
	issued := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	msg := Message("lab", "uni-a", addr, issued)
	want := "hpcbridge donor registration\ncluster: lab\ndonor: uni-a\nwallet: " + addr + "\nissued: 2026-12-06T10:00:00Z"
	if msg != want {
		t.Fatalf("Message = %q, want %q", msg, want)
	}
	sig := Sign(msg, key)
	if len(sig) != SignatureLen || (sig[64] != 27 && sig[64] != 28) {
		t.Fatalf("signature %x: want 65 bytes with v 27 or 28", sig)
	}
	if got, err := Recover(msg, sig); err != nil || got != addr {
		t.Fatalf("Recover = %s, %v; want %s", got, err, addr)
	}
	if err := Verify(msg, sig, addr); err != nil {
		t.Fatal(err)
	}

	other, _ := GenerateKey()
	if err := Verify(msg, Sign(msg, other), addr); !errors.Is(err, ErrSigner) {
		t.Fatalf("another wallet's signature: %v, want ErrSigner", err)
	}
	// The same signature over another donor's (or cluster's, or time's)
	// challenge proves nothing.
	for _, m := range []string{
		Message("lab", "uni-b", addr, issued),
		Message("other", "uni-a", addr, issued),
		Message("lab", "uni-a", addr, issued.Add(time.Second)),
	} {
		if err := Verify(m, sig, addr); err == nil {
			t.Fatalf("signature of %q verified for %q", msg, m)
		}
	}
	bad := append([]byte(nil), sig...)
	bad[64] = 29
	if err := Verify(msg, bad, addr); !errors.Is(err, ErrSignature) {
		t.Fatalf("v 29: %v, want ErrSignature", err)
	}
	if err := Verify(msg, sig[:64], addr); !errors.Is(err, ErrSignature) {
		t.Fatalf("64 bytes: %v, want ErrSignature", err)
	}
}

func TestParseAddress(t *testing.T) {
	for _, bad := range []string{"", "0x", "2c7536E3605D9C16a7a3D7b1898e529396a65c23", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c2",
		"0x2c7536E3605D9C16a7a3D7b1898e529396a65c2g", "0x2c7536e3605D9C16a7a3D7b1898e529396a65c23" /* checksum broken */} {
		if _, err := ParseAddress(bad); !errors.Is(err, ErrAddress) {
			t.Errorf("ParseAddress(%q) = %v, want ErrAddress", bad, err)
		}
	}
	for _, ok := range []string{vectorAddress, strings.ToLower(vectorAddress), "0x" + strings.ToUpper(vectorAddress[2:])} {
		if got, err := ParseAddress(ok); err != nil || got != vectorAddress {
			t.Errorf("ParseAddress(%q) = %s, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"", "0x12", strings.Repeat("zz", 65), vectorSig + "00"} {
		if _, err := ParseSignature(bad); !errors.Is(err, ErrSignature) {
			t.Errorf("ParseSignature(%q) = %v, want ErrSignature", bad, err)
		}
	}
}

func TestCheckIssued(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		issued time.Time
		ok     bool
	}{
		{now, true},
		{now.Add(-MaxSkew), true},
		{now.Add(MaxSkew), true},
		{now.Add(-MaxSkew - time.Second), false},
		{now.Add(MaxSkew + time.Second), false},
		{now.Add(-24 * time.Hour), false},
	} {
		err := CheckIssued(c.issued, now)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrStale)) {
			t.Errorf("CheckIssued(%s) = %v, want ok %v", c.issued, err, c.ok)
		}
	}
}

func TestLoadKey(t *testing.T) {
	for _, bad := range []string{"", "0x12", strings.Repeat("g", 64), strings.Repeat("0", 64)} {
		if _, err := LoadKey(bad); err == nil {
			t.Errorf("LoadKey(%q) took it", bad)
		}
	}
}
