package chain

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func writeFile(t *testing.T, file, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestKeystoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	key := testKey(t)
	file := filepath.Join(dir, "sub", "publisher.json")
	if err := WriteKeystore(file, key, "s3cret"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keystore mode %v (%v), want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(file)
	if strings.Contains(strings.ToLower(string(data)), hex.EncodeToString(crypto.FromECDSA(key))) {
		t.Fatal("keystore holds the key in the clear")
	}
	// The password file's first line, CR LF and all.
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, "s3cret\r\nignored second line\n", 0o600)
	got, err := LoadKeystore(file, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(key) {
		t.Fatal("LoadKeystore returned another key")
	}
	// Never overwritten.
	if err := WriteKeystore(file, testKey(t), "x"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrite: %v", err)
	}
	// A wrong password: refused, and the error carries no secret.
	writeFile(t, pw, "wrong", 0o600)
	if _, err := LoadKeystore(file, pw); err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	// Empty password file: the empty password (dev keys).
	dev := filepath.Join(dir, "dev.json")
	if err := WriteKeystore(dev, key, ""); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "", 0o600)
	if got, err := LoadKeystore(dev, empty); err != nil || !got.Equal(key) {
		t.Fatalf("empty password: %v", err)
	}
	// The standard-strength writer is read the same way (256 MiB of scrypt
	// twice: seconds, tens of them under -race).
	if testing.Short() {
		return
	}
	std := filepath.Join(dir, "std.json")
	if err := WriteKeystoreStandard(std, key, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadKeystore(std, empty); err != nil || !got.Equal(key) {
		t.Fatalf("standard keystore: %v", err)
	}
}

// TestKeystoreFileModes: a keystore or password file that group or others
// may read or write is refused, as are directories and missing files.
func TestKeystoreFileModes(t *testing.T) {
	dir := t.TempDir()
	key := testKey(t)
	file := filepath.Join(dir, "k.json")
	if err := WriteKeystore(file, key, ""); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, "", 0o600)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o666} {
		if err := os.Chmod(file, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeystore(file, pw); !errors.Is(err, ErrKeyFileMode) {
			t.Errorf("keystore mode %#o: %v, want ErrKeyFileMode", mode, err)
		}
		if err := os.Chmod(file, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(pw, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeystore(file, pw); !errors.Is(err, ErrKeyFileMode) {
			t.Errorf("password file mode %#o: %v, want ErrKeyFileMode", mode, err)
		}
		if err := os.Chmod(pw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadKeystore(file, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeystore(dir, pw); err == nil {
		t.Error("a directory as keystore accepted")
	}
	if _, err := LoadKeystore(filepath.Join(dir, "missing"), pw); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing keystore: %v", err)
	}
	if _, err := LoadKeystore(file, ""); !errors.Is(err, ErrConfig) {
		t.Errorf("no password file: %v", err)
	}
	big := filepath.Join(dir, "big")
	writeFile(t, big, strings.Repeat("x", maxKeystoreFile+1), 0o600)
	if _, err := LoadKeystore(big, pw); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("oversize keystore: %v", err)
	}
}

// A file that is not keystore JSON — the password file given as the
// keystore, or a raw hex private key — is refused without quoting it:
// encoding/json's syntax errors name the offending character.
func TestLoadKeystoreErrorQuotesNothing(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rawKey := filepath.Join(dir, "key.hex")
	if err := os.WriteFile(rawKey, []byte("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{pw, rawKey} {
		_, err := LoadKeystore(f, pw)
		if err == nil {
			t.Fatalf("%s loaded as a keystore", f)
		}
		for _, leak := range []string{"'s'", "'c'", "s3", "4c08"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("LoadKeystore(%s): the error quotes the file (%s): %v", filepath.Base(f), leak, err)
			}
		}
		if !strings.Contains(err.Error(), "not a keystore") {
			t.Errorf("LoadKeystore(%s): %v", filepath.Base(f), err)
		}
	}
}
