package apiserver

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// handleConfig serves GET /v1/config: the coordinator's settings under
// Slurm's names (scontrol show config), those the server itself holds and
// those its operator gave it (Config.Settings). A setting hpcbridge has no
// value for is absent, never made up.
func (s *Server) handleConfig(w http.ResponseWriter, _ *http.Request, _ *state.ACLToken) error {
	out := api.ConfigReply{Settings: map[string]string{
		"MaxArraySize": strconv.Itoa(s.cfg.MaxArraySize),
		// The coordinator keeps the accounting, in its Raft-replicated
		// store; its scheduler orders the jobs; Nomad places them.
		"AccountingStorageType": "accounting_storage/hpcbridge",
		"SchedulerType":         "sched/hpcbridge",
		"SelectType":            "select/nomad",
	}}
	for k, v := range s.cfg.Settings {
		out.Settings[k] = v
	}
	list, err := s.servers()
	if err != nil {
		return err
	}
	for i, sv := range list {
		out.Settings[fmt.Sprintf("SlurmctldHost[%d]", i)] = fmt.Sprintf("%s(%s)", sv.ID, sv.Address)
		out.Controllers = append(out.Controllers, api.Controller{ID: sv.ID, Leader: sv.Leader})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
