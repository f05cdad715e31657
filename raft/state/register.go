package state

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// command is everything this build knows about one command type, in one
// place: its name, the version Encode writes, the payload type and the
// handler Apply calls (as Consul's FSM dispatch table: the entry's first
// byte picks the row).
type command struct {
	name string
	// version is the payload version Encode writes. Apply takes versions 1
	// to version and applies each entry as the version it was written
	// with did, so that an old log replays to the same state.
	version uint8
	payload reflect.Type
	// decode reads a payload into a new value of the payload type.
	decode func(data []byte) (any, error)
	// apply applies a decoded payload.
	apply func(a *applier, version uint8, payload any) *Result
}

// register makes a command's row from its typed handler.
func register[P any](name string, version uint8, apply func(a *applier, version uint8, c *P) *Result) *command {
	return &command{
		name:    name,
		version: version,
		payload: reflect.TypeFor[P](),
		decode: func(data []byte) (any, error) {
			p := new(P)
			if err := json.Unmarshal(data, p); err != nil {
				return nil, err
			}
			return p, nil
		},
		apply: func(a *applier, version uint8, payload any) *Result { return apply(a, version, payload.(*P)) },
	}
}

// commands is the dispatch table. A command's version goes up whenever
// what Apply does with it, or what its payload must hold, changes; the
// handler keeps every older version's behaviour:
//
//   - JobSubmit 2: the job's fields come parsed in JobSubmitCmd.Job (a
//     JobRecord the leader makes: raft/state/fromspec); version 1 read them
//     from the embedded jobspec.Spec and parsed its --array again.
//   - JobHold 2: a user's hold leaves an administrator's hold in place
//     (version 1 replaced it with a user hold, which the user could then
//     release); UserHold (scontrol uhold).
//   - JobUpdate 2: a dependency that closes a cycle is refused
//     (ErrDependency). 3: the dependency comes parsed (DependsOn); versions
//     1 and 2 parsed the text.
//   - JobFinish 2: Reason, why the job failed (a launch failure the node
//     reported), becomes the job's reason. 3: GPU (the run's GPU
//     allocation, when its placement did not record one) and Measured
//     (NVML's figures) are kept in the job's GPU accounting. 4: the GPU
//     allocation's OtherNodes (a multi-node run's other nodes) are kept.
//   - JobPlaced 2: GPU, the run's GPU allocation, is kept (Job.GPU). 3:
//     with its OtherNodes (older versions drop them: GPU-seconds of the
//     first node only, as those servers counted).
//   - JobSteps 1: srun steps a node reported (steps.go).
//   - Checkpoint 1: a verified checkpoint receipt and its credit
//     (checkpoint.go); NodeKey 1: a node key registered or revoked
//     (nodekeys.go).
//   - NodeReclaim 1: a node's reclaim, and the requeue of a run that a
//     reclaim or its exit 85 ended (reclaim.go).
//   - JobSubmit 3: the job record's StagedInput (a staged job's input
//     manifest) becomes Job.Files.Input.
//   - JobFiles 1, RunToken 1: a staged run's outputs, a run's token
//     (files.go). A run's tokens are ended (usable for RunTokenGrace) by
//     the cancel, requeue or give-back that ends it in Slurm, and deleted
//     by the JobFinish of its Nomad end or the start of a later run.
//   - Donor 1, JoinToken 1: donor organisations, their join tokens and
//     the nodes that joined with them (donors.go).
//   - Checkpoint 2: the receipt's credit accrues rewards to its donor's
//     wallet (ledger.go), weighted by Credit.GPUModel; version 1 entries
//     accrue nothing (a log replayed and a snapshot restored before the
//     upgrade agree). Ledger 1: reward rates, epochs and their
//     publishing (ledger.go).
//
// A run's GPU-seconds are fixed by whichever command ends it (finish,
// cancel, requeue): a job has GPU accounting only from a JobPlaced 2 or
// JobFinish 3 entry, and other nodes' GPUs only from JobPlaced 3 or
// JobFinish 4, so the entries of older logs end runs as they did.
//
// A server must know a version before a leader writes it: upgrade every
// server before the new build leads (an old follower stops at an entry of
// a version it does not know rather than diverge).
var commands = map[CommandType]*command{
	CmdJobSubmit:      register("JobSubmit", 3, applySubmit),
	CmdJobCancel:      register("JobCancel", 1, applyCancel),
	CmdJobHold:        register("JobHold", 2, applyHold(true)),
	CmdJobRelease:     register("JobRelease", 1, applyHold(false)),
	CmdJobRequeue:     register("JobRequeue", 1, applyRequeue),
	CmdJobUpdate:      register("JobUpdate", 3, applyUpdate),
	CmdJobStart:       register("JobStart", 1, applyStart),
	CmdJobFinish:      register("JobFinish", 4, applyFinish),
	CmdJobReasons:     register("JobReasons", 1, applyReasons),
	CmdJobPlaced:      register("JobPlaced", 3, applyPlaced),
	CmdJobSteps:       register("JobSteps", 1, applySteps),
	CmdJobGiveBack:    register("JobGiveBack", 1, applyGiveBack),
	CmdCheckpoint:     register("Checkpoint", 2, applyCheckpoint),
	CmdNodeKey:        register("NodeKey", 1, applyNodeKey),
	CmdNodeReclaim:    register("NodeReclaim", 1, applyNodeReclaim),
	CmdDonor:          register("Donor", 1, applyDonor),
	CmdJoinToken:      register("JoinToken", 1, applyJoinToken),
	CmdJobFiles:       register("JobFiles", 1, applyJobFiles),
	CmdRunToken:       register("RunToken", 1, applyRunToken),
	CmdACLBootstrap:   register("ACLBootstrap", 1, applyACLBootstrap),
	CmdACLTokenCreate: register("ACLTokenCreate", 1, applyACLTokenCreate),
	CmdACLTokenDelete: register("ACLTokenDelete", 1, applyACLTokenDelete),
	CmdSetMeta:        register("SetMeta", 1, applySetMeta),
	CmdLedger:         register("Ledger", 1, applyLedger),
}

