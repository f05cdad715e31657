//go:build !linux

package proc

import "fmt"

// KeysArg: see the Linux version.
const KeysArg = "--clear-keys"

func newSessionKeyring() error { return nil }

func lockThread() {}

// ClearKeys: Linux only.
func ClearKeys(exe string, uid, gid int) error { return nil }

func clearKeysMain(args []string) int {
	fmt.Println("clear-keys: Linux only")
	return 1
}
