package rewards

import (
	"context"
	"fmt"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// apply commits one ledger operation; a refusal is an error.
func (s *Service) apply(ctx context.Context, c state.LedgerCmd) (*state.Result, error) {
	cmd, err := state.Encode(state.CmdLedger, c)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", c.Op, err)
	}
	res, _, err := s.deps.Raft.Apply(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", c.Op, err)
	}
	if res != nil && res.Err != nil {
		return res, fmt.Errorf("ledger %s of epoch %d: %w", c.Op, c.Epoch, res.Err)
	}
	return res, nil
}
