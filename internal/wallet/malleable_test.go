package wallet

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// TestHighSRefused: a signature is malleable (r, n-s, v^1 recovers the
// same signer), so a stored proof, which anyone reading the donor may
// see, can be turned into a second, different "proof" of the same
// message. Wallets sign with a low s (EIP-2, as Ethereum itself requires
// of transactions); Verify takes only those, so each proof has one form.
func TestHighSRefused(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := Message("c", "uni-a", Address(key), time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	sig := Sign(msg, key)
	if err := Verify(msg, sig, Address(key)); err != nil {
		t.Fatal(err)
	}
	n := crypto.S256().Params().N
	s := new(big.Int).SetBytes(sig[32:64])
	hi := new(big.Int).Sub(n, s)
	mal := append([]byte(nil), sig...)
	hi.FillBytes(mal[32:64])
	mal[64] = 27 + (1 - (sig[64] - 27)) // the other recovery id
	// Without the check, the twin recovers the same signer.
	if got, _ := crypto.SigToPub(hash(msg), append(mal[:64:64], mal[64]-27)); got == nil || crypto.PubkeyToAddress(*got).Hex() != Address(key) {
		t.Fatalf("the malleated twin does not recover the signer (test is wrong): %v", got)
	}
	if err := Verify(msg, mal, Address(key)); !errors.Is(err, ErrSignature) {
		t.Fatalf("Verify of the high-s twin: %v, want ErrSignature", err)
	}
	// r or s zero, or r or s at least n: refused too.
	for name, edit := range map[string]func(b []byte){
		"r=0": func(b []byte) { clear(b[:32]) },
		"s=0": func(b []byte) { clear(b[32:64]) },
		"r=n": func(b []byte) { n.FillBytes(b[:32]) },
	} {
		b := append([]byte(nil), sig...)
		edit(b)
		if err := Verify(msg, b, Address(key)); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
}
