package taskdriver

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/nomad/plugins/shared/hclspec"
	pstructs "github.com/hashicorp/nomad/plugins/shared/structs"

	"github.com/hpcbridge/hpcbridge/internal/donation"
)

// AttrDonationWindows is the node's donation windows as the coordinator
// reads them (donation.Encode: "Sat-Sun;Mon-Fri 19:00-07:00;tz=ZONE");
// absent when the node is always donated. The coordinator's leader
// evaluates them with its own clock: outside every window it reclaims the
// node and keeps jobs off it.
const AttrDonationWindows = "driver." + PluginName + ".donation_windows"

// DonationConfig is the driver configuration's donation windows (Config
// embeds it):
//
//	donation_windows  = ["Sat-Sun", "Mon-Fri 19:00-07:00"]
//	donation_timezone = "Europe/Berlin" # default: this node's zone
type DonationConfig struct {
	// DonationWindows are when the owner lends the node, in its local
	// time (internal/donation); empty: always.
	DonationWindows []string `codec:"donation_windows"`
	// DonationTimezone is the windows' zone, an IANA name or UTC±HH:MM;
	// empty: the node's ($TZ, else /etc/localtime's name, else its
	// current UTC offset).
	DonationTimezone string `codec:"donation_timezone"`

	// donationAttr is AttrDonationWindows' value, once checked.
	donationAttr string
}

func init() {
	// The keys join the driver's config block (configSpec, about.go).
	attrs := configSpec.GetObject().GetAttributes()
	attrs["donation_windows"] = hclspec.NewAttr("donation_windows", "list(string)", false)
	attrs["donation_timezone"] = hclspec.NewDefault(
		hclspec.NewAttr("donation_timezone", "string", false),
		hclspec.NewLiteral(`""`),
	)
}

// checkDonation parses the windows and keeps the attribute's value.
func (c *DonationConfig) checkDonation() error {
	c.donationAttr = ""
	if len(c.DonationWindows) == 0 {
		return nil
	}
	zone := c.DonationTimezone
	if zone == "" {
		link, _ := os.Readlink("/etc/localtime")
		zone = donation.LocalZone(os.Getenv("TZ"), link, time.Now())
	}
	ws, err := donation.Parse(c.DonationWindows, zone)
	if err != nil {
		return fmt.Errorf("donation_windows: %w", err)
	}
	c.donationAttr = ws.Encode()
	return nil
}

// addDonationAttrs publishes the windows in a fingerprint.
func (c *DonationConfig) addDonationAttrs(attrs map[string]*pstructs.Attribute) {
	if c.donationAttr != "" {
		attrs[AttrDonationWindows] = pstructs.NewStringAttribute(c.donationAttr)
	}
}
