package jobdir

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// MultiNode is what stepd needs for one node of a multi-node job.
type MultiNode struct {
	// Nodes is the job's node count (2 or more).
	Nodes int `json:"nodes"`
	// Listen is the step service's address on this node (Nomad's
	// "hpcbridge_step" port).
	Listen string `json:"listen"`
	// SecretsDir is the task's secrets directory, where Nomad renders
	// PeersFile and KeyFile.
	SecretsDir string `json:"secrets_dir"`
	// PeerWait bounds the wait for every node to be listed and to answer
	// (0: DefaultPeerWait).
	PeerWait time.Duration `json:"peer_wait"`
}

// DefaultPeerWait is how long stepd waits for the job's other nodes.
const DefaultPeerWait = 5 * time.Minute

// Files Nomad's templates render in the task's secrets directory.
const (
	PeersFile = "hpcbridge-peers"
	KeyFile   = "hpcbridge-step.key"
)

// StepNetFile is, in the driver's directory (Dir), what stepd hands srun
// on a multi-node job: the nodes and the step key (StepNet), owned by the
// run-as user, 0400, in a directory only root can change.
func (l Layout) StepNetFile() string { return filepath.Join(l.Dir(), "stepnet.json") }

// RoleFile is where stepd records the node's role for the driver's task
// event (ctl, root only).
func (l Layout) RoleFile() string { return filepath.Join(l.CtlDir(), "role.json") }

// StepNet is the StepNetFile's contents.
type StepNet struct {
	Job string `json:"job"`
	// Self is this node's name.
	Self string `json:"self"`
	// Key is the step key, hex.
	Key string `json:"key"`
	// Nodes are the job's nodes in node id order.
	Nodes []NetNode `json:"nodes"`
	// CPUsPerNode is the CPUs the job has on each node.
	CPUsPerNode int `json:"cpus_per_node"`
	// BinDir is this node's srun directory (PATH); TaskDir its task
	// directory.
	BinDir  string `json:"bin_dir"`
	TaskDir string `json:"task_dir"`
}

// NetNode is one node's step service.
type NetNode struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	Port int    `json:"port"`
}

// Role is what stepd decided this node does.
type Role struct {
	// Role is "batch" (runs the script) or "node" (serves steps).
	Role string `json:"role"`
	// Nodes is the job's compressed node list.
	Nodes string `json:"nodes"`
}

// WriteOwnedJSON writes v to path atomically for uid:gid, mode 0400 (root
// writes it into a directory the job cannot change).
func WriteOwnedJSON(path string, v any, uid, gid int) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(b)
	if err := tmp.Chmod(0o400); err != nil && werr == nil {
		werr = err
	}
	if err := tmp.Chown(uid, gid); err != nil && werr == nil {
		werr = err
	}
	if err := tmp.Close(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	return os.Rename(tmp.Name(), path)
}

// ReadSecret reads a small file that root relies on from the task's
// secrets directory, which sits in the task directory the job's user owns
// and which Nomad gives the task's user: the directory is opened without
// following a symbolic link, and the file, opened below it the same way
// and without blocking on a FIFO, must be a regular file of root's (as
// Nomad's templates render it) with one link and at most max bytes. So a
// job cannot make stepd read (and hand it) another task's secrets through
// a link, nor feed it a file of its own.
func ReadSecret(dir, name string, max int64) ([]byte, error) {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	path := filepath.Join(dir, name)
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if err := rootOwned(f, path); err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}

// rootOwned checks that an open file is root's and has one link.
func rootOwned(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !ok || st.Uid != 0:
		return fmt.Errorf("%s is not owned by root", path)
	case st.Nlink != 1:
		return fmt.Errorf("%s has %d links", path, st.Nlink)
	}
	return nil
}