// String is the command's name, or its number when this build does not
// know it.
func (t CommandType) String() string {
	if c, ok := commands[t]; ok {
		return c.name
	}
	return fmt.Sprintf("command %d", uint8(t))
}

// Encode builds a log entry: type byte, the version this build writes,
// JSON payload. The payload must be the command's payload type (or a
// pointer to it).
func Encode(t CommandType, payload any) ([]byte, error) {
	c, ok := commands[t]
	if !ok {
		return nil, fmt.Errorf("state: unknown command type %d", t)
	}
	if pt := reflect.TypeOf(payload); pt != c.payload && pt != reflect.PointerTo(c.payload) {
		return nil, fmt.Errorf("state: %s takes a %s payload, not %T", c.name, c.payload, payload)
	}
	if err := c.validate(payload); err != nil {
		return nil, err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("state: encode %s: %w", c.name, err)
	}
	return append([]byte{byte(t), c.version}, body...), nil
}

// validate refuses payloads that the current version cannot apply as
// meant: a submission without its job record, a dependency update without
// the dependency's meaning (raft/state/fromspec makes both).
func (c *command) validate(payload any) error {
	switch p := payload.(type) {
	case *JobSubmitCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobSubmitCmd:
		if p.Job != nil {
			return nil
		}
		return fmt.Errorf("state: %s without its job record (JobSubmitCmd.Job)", c.name)
	case *JobUpdateCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobUpdateCmd:
		if p.Dependency != nil && *p.Dependency != "" && p.DependsOn == nil {
			return fmt.Errorf("state: %s with dependency %q but not its meaning (JobUpdateCmd.DependsOn)", c.name, *p.Dependency)
		}
	case *JobPlacedCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobPlacedCmd:
		return c.validateGPU(p.GPU, nil)
	case *JobFinishCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobFinishCmd:
		return c.validateGPU(p.GPU, p.Measured)
	case *JobFilesCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobFilesCmd:
		if err := p.validate(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	case *RunTokenCmd:
		if p != nil {
			return c.validate(*p)
		}
	case RunTokenCmd:
		if err := p.validate(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	case *JobStepsCmd:
		if p != nil {
			return c.validate(*p)
		}
	case JobStepsCmd:
		if err := p.validate(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	case interface{ validate() error }: // CheckpointCmd, NodeKeyCmd, DonorCmd, JoinTokenCmd, LedgerCmd
		if err := p.validate(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	}
	return nil
}

// validateGPU refuses a GPU record over its bounds or a nonsense
// measurement: the executor checks what a node reported before it asks.
func (c *command) validateGPU(g *GPUAlloc, m *GPUMeasure) error {
	if g != nil {
		if err := g.Check(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	}
	if m != nil {
		if err := m.Check(); err != nil {
			return fmt.Errorf("state: %s: %w", c.name, err)
		}
	}
	return nil
}

// lookup finds a log entry's command and checks its version.
func lookup(data []byte) (*command, uint8, error) {
	if len(data) < 2 {
		return nil, 0, fmt.Errorf("state: command of %d bytes is too short", len(data))
	}
	t, v := CommandType(data[0]), data[1]
	c, ok := commands[t]
	if !ok {
		return nil, 0, fmt.Errorf("state: unknown command type %d", t)
	}
	if v == 0 || v > c.version {
		return nil, 0, fmt.Errorf("state: %s version %d (this build knows up to %d)", c.name, v, c.version)
	}
	return c, v, nil
}
