package chain

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

const (
	// maxKeystoreFile bounds a keystore file (one is about 500 bytes).
	maxKeystoreFile = 64 << 10
	// maxPasswordFile bounds a password file.
	maxPasswordFile = 4 << 10
)

// ErrKeyFileMode: a keystore or password file that users other than its
// owner may read or write is refused (chmod 600 it).
var ErrKeyFileMode = errors.New("chain: key file is open to group or others")

// LoadKeystore decrypts the go-ethereum keystore file (Web3 Secret Storage
// JSON, as `geth account new` and WriteKeystore write) with the password in
// passwordFile: its first line, without the line ending (as geth reads
// --password); an empty file is an empty password (dev keys). Both files must
// be regular files that neither group nor others may read or write
// (ErrKeyFileMode). Errors never contain key material.
func LoadKeystore(file, passwordFile string) (*ecdsa.PrivateKey, error) {
	if file == "" || passwordFile == "" {
		return nil, fmt.Errorf("%w: a keystore needs both its file and a password file", ErrConfig)
	}
	password, err := readKeyFile(passwordFile, maxPasswordFile)
	if err != nil {
		return nil, err
	}
	data, err := readKeyFile(file, maxKeystoreFile)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(password), "\n")
	if !json.Valid(data) {
		// encoding/json's error would quote the offending character: of a
		// password file or a raw key given as the keystore.
		return nil, fmt.Errorf("chain: %s is not a keystore (go-ethereum's JSON key file; its content is not shown)", file)
	}
	key, err := keystore.DecryptKey(data, strings.TrimRight(line, "\r"))
	if err != nil {
		return nil, fmt.Errorf("chain: keystore %s: %w", file, err)
	}
	return key.PrivateKey, nil
}

// WriteKeystore encrypts key with password into a new keystore file (mode
// 0600, written atomically; an existing file is refused, never overwritten),
// with scrypt's light parameters (N=2^12, p=6: 4 MiB, a few milliseconds),
// the strength `geth --dev` uses: meant for dev and test keys, which
// `hpcbridge dev` makes on first start. Production keys: WriteKeystoreStandard,
// or `geth account new`, whose files LoadKeystore reads the same.
func WriteKeystore(file string, key *ecdsa.PrivateKey, password string) error {
	return writeKeystore(file, key, password, keystore.LightScryptN, keystore.LightScryptP)
}

// WriteKeystoreStandard is WriteKeystore with scrypt's standard parameters
// (N=2^18, p=1: 256 MiB and about a second to encrypt or decrypt).
func WriteKeystoreStandard(file string, key *ecdsa.PrivateKey, password string) error {
	return writeKeystore(file, key, password, keystore.StandardScryptN, keystore.StandardScryptP)
}

func writeKeystore(file string, key *ecdsa.PrivateKey, password string, scryptN, scryptP int) error {
	if key == nil {
		return fmt.Errorf("%w: no key to write to %s", ErrConfig, file)
	}
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("chain: keystore %s exists: not overwriting a key", file)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("chain: keystore: %w", err)
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("chain: keystore: %w", err)
	}
	k := &keystore.Key{Id: id, Address: crypto.PubkeyToAddress(key.PublicKey), PrivateKey: key}
	data, err := keystore.EncryptKey(k, password, scryptN, scryptP)
	if err != nil {
		return fmt.Errorf("chain: keystore %s: %w", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("chain: keystore: %w", err)
	}
	if err := writeFileAtomic(file, data, 0o600); err != nil {
		return fmt.Errorf("chain: keystore: %w", err)
	}
	return nil
}

// readKeyFile reads a keystore or password file: a regular file (symbolic
// links followed), closed to group and others, at most limit bytes. The
// mode checked is that of the file read (the path is checked before it is
// opened, so that a FIFO is refused rather than waited on, and the file
// opened must be the one checked).
func readKeyFile(file string, limit int64) ([]byte, error) {
	checked, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	if !checked.Mode().IsRegular() {
		return nil, fmt.Errorf("chain: %s is not a regular file", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	if !os.SameFile(checked, fi) {
		return nil, fmt.Errorf("chain: %s was replaced while it was read", file)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o (chmod 600 it)", ErrKeyFileMode, file, perm)
	}
	var buf bytes.Buffer
	if n, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, fmt.Errorf("chain: read %s: %w", file, err)
	} else if n > limit {
		return nil, fmt.Errorf("chain: %s: larger than %d bytes", file, limit)
	}
	return buf.Bytes(), nil
}
