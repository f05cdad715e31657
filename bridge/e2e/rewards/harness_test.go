package rewards

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// tools are the binaries the tests run: hpcbridge (with its Slurm command
// links) and, in plugins, the task driver and the GPU device plugin.
type tools struct {
	dir      string // hpcbridge and sbatch, squeue, ... links
	plugins  string
	nomadBin string
}

// built is the one build of the package's tools (buildTools), shared by
// its tests; TestMain removes it.
var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildTools builds hpcbridge, its Slurm links and the two plugins into a
// searchable directory (jobs' uids run hpcbridge checkpoint from it), once
// for all the package's tests.
func buildTools(t *testing.T, nomadBin string) tools {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "hpcbridge-rewards-bin-")
		if built.err != nil {
			return
		}
		if built.err = os.Chmod(built.dir, 0o755); built.err != nil {
			return
		}
		built.err = e2etest.BuildInto(built.dir, "./cmd/hpcbridge")
		if built.err == nil {
			built.err = e2etest.BuildInto(filepath.Join(built.dir, "plugins"), "./cmd/hpcbridge-driver", "./cmd/hpcbridge-gpu")
		}
		for _, name := range []string{"sbatch", "squeue", "scancel", "sacct", "scontrol"} {
			if built.err == nil {
				built.err = os.Symlink(filepath.Join(built.dir, "hpcbridge"), filepath.Join(built.dir, name))
			}
		}
		if built.err == nil {
			built.err = os.Chmod(filepath.Join(built.dir, "plugins"), 0o755)
		}
	})
	if errors.Is(built.err, e2etest.ErrNoGo) {
		t.Skip(built.err)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return tools{dir: built.dir, plugins: filepath.Join(built.dir, "plugins"), nomadBin: nomadBin}
}

func (tl tools) hpcbridge() string { return filepath.Join(tl.dir, "hpcbridge") }

// coord is one `hpcbridge server` process of the cluster; it keeps its
// data dir and ports across restarts.
type coord struct {
	i        int
	dir      string
	apiAddr  string
	raftAddr string
	flags    []string // every start's flags
	env      []string
	proc     *e2etest.Proc
}

func (c *coord) url() string { return "http://" + c.apiAddr }

func (c *coord) alive() bool {
	if c.proc == nil {
		return false
	}
	select {
	case <-c.proc.Exited():
		return false
	default:
		return true
	}
}

// start starts the server with its flags and once (the first start's
// --bootstrap or --join) added.
func (c *coord) start(t *testing.T, tl tools, once ...string) {
	t.Helper()
	args := append([]string{"server", "--data-dir", filepath.Join(c.dir, "data"), "--bind", c.apiAddr,
		"--raft-bind", c.raftAddr, "--log-level", "info"}, c.flags...)
	cmd := exec.Command(tl.hpcbridge(), append(args, once...)...)
	cmd.Env = e2etest.Env(c.env...)
	c.proc = e2etest.Start(t, fmt.Sprintf("coordinator %d", c.i), cmd, "", 0)
}

// kill stops the server with sig and waits for it.
func (c *coord) kill(sig syscall.Signal) {
	if c.proc != nil {
		c.proc.Stop(sig, time.Minute)
	}
}

// cluster is three coordinators sharing one Nomad server, the donors'
// machines joined to them, and a submit directory.
type cluster struct {
	t      *testing.T
	tl     tools
	coords []*coord
	token  string // the management token
	work   string
	nomad  *nomadagent.Agent
}

