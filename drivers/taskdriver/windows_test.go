package taskdriver

import (
	"testing"

	pstructs "github.com/hashicorp/nomad/plugins/shared/structs"
)

func TestDonationWindowsConfig(t *testing.T) {
	if _, ok := configSpec.GetObject().GetAttributes()["donation_windows"]; !ok {
		t.Fatal("the driver's config spec lacks donation_windows")
	}
	c, err := Config{DonationConfig: DonationConfig{DonationWindows: []string{"Sat-Sun", "Mon-Fri 19:00-07:00"}, DonationTimezone: "Europe/Berlin"}}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]*pstructs.Attribute{}
	c.addDonationAttrs(attrs)
	if got, _ := attrs[AttrDonationWindows].GetString(); got != "Sat-Sun;Mon-Fri 19:00-07:00;tz=Europe/Berlin" {
		t.Fatalf("%s = %q", AttrDonationWindows, got)
	}

	// The node's own zone when none is configured.
	c, err = Config{DonationConfig: DonationConfig{DonationWindows: []string{"Sat"}}}.normalize()
	if err != nil || c.donationAttr == "" {
		t.Fatalf("windows in the local zone: %q, %v", c.donationAttr, err)
	}
	// None: always lent, no attribute.
	c, _ = Config{}.normalize()
	attrs = map[string]*pstructs.Attribute{}
	c.addDonationAttrs(attrs)
	if len(attrs) != 0 {
		t.Fatalf("no windows published %v", attrs)
	}
	for _, bad := range []DonationConfig{
		{DonationWindows: []string{"Someday"}},
		{DonationWindows: []string{"Sat"}, DonationTimezone: "Mars/Olympus"},
	} {
		if _, err := (Config{DonationConfig: bad}).normalize(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
