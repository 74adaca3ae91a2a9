// Package e2e drives the embedded admin in headless Chromium against the
// real waybill binary and its fake store (see admin.e2e.mjs).
package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// readBody reads and closes resp's body, failing the test if either fails.
func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading the response to %s %s: %v", resp.Request.Method, resp.Request.URL, err)
	}
	return b
}

// ready says what is missing for the browser test, if anything.
func ready() string {
	if _, err := os.Stat("../dist/index.html"); err != nil {
		return "the UI is not built (npm --prefix frontend run build)"
	}
	if _, err := os.Stat("../node_modules/playwright-core"); err != nil {
		return "frontend dependencies are not installed (npm --prefix frontend ci)"
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		return "chromium is not installed (apt-get install chromium)"
	}
	return ""
}

func TestAdminInChromium(t *testing.T) {
	if missing := ready(); missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	dir := t.TempDir()
	bin, devstore := filepath.Join(dir, "waybill"), filepath.Join(dir, "devstore")
	for target, pkg := range map[string]string{bin: "../..", devstore: "../../app/shopifyfake/devstore"} {
		if out, err := exec.Command("go", "build", "-o", target, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v: %s", pkg, err, out)
		}
	}
	redistest.Open(t, 7)
	devPort, appPort := freePort(t), freePort(t)
	appURL := fmt.Sprintf("http://127.0.0.1:%d", appPort)
	devURL := fmt.Sprintf("http://127.0.0.1:%d", devPort)
	env := append(os.Environ(), "SHOPIFY_API_KEY=e2e-key", "SHOPIFY_API_SECRET=e2e-secret", "SHOPIFY_APP_URL="+appURL,
		fmt.Sprintf("PORT=%d", appPort), "DATABASE_URL=sqlite://"+filepath.Join(dir, "waybill.db"), "REDIS_URL="+redistest.URL(7),
		"SHOPIFY_ADMIN_ORIGIN="+devURL, "SMTP_URL=")
	logs, err := os.Create(filepath.Join(dir, "processes.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the processes stop (cleanups run last first)
		if err := logs.Close(); err != nil {
			t.Errorf("closing the process log: %v", err)
		}
	})
	start := func(program string, args ...string) {
		cmd := exec.Command(program, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			name := filepath.Base(program)
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Errorf("interrupting %s: %v", name, err)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	start(devstore, "--port", fmt.Sprint(devPort), "--app-url", appURL)
	start(bin, "serve")
	waitFor(t, appURL+"/readyz")
	waitFor(t, devURL+"/")

	shop := shopifyfake.DemoShop
	resp, err := http.Post(devURL+"/devstore/install?shop="+shop, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	if !strings.Contains(string(page), "Waybill is installed in") {
		t.Fatalf("install through the devstore failed: %s", page)
	}
	// New orders after the install (#1004 to #1008, the seed has #1001 to
	// #1003): their orders/create webhooks reach Waybill.
	time.Sleep(time.Second) // the setup job subscribes the webhooks
	for range 5 {
		resp, err = http.Post(devURL+"/devstore/order?shop="+shop, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
	}

	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://" + shop + "/admin", "dest": "https://" + shop, "aud": "e2e-key", "sub": "1",
		"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Unix(),
	}).SignedString([]byte("e2e-secret"))
	if err != nil {
		t.Fatal(err)
	}
	artifacts, err := filepath.Abs("../../.artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// The merchant's day in Spanish then English (daily.e2e.mjs: orders #1001
	// to #1006), then the English import and branding walk (admin.e2e.mjs:
	// #1007 and #1008). Each walk's failure is reported and the next still
	// runs: they use different orders.
	for _, script := range []string{"daily.e2e.mjs", "admin.e2e.mjs"} {
		cmd := exec.CommandContext(ctx, "node", script)
		cmd.Env = append(os.Environ(), "APP_URL="+appURL, "SHOP="+shop, "TOKEN="+token, "ARTIFACTS="+artifacts,
			"API_SECRET=e2e-secret", "ORDER_A=#1007", "ORDER_B=#1008")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "E2E OK") {
			processLog, rerr := os.ReadFile(filepath.Join(dir, "processes.log"))
			if rerr != nil {
				processLog = fmt.Appendf(nil, "(cannot read it: %v)", rerr)
			}
			t.Errorf("browser test %s: %v\n%s\n--- waybill and devstore logs (tail) ---\n%s", script, err, out, tail(string(processLog), 4000))
			continue
		}
		t.Logf("%s:\n%s", script, out)
	}
	if t.Failed() {
		return
	}
	for _, name := range []string{"admin-dashboard.png", "admin-import.png", "admin-notifications.png", "admin-dashboard-es.png",
		"admin-orders-es.png", "admin-import-es.png", "admin-shipments-es.png", "admin-shipment-es.png", "admin-status-sources-es.png",
		"admin-notifications-es.png", "admin-emails-es.png", "admin-insights-es.png", "admin-data-requests-es.png"} {
		if st, err := os.Stat(filepath.Join(artifacts, name)); err != nil || st.Size() < 10000 {
			t.Errorf("screenshot %s missing", name)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func waitFor(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil { // an error: not listening yet, so try again
			readBody(t, resp)
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer", u)
}