// startCluster starts n coordinators with flags and env: the first
// bootstraps, the others join it; it returns once all are voters.
func startCluster(t *testing.T, tl tools, nomad *nomadagent.Agent, n int, env []string, flags ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, tl: tl, nomad: nomad, work: e2etest.SearchableDir(t, "hpcbridge-rewards-work-", 0o1777)}
	for i := range n {
		c.coords = append(c.coords, &coord{i: i, dir: t.TempDir(), apiAddr: e2etest.FreePort(t), raftAddr: e2etest.FreePort(t),
			flags: append([]string{"--nomad-addr", nomad.Addr(), "--kill-wait", "3s", "--partition", "debug",
				"--partition-map", "debug=files:staged", "--join-nomad-servers", nomad.RPCAddr()}, flags...),
			env: env})
	}
	t.Cleanup(func() {
		for _, s := range c.coords {
			s.kill(syscall.SIGINT)
		}
	})
	c.coords[0].start(t, tl, "--bootstrap")
	ctx := context.Background()
	e2etest.Eventually(t, "ACL bootstrap on the first coordinator", time.Minute, func() error {
		tok, err := apiClient(t, c.coords[0].url(), "").ACLBootstrap(ctx, &api.ACLBootstrapRequest{})
		if err != nil {
			return err
		}
		c.token = tok.SecretID
		return nil
	})
	for _, s := range c.coords[1:] {
		s.env = append(s.env, api.EnvToken+"="+c.token)
		s.start(t, tl, "--join", c.coords[0].url())
	}
	e2etest.Eventually(t, fmt.Sprintf("%d voters", n), time.Minute, func() error {
		peers, err := c.api(0).RaftPeers(ctx)
		if err != nil {
			return err
		}
		if len(peers) != n {
			return fmt.Errorf("%d peers", len(peers))
		}
		return nil
	})
	return c
}

func apiClient(t *testing.T, addr, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// api is coordinator i's client with the management token.
func (c *cluster) api(i int) *api.Client { return apiClient(c.t, c.coords[i].url(), c.token) }

// live is the index of a live coordinator (the first).
func (c *cluster) live() int {
	for i, s := range c.coords {
		if s.alive() {
			return i
		}
	}
	c.t.Fatal("no live coordinator")
	return -1
}

// leader is the index of the live coordinator that leads, as the live
// ones see it.
func (c *cluster) leader(ctx context.Context) (int, error) {
	for i, s := range c.coords {
		if !s.alive() {
			continue
		}
		peers, err := c.api(i).RaftPeers(ctx)
		if err != nil {
			continue
		}
		for _, p := range peers {
			if !p.Leader {
				continue
			}
			for j, o := range c.coords {
				if o.raftAddr == p.Address && o.alive() {
					return j, nil
				}
			}
		}
	}
	return -1, errors.New("no live leader")
}

// run runs one of the tools (hpcbridge, sbatch, ...) in the submit
// directory against coordinator i with the management token and env
// added; it returns stdout and stderr together.
func (c *cluster) run(i int, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.tl.dir, name), args...)
	cmd.Dir = c.work
	cmd.Env = e2etest.Env(append([]string{api.EnvAddress + "=" + c.coords[i].url(), api.EnvToken + "=" + c.token,
		"PATH=" + c.tl.dir + ":" + os.Getenv("PATH")}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cluster) must(name string, args ...string) string {
	c.t.Helper()
	out, err := c.run(c.live(), nil, name, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// submit submits a job through a live coordinator and returns its id.
func (c *cluster) submit(args ...string) string {
	c.t.Helper()
	out := strings.TrimSpace(c.must("sbatch", append([]string{"--parsable"}, args...)...))
	// On a staged partition sbatch says on stderr what it uploaded: the
	// id is the last line.
	lines := strings.Split(out, "\n")
	id, _, _ := strings.Cut(lines[len(lines)-1], ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		c.t.Fatalf("sbatch --parsable %s printed %q, want a job id", strings.Join(args, " "), out)
	}
	return id
}

// waitJob follows job id with blocking queries until it ended, and fails
// the test unless it completed on node.
func (c *cluster) waitJob(id, node string, within time.Duration) *state.Job {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var idx uint64
	var last *state.Job
	for {
		j, meta, err := c.api(c.live()).Job(ctx, id, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
		if err == nil {
			last = j
			if j.State.Terminal() {
				if j.State != state.StateCompleted || j.NodeList != node {
					c.t.Fatalf("job %s: %s %s on %q, want COMPLETED on %s", id, j.State, j.ExitString(), j.NodeList, node)
				}
				return j
			}
			idx = meta.LastIndex
		}
		if ctx.Err() != nil {
			c.t.Fatalf("job %s: not ended within %v (last: %+v, err %v)", id, within, last, err)
		}
	}
}

// donor is a donor organisation with a wallet, and its machine.
type donor struct {
	name     string
	node     string // its machine's node name
	model    string // its machine's (fake) GPU model
	key      *ecdsa.PrivateKey
	wallet   common.Address
	keystore string // the wallet's key, encrypted
	password string // the keystore's password file
	admin    *api.Client
	agent    *e2etest.Proc
}

// newDonor registers donor name with a new wallet (its proof signed over
// the coordinator's challenge) through coordinator i, writes the wallet's
// keystore, and makes a donor-admin client.
func newDonor(t *testing.T, c *cluster, i int, name, node, model string) *donor {
	t.Helper()
	ctx := context.Background()
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	d := &donor{name: name, node: node, model: model, key: key, wallet: crypto.PubkeyToAddress(key.PublicKey)}
	d.keystore, d.password = writeKeystore(t, key)
	cl := c.api(i)
	ch, err := cl.DonorChallenge(ctx, name, d.wallet.Hex())
	if err != nil {
		t.Fatalf("donor challenge %s: %v", name, err)
	}
	if _, err := cl.DonorRegister(ctx, &api.DonorRegisterRequest{Name: name, Wallet: d.wallet.Hex(),
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key)), Issued: ch.Issued}); err != nil {
		t.Fatalf("donor register %s: %v", name, err)
	}
	tok, err := cl.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: name + " admin", Type: state.TokenDonorAdmin, Donor: name})
	if err != nil {
		t.Fatalf("donor-admin token for %s: %v", name, err)
	}
	d.admin = apiClient(t, c.coords[i].url(), tok.SecretID)
	return d
}

