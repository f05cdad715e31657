package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Files in the agent's data dir (Options.DataDir).
const (
	// StateFile records the join: which coordinator, donor and node name,
	// the Nomad servers and what the join answered. Its presence means the
	// node joined: a later start does not redeem a token again.
	StateFile = "agent.json"
	// KeyFile is the node's ed25519 key (internal/receipt's key file): the
	// join proves it, the task driver signs receipts and run-token
	// requests with it (its node_key_file), and leaving is signed with it.
	KeyFile = "node.key"
	// NomadDir is the Nomad client's directory: agent.hcl (the
	// configuration written on every start), agent.log and data/.
	NomadDir = "nomad"
	// lockFile is held (flock) while an agent runs on the data dir.
	lockFile = "agent.lock"
	// maxStateBytes bounds the state file.
	maxStateBytes = 1 << 20
)

// State is what the data dir remembers of the join (StateFile).
type State struct {
	// Coordinator is the coordinator's address the node joined.
	Coordinator string `json:"coordinator"`
	// Donor and NodeName are what the coordinator recorded.
	Donor    string `json:"donor"`
	NodeName string `json:"node_name"`
	// Key is the node's public key (receipt.EncodeKey).
	Key string `json:"key"`
	// NomadServers, Datacenter, Region and Meta come from the join's answer.
	NomadServers []string          `json:"nomad_servers"`
	Datacenter   string            `json:"datacenter,omitempty"`
	Region       string            `json:"region,omitempty"`
	Meta         map[string]string `json:"meta,omitempty"`
	Joined       time.Time         `json:"joined"`
	// Left is when the node left (the agent was stopped and reclaimed it):
	// the next start joins it again with its key (api.Client.NodeRejoin).
	Left time.Time `json:"left,omitzero"`
}

// loadState reads dir's state file; nil (and no error) when there is none.
func loadState(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st State
	dec := json.NewDecoder(&boundedReader{r: f, n: maxStateBytes, tooLong: fmt.Errorf("longer than %d bytes", maxStateBytes)})
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it, with the node key, to join as a new node)", path, err)
	}
	if st.NodeName == "" || st.Donor == "" || st.Key == "" || len(st.NomadServers) == 0 {
		return nil, fmt.Errorf("%s: incomplete (node %q, donor %q, %d Nomad servers): remove it to join again", path, st.NodeName, st.Donor, len(st.NomadServers))
	}
	return &st, nil
}

// save writes st to dir's state file atomically (mode 0600).
func (st *State) save(dir string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, StateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// boundedReader reads at most n bytes of r and then fails with tooLong,
// so that oversized input is an error rather than a truncated decode (as
// io.LimitReader's quiet end would give).
type boundedReader struct {
	r       io.Reader
	n       int64
	tooLong error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, b.tooLong
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// lockDir takes dir's agent lock, so that two agents never run one node;
// closing the file releases it.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another hpcbridge agent runs with the data dir %s (it holds %s)", dir, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// checkOwnDir refuses a data dir that another user could have prepared:
// the agent (root) writes Nomad's configuration into it and reads its key
// and state from it, so a symlink planted there, or a state file written
// by someone else, would steer it. dir must be a directory (not a link)
// owned by this process's user and writable by no one else.
func checkOwnDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("data dir %s is not a directory (a symbolic link?)", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("data dir %s belongs to uid %d, not to this user (uid %d): use a directory of your own", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("data dir %s is writable by others (mode %v): chmod go-w it, or use a directory of your own", dir, fi.Mode().Perm())
	}
	return nil
}
