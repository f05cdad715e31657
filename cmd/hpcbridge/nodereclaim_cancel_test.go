package main

import (
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// hpcbridge node reclaim --cancel NODE reaches DELETE /v1/node/{name}/reclaim
// (flag before or after NODE); with --deadline it is a usage error. The
// route itself is tested in bridge/apiserver (TestDonorAdminBounds) and
// on a real Nomad in bridge/nomadexec (TestCancelReclaimRoute).
func TestNodeReclaimCancel(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	for _, argv := range [][]string{{"node", "reclaim", "--cancel", "n1"}, {"node", "reclaim", "n1", "--cancel"}} {
		code, _, errs := invoke(t, "hpcbridge", env, "", argv...)
		if code != 1 || !strings.Contains(errs, "node reclaim --cancel: ") || !strings.Contains(errs, "node n1 not found") {
			t.Fatalf("%q: %d %s", argv, code, errs)
		}
	}
	if code, _, errs := invoke(t, "hpcbridge", env, "", "node", "reclaim", "n1", "--cancel", "--deadline", "1m"); code != 2 || !strings.Contains(errs, "takes no --deadline") {
		t.Fatalf("--cancel --deadline: %d %s", code, errs)
	}
}
