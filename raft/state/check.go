package state

import (
	"encoding/json"
	"fmt"
)

// payloads makes an empty payload value for each command type.
var payloads = map[CommandType]func() any{
	CmdJobSubmit:      func() any { return &JobSubmitCmd{} },
	CmdJobCancel:      func() any { return &JobCancelCmd{} },
	CmdJobHold:        func() any { return &JobHoldCmd{} },
	CmdJobRelease:     func() any { return &JobHoldCmd{} },
	CmdJobRequeue:     func() any { return &JobRequeueCmd{} },
	CmdJobUpdate:      func() any { return &JobUpdateCmd{} },
	CmdJobStart:       func() any { return &JobStartCmd{} },
	CmdJobFinish:      func() any { return &JobFinishCmd{} },
	CmdJobReasons:     func() any { return &JobReasonsCmd{} },
	CmdJobPlaced:      func() any { return &JobPlacedCmd{} },
	CmdACLBootstrap:   func() any { return &ACLTokenCmd{} },
	CmdACLTokenCreate: func() any { return &ACLTokenCmd{} },
	CmdACLTokenDelete: func() any { return &ACLTokenDeleteCmd{} },
	CmdSetMeta:        func() any { return &SetMetaCmd{} },
}

// Check makes every check Apply makes before it changes anything: the
// header, a known type and version, and a payload that decodes into the
// type's struct. The leader calls it before an entry enters the log, so
// that an entry that would stop every replica is never written.
func Check(data []byte) error {
	if len(data) < 2 {
		return fmt.Errorf("state: command of %d bytes is too short", len(data))
	}
	t, v := CommandType(data[0]), data[1]
	mk, ok := payloads[t]
	if !ok {
		return fmt.Errorf("state: unknown command type %d", t)
	}
	if v == 0 || v > currentVersion[t] {
		return fmt.Errorf("state: command %d version %d (this build knows up to %d)", t, v, currentVersion[t])
	}
	if err := json.Unmarshal(data[2:], mk()); err != nil {
		return fmt.Errorf("state: command %d payload: %w", t, err)
	}
	return nil
}
