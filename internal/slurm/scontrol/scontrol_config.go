package scontrol

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// configReader reads the coordinator's configuration (api.Client.Config).
type configReader interface {
	Config(ctx context.Context) (*api.ConfigReply, error)
}

// scontrolShowConfig prints the coordinator's configuration as scontrol
// show config does: "Key = value" lines, sorted by name, the controllers'
// status below. Only settings hpcbridge has are printed (see
// docs/slurm-commands.md); Slurm prints its whole slurm.conf.
func scontrolShowConfig(ctx context.Context, o scontrolOptions, s slurm.Streams) int {
	cr, ok := o.Client.(configReader)
	if !ok {
		fmt.Fprintln(s.Err, "slurm_load_ctl_conf error: this coordinator client cannot read the configuration")
		return slurm.ExitRejected
	}
	conf, err := cr.Config(ctx)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == api.CodeNotFound {
			err = fmt.Errorf("the coordinator is older than this client (no /v1/config)")
		}
		fmt.Fprintf(s.Err, "slurm_load_ctl_conf error: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	settings := maps.Clone(conf.Settings)
	if settings == nil {
		settings = map[string]string{}
	}
	// What the commands themselves hold: the Slurm version they speak,
	// and how long squeue and scontrol show a finished job.
	settings["SLURM_VERSION"] = slurm.Version
	settings["MinJobAge"] = fmt.Sprintf("%d sec", int(slurm.MinJobAge.Seconds()))
	fmt.Fprint(s.Out, formatConfig(settings, conf.Controllers, o.Now.In(o.Location()).Format("2006-01-02T15:04:05")))
	return slurm.ExitOK
}

// formatConfig renders settings as scontrol show config: a dated header,
// "Key = value" lines (keys padded to 23 columns, sorted regardless of
// case), a blank line and the controllers' status.
func formatConfig(settings map[string]string, ctls []api.Controller, asOf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Configuration data as of %s\n", asOf)
	keys := slices.SortedFunc(maps.Keys(settings), func(a, c string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(c))
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "%-23s = %s\n", k, settings[k])
	}
	b.WriteString("\n")
	for _, c := range ctls {
		if c.Leader {
			fmt.Fprintf(&b, "Slurmctld(primary) at %s is UP\n", c.ID)
		}
	}
	return b.String()
}
