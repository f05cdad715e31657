// Package wallet proves that a donor organisation holds the Ethereum
// wallet it registers with: the donor signs a challenge (Message) with the
// wallet's key the way every wallet signs text (EIP-191 personal_sign:
// MetaMask's personal_sign, `cast wallet sign`, geth's
// personal.sign), and the coordinator recovers the signer's address from
// the signature (Verify). Nothing is sent to a chain; no key leaves the
// donor, except in Sign, which the CLI uses with a key file the donor
// names (--wallet-key) and the tests use with keys they generate.
package wallet

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// MaxSkew is how far a proof's issued time may be from the coordinator's
// clock, either way.
const MaxSkew = 10 * time.Minute

// SignatureLen is the length of a personal_sign signature: r, s and v.
const SignatureLen = 65

// Errors Verify returns (errors.Is).
var (
	// ErrAddress: the address is not a 0x-prefixed 20-byte hex address.
	ErrAddress = errors.New("wallet address: want 0x followed by 40 hex digits")
	// ErrSignature: the signature is not 65 bytes with v 27, 28, 0 or 1,
	// or no public key can be recovered from it.
	ErrSignature = errors.New("wallet signature: want 65 bytes (r, s, v) with v 27 or 28")
	// ErrSigner: the signature is valid but made by another wallet.
	ErrSigner = errors.New("wallet signature was made by another wallet")
	// ErrStale: the proof's issued time is too far from now.
	ErrStale = errors.New("wallet proof is stale")
)

// Message is the text a donor signs to prove it holds address: it names
// the cluster, the donor and the wallet, and when it was issued (RFC 3339,
// UTC, seconds), so that a signature is good for one registration only.
func Message(cluster, donor, address string, issued time.Time) string {
	return "hpcbridge donor registration\n" +
		"cluster: " + cluster + "\n" +
		"donor: " + donor + "\n" +
		"wallet: " + address + "\n" +
		"issued: " + issued.UTC().Format(time.RFC3339)
}

// hash is EIP-191's personal_sign hash of msg: keccak256 of
// "\x19Ethereum Signed Message:\n" + decimal length + msg.
func hash(msg string) []byte {
	return crypto.Keccak256([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(msg)) + msg))
}

// ParseAddress checks a 0x-prefixed hex address and returns its EIP-55
// checksummed form. A mixed-case address must carry a valid checksum
// (a typo in it would otherwise name another wallet).
func ParseAddress(s string) (string, error) {
	if len(s) != 42 || !strings.HasPrefix(s, "0x") || !common.IsHexAddress(s) {
		return "", fmt.Errorf("%.50q: %w", s, ErrAddress)
	}
	a := common.HexToAddress(s)
	body := s[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && a.Hex() != s {
		return "", fmt.Errorf("%s: %w (its EIP-55 checksum is wrong)", s, ErrAddress)
	}
	return a.Hex(), nil
}

// ParseSignature reads a hex signature, with or without 0x.
func ParseSignature(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if len(s) != 2*SignatureLen {
		return nil, fmt.Errorf("%w: got %d hex digits, want %d", ErrSignature, len(s), 2*SignatureLen)
	}
	b, err := common.ParseHexOrString("0x" + s)
	if err != nil || len(b) != SignatureLen {
		return nil, fmt.Errorf("%w: not hex", ErrSignature)
	}
	return b, nil
}

// Recover returns the checksummed address that signed msg with sig
// (EIP-191 personal_sign; v 27/28 or 0/1).
func Recover(msg string, sig []byte) (string, error) {
	if len(sig) != SignatureLen {
		return "", fmt.Errorf("%w: got %d bytes", ErrSignature, len(sig))
	}
	s := make([]byte, SignatureLen)
	copy(s, sig)
	switch s[64] {
	case 27, 28:
		s[64] -= 27
	case 0, 1:
	default:
		return "", fmt.Errorf("%w: v is %d", ErrSignature, sig[64])
	}
	// A signature (r, s) and its twin (r, n-s) with the other v recover
	// the same signer: take only the low-s form (EIP-2; every wallet signs
	// so), so that a proof, which anyone who reads the donor sees, has
	// one form and cannot be made into a second one.
	if !crypto.ValidateSignatureValues(s[64], new(big.Int).SetBytes(s[:32]), new(big.Int).SetBytes(s[32:64]), true) {
		return "", fmt.Errorf("%w: r or s out of range, or s in the upper half of the curve order (sign with a wallet that follows EIP-2)", ErrSignature)
	}
	pub, err := crypto.SigToPub(hash(msg), s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub).Hex(), nil
}

// Verify checks that sig is address's EIP-191 personal_sign signature of
// msg.
func Verify(msg string, sig []byte, address string) error {
	want, err := ParseAddress(address)
	if err != nil {
		return err
	}
	got, err := Recover(msg, sig)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: signed by %s, not %s", ErrSigner, got, want)
	}
	return nil
}

// CheckIssued refuses an issued time more than MaxSkew from now.
func CheckIssued(issued, now time.Time) error {
	if d := now.Sub(issued); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: issued %s, %v from the coordinator's clock (at most %v): sign a new challenge",
			ErrStale, issued.UTC().Format(time.RFC3339), d.Round(time.Second), MaxSkew)
	}
	return nil
}

// Sign signs msg with key as personal_sign does (v 27 or 28).
func Sign(msg string, key *ecdsa.PrivateKey) []byte {
	sig, err := crypto.Sign(hash(msg), key)
	if err != nil {
		// crypto.Sign fails only on a hash that is not 32 bytes or a key
		// that is not secp256k1: a programming error.
		panic(fmt.Sprintf("wallet: sign: %v", err))
	}
	sig[64] += 27
	return sig
}

// Address is the checksummed address of key.
func Address(key *ecdsa.PrivateKey) string {
	return crypto.PubkeyToAddress(key.PublicKey).Hex()
}

// LoadKey reads a hex secp256k1 private key (64 hex digits, with or
// without 0x, surrounding space ignored), as geth and cast write them.
func LoadKey(text string) (*ecdsa.PrivateKey, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(text), "0x"), "0X")
	k, err := crypto.HexToECDSA(s)
	if err != nil {
		return nil, fmt.Errorf("wallet key: want 64 hex digits of a secp256k1 private key: %w", err)
	}
	return k, nil
}

// GenerateKey makes a new wallet key (tests, and trying the CLI out).
func GenerateKey() (*ecdsa.PrivateKey, error) { return crypto.GenerateKey() }

// EncodeSignature is sig as 0x-prefixed hex, as wallets print it.
func EncodeSignature(sig []byte) string { return "0x" + fmt.Sprintf("%x", sig) }
