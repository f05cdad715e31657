package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// hpcbridge acl token create --type donor-admin --donor NAME against a
// real API server: refused for an unknown donor or without --donor; the
// token shows its donor in create, list and self.
func TestACLDonorAdminToken(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	if code, _, errs := invoke(t, "hpcbridge", env, "", "acl", "token", "create", "--type", "donor-admin", "--donor", "uni-b"); code != 1 || !strings.Contains(errs, "not registered") {
		t.Fatalf("unknown donor: %d %s", code, errs)
	}
	if code, _, errs := invoke(t, "hpcbridge", env, "", "acl", "token", "create", "--type", "donor-admin"); code != 1 || !strings.Contains(errs, "needs its donor") {
		t.Fatalf("no --donor: %d %s", code, errs)
	}
	key, _ := wallet.GenerateKey()
	mgmt := srv.Client(t, srv.ManagementToken)
	ch, err := mgmt.DonorChallenge(context.Background(), "uni-b", wallet.Address(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.DonorRegister(context.Background(), &api.DonorRegisterRequest{Name: "uni-b", Wallet: ch.Wallet, Issued: ch.Issued,
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key))}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := invoke(t, "hpcbridge", env, "", "acl", "token", "create", "--type", "donor-admin", "--donor", "uni-b", "--name", "uni-b IT")
	if code != 0 || !strings.Contains(out, "donor-admin") || !strings.Contains(out, "Donor") || !strings.Contains(out, "uni-b") {
		t.Fatalf("create: %d\n%s%s", code, out, errs)
	}
	var secret string
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "= "); ok && strings.HasPrefix(k, "Secret ID") {
			secret = strings.TrimSpace(v)
		}
	}
	if secret == "" {
		t.Fatalf("no secret in\n%s", out)
	}
	if code, out, _ := invoke(t, "hpcbridge", env, "", "acl", "token", "list"); code != 0 || !strings.Contains(out, "Donor") || !strings.Contains(out, "uni-b") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	admin := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + secret}
	if code, out, errs := invoke(t, "hpcbridge", admin, "", "acl", "token", "self"); code != 0 || !strings.Contains(out, "uni-b") {
		t.Fatalf("self: %d\n%s%s", code, out, errs)
	}
	// The donor-admin token lists no tokens.
	if code, _, errs := invoke(t, "hpcbridge", admin, "", "acl", "token", "list"); code != 1 || !strings.Contains(errs, "a donor-admin token (donor uni-b) may only") {
		t.Fatalf("a donor-admin lists tokens: %d %s", code, errs)
	}
}
