package bridge

import (
	"testing"
	"time"
)

func TestSlurmSettings(t *testing.T) {
	got := slurmSettings(Nomad{Cluster: "lab", KillWait: 45 * time.Second, DefaultMemMiB: 2048})
	if got["ClusterName"] != "lab" || got["KillWait"] != "45 sec" || got["DefMemPerNode"] != "2048" {
		t.Errorf("slurmSettings = %v", got)
	}
}
