package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDevTokenFilePerAddress: a second hpcbridge dev on other ports leaves
// the CLI's default token file (the first instance's) alone and says how
// to reach it; the one on the default address writes it.
func TestDevTokenFilePerAddress(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home}
	defaultFile := filepath.Join(home, ".config", "hpcbridge", "token")
	start := func(bind, secret string) (string, string) {
		t.Helper()
		dir := t.TempDir()
		// A data dir bootstrapped before: dev reuses its token.
		if err := os.WriteFile(filepath.Join(dir, "management-token"), []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		file, err := devToken(context.Background(), devOptions{dataDir: dir, bind: bind}, streams{out: &out, err: &out, env: env}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return file, dir
	}
	if file, _ := start("127.0.0.1:4747", "first"); file != defaultFile {
		t.Errorf("default address: token in %q, want %q", file, defaultFile)
	}
	file, dir := start("127.0.0.1:5858", "second")
	if want := filepath.Join(dir, "management-token"); file != want {
		t.Errorf("other address: token in %q, want the data dir's %q", file, want)
	}
	if b, err := os.ReadFile(defaultFile); err != nil || string(b) != "first\n" {
		t.Errorf("the default token file holds %q (%v): the second instance replaced the first's token", b, err)
	}
	// HPCBRIDGE_TOKEN_FILE chooses the file, whatever the address.
	chosen := filepath.Join(t.TempDir(), "tok")
	env = append(env, "HPCBRIDGE_TOKEN_FILE="+chosen)
	if file, _ := start("127.0.0.1:5959", "third"); file != chosen {
		t.Errorf("with %s: token in %q", chosen, file)
	}
}