// agentBanner starts the last line of the banner `hpcbridge agent` prints
// once its node is ready.
const agentBanner = "Ctrl-C or SIGTERM leaves:"

// join starts the donor's machine: `hpcbridge agent` with a join token
// the donor's admin made, against coordinator url, its Nomad client
// offering one fake GPU of the donor's model.
func (d *donor) join(t *testing.T, tl tools, url string) {
	t.Helper()
	jt, err := d.admin.JoinTokenCreate(context.Background(), d.name, "10m")
	if err != nil {
		t.Fatalf("join token for %s: %v", d.name, err)
	}
	dataDir := filepath.Join(e2etest.SearchableDir(t, "hpcbridge-rewards-agent-", 0o711), "agent")
	cmd := exec.Command(tl.hpcbridge(), "agent", "--coordinator", url, "--plugin-dir", tl.plugins,
		"--gpu-backend", "fake", "--fake-gpus", "1", "--fake-gpu-model", d.model, "--leave-deadline", "30s",
		"--data-dir", dataDir, "--name", d.node)
	cmd.Env = e2etest.Env(nomadagent.EnvBinary+"="+tl.nomadBin, "HOME="+t.TempDir(), "HPCBRIDGE_JOIN_TOKEN="+jt.Secret)
	d.agent = e2etest.Start(t, "hpcbridge agent "+d.node, cmd, agentBanner, 4*time.Minute)
}

// writeKeystore writes key as an encrypted keystore file and its password
// file, both 0600, and returns their paths.
func writeKeystore(t *testing.T, key *ecdsa.PrivateKey) (keystore, password string) {
	t.Helper()
	dir := t.TempDir()
	keystore, password = filepath.Join(dir, "key.json"), filepath.Join(dir, "password")
	const pw = "e2e password"
	if err := os.WriteFile(password, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chainWriteKeystore(keystore, key, pw); err != nil {
		t.Fatal(err)
	}
	return keystore, password
}

// ether is one ether in wei.
var ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
