// Package sandbox is the file-system view of a job on a donor node (the
// driver's `sandbox = true`, docs/driver.md "Sandbox mode (donor nodes)"):
// the exec trampoline, started as root in a mount namespace of its own,
// builds it and then drops to the job's uid before it runs the job.
//
// The job's root is a fresh tmpfs with, at their own paths:
//
//   - the system's tools read-only, nosuid, nodev: /usr, /bin, /sbin, /lib*,
//     /etc and /opt when present, /sys (CUDA and NVML read the PCI topology
//     there); symbolic links such as /bin -> usr/bin as on the host;
//   - the job's own directories read-write, nosuid, nodev: its task
//     directory, the allocation's data and tmp, the driver's directory for
//     the task (srun, steps, checkpoint socket; its ctl/ masked);
//   - a private /tmp and /dev/shm (directories of the task's own);
//   - a /dev of its own: null, zero, full, random, urandom, tty, a fresh
//     devpts, and only the device nodes it was given (its GPUs, nvidiactl,
//     nvidia-uvm);
//   - a fresh /proc that shows only the job's own uid's processes
//     (hidepid=invisible).
//
// Nothing else of the host is there: not /home, /root, /var, /srv, the
// Nomad data directory, the driver's state and keys, other allocations.
// Paths listed in Spec.Hide (secrets below the read-only system
// directories, the node key) are masked if they show through.
package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Arg is the trampoline's first argument when it must build the sandbox:
// `hpcbridge-exec --sandbox CWD MODE SCRIPT OOM ARGV...`, started as root
// with a fixed environment, the Payload on file descriptor PayloadFD.
const Arg = "--sandbox"

// PayloadFD is the descriptor the trampoline reads its Payload from.
const PayloadFD = 3

// maxPayload bounds the payload (a job environment is far smaller).
const maxPayload = 16 << 20

// Spec is what the sandbox of one job holds; the driver writes it into
// stepd's root-only configuration, stepd hands it to each trampoline.
type Spec struct {
	// Root is an empty directory, root's, that the trampoline mounts the
	// job's tmpfs root on (in its own mount namespace).
	Root string `json:"root"`
	// UID and GID are the job's ids (never 0); no supplementary groups.
	UID int `json:"uid"`
	GID int `json:"gid"`
	// Binds are the job's own directories, at their host paths.
	Binds []Bind `json:"binds"`
	// Tmp and Shm are the host directories mounted on /tmp and /dev/shm.
	Tmp string `json:"tmp"`
	Shm string `json:"shm"`
	// Devices are host device nodes made visible as /dev/<base name>.
	Devices []string `json:"devices,omitempty"`
	// Hide are host paths that must not be reachable: masked (an empty
	// read-only directory, or /dev/null for a file) where the system
	// directories would show them.
	Hide []string `json:"hide,omitempty"`
	// Mask are directories inside Binds replaced by an empty read-only
	// directory (the driver's ctl/).
	Mask []string `json:"mask,omitempty"`
}

// Bind is one host directory in the job's view, at the same path.
type Bind struct {
	Path  string `json:"path"`
	Write bool   `json:"write,omitempty"`
	// Rec takes the mounts below Path along (Nomad's secrets tmpfs in
	// the task directory).
	Rec      bool `json:"rec,omitempty"`
	Optional bool `json:"optional,omitempty"`
}

// SystemDirs are the host's directories the job sees read-only.
var SystemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys"}

// Secrets are masked below /etc when present: host keys, password
// hashes, the agents' configurations (tokens, gossip keys).
var Secrets = []string{
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
	"/etc/ssh", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssl/private",
	"/etc/krb5.keytab", "/etc/munge", "/etc/slurm", "/etc/nomad.d", "/etc/nomad",
	"/etc/hpcbridge", "/etc/hpcbridge-driver", "/etc/consul.d", "/etc/vault.d",
}

// Devices a job always has.
var baseDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// Payload is what stepd sends the trampoline besides its arguments.
type Payload struct {
	Spec Spec `json:"spec"`
	// Env is the job's environment for the exec (never the trampoline's
	// own while it is root: the plugin binary is dynamically linked).
	Env []string `json:"env"`
}

// Check refuses a spec that would not isolate the job.
func (s *Spec) Check() error {
	switch {
	case s == nil:
		return fmt.Errorf("sandbox: no spec")
	case s.UID <= 0 || s.GID <= 0:
		return fmt.Errorf("sandbox: uid %d gid %d: a sandboxed job never runs as root", s.UID, s.GID)
	case !filepath.IsAbs(s.Root) || !filepath.IsAbs(s.Tmp) || !filepath.IsAbs(s.Shm):
		return fmt.Errorf("sandbox: root %q, tmp %q and shm %q must be absolute", s.Root, s.Tmp, s.Shm)
	}
	for _, b := range s.Binds {
		if !filepath.IsAbs(b.Path) || filepath.Clean(b.Path) == "/" {
			return fmt.Errorf("sandbox: bind %q must be an absolute directory below /", b.Path)
		}
	}
	return nil
}

// Writable reports whether path (absolute) is below one of the job's
// writable directories: where its output files may be.
func (s *Spec) Writable(path string) bool { return s.WritableDir(path) != "" }

// WritableDir is the job's writable directory that holds path, the
// deepest one ("" when none does).
func (s *Spec) WritableDir(path string) string {
	path = filepath.Clean(path)
	best := ""
	for _, b := range s.Binds {
		if b.Write && within(path, b.Path) && len(filepath.Clean(b.Path)) > len(best) {
			best = filepath.Clean(b.Path)
		}
	}
	if best == "" && within(path, s.Tmp) {
		best = filepath.Clean(s.Tmp)
	}
	return best
}

func within(path, dir string) bool {
	dir = filepath.Clean(dir)
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// WritePayload writes p for the trampoline into an anonymous file and
// returns it, positioned at its start.
func WritePayload(p *Payload) (*os.File, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	f, err := memFile("hpcbridge-sandbox")
	if err != nil {
		return nil, fmt.Errorf("sandbox payload: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox payload: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox payload: %w", err)
	}
	return f, nil
}

// ReadPayload reads the payload from PayloadFD and closes it.
func ReadPayload() (*Payload, error) {
	f := os.NewFile(PayloadFD, "sandbox-payload")
	if f == nil {
		return nil, fmt.Errorf("sandbox: no payload descriptor")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("sandbox: read payload: %w", err)
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("sandbox: payload over %d bytes", maxPayload)
	}
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("sandbox: decode payload: %w", err)
	}
	return &p, p.Spec.Check()
}
