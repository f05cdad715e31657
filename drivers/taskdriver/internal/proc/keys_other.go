//go:build !linux

package proc

import "fmt"

// ScrubArg: see the Linux version.
const ScrubArg = "--scrub"

func newSessionKeyring() error { return nil }

func lockThread() {}

// Scrub: Linux only.
func Scrub(exe string, uid, gid int) error { return nil }

func scrubMain(args []string) int {
	fmt.Println("scrub: Linux only")
	return 1
}

// EnvHelperIDs: see the Linux version.
const EnvHelperIDs = "HPCBRIDGE_HELPER_IDS"

// DropHelper: Linux only.
func DropHelper() error { return nil }
