package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The waybill binary is the product only: the fake Shopify store and its
// GraphQL parser are for tests and the devstore program.
func TestTheBinaryCarriesNoFakeStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps named %d packages: not the binary's", len(deps))
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/waybill-app/waybill/app/shopifyfake") || strings.HasPrefix(dep, "github.com/vektah/gqlparser") ||
			strings.HasSuffix(dep, "test") && strings.HasPrefix(dep, "github.com/waybill-app/waybill/") {
			t.Errorf("the binary imports %s", dep)
		}
	}
}
