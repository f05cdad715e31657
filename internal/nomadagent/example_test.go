package nomadagent_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
)

// A dev agent with the raw_exec driver and external plugins from a
// directory; the start returns once the node can run raw_exec tasks.
func ExampleStartDev() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := nomadagent.StartDev(ctx, nomadagent.Config{
		Dir:       "/var/lib/hpcbridge/nomad",
		PluginDir: "/usr/lib/hpcbridge/plugins",
		Plugins: []nomadagent.Plugin{
			{Name: "raw_exec", Config: map[string]any{"enabled": true}},
		},
		Drivers: []string{"raw_exec"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Stop()
	fmt.Println("Nomad UI:", a.UIURL())
}
