package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/jobs"
	"github.com/waybill-app/waybill/webhooks"
)

const testShop = "e2e-shop.myshopify.com"

// TestEndToEndInstall starts the real server (web, worker, scheduler) on
// :0 against the fake store and installs a shop, on each database engine.
func TestEndToEndInstall(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		fake := shopifyfake.New(shopifyfake.Options{APIKey: "e2e-key", APISecret: "e2e-secret"})
		fake.AddShop(shopifyfake.Shop{Domain: testShop})
		fakeSrv := httptest.NewServer(fake.Handler())
		defer fakeSrv.Close()

		redistest.Open(t, 2) // empties the database this test uses
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		appURL := "http://" + ln.Addr().String()
		databaseURL := storetest.URL(t, engine)
		cfg, err := config.FromEnvironment(map[string]string{
			"SHOPIFY_API_KEY": "e2e-key", "SHOPIFY_API_SECRET": "e2e-secret", "SHOPIFY_APP_URL": appURL,
			"DATABASE_URL": databaseURL, "REDIS_URL": redistest.URL(2), "SHOPIFY_ADMIN_ORIGIN": fakeSrv.URL,
			"WAYBILL_ENCRYPTION_KEY": strings.Repeat("ab", 32),
		}, config.Requirements{ShopifyCredentials: true})
		if err != nil {
			t.Fatal(err)
		}
		var logs apptest.Logs // the server's goroutines write while the test reads
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		ctx, cancel := context.WithCancel(context.Background())
		a, err := wiring.Build(ctx, cfg, log, wiring.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := a.Close(); err != nil {
				t.Error(err)
			}
		}()
		if _, err := a.DB.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- a.Serve(ctx, ln, &jobs.WorkerOptions{Concurrency: 4, Scheduler: true}) }()
		defer func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		}()

		final, err := fake.InstallApp(ctx, appURL, testShop)
		if err != nil {
			t.Fatal(err)
		}
		if final != "https://"+testShop+"/admin/apps/e2e-key" {
			t.Fatalf("merchant lands on %q", final)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(fake.Subscriptions(testShop)) < len(webhooks.SubscribedTopics()) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := len(fake.Subscriptions(testShop)); n != len(webhooks.SubscribedTopics()) {
			t.Fatalf("%d webhook subscriptions after install, want %d", n, len(webhooks.SubscribedTopics()))
		}

		// The token is sealed in the row, never clear.
		var sealed string
		if err := a.DB.Gorm().Raw("SELECT access_token_sealed FROM shops WHERE domain = ?", testShop).Scan(&sealed).Error; err != nil {
			t.Fatal(err)
		}
		shop, err := a.DB.ShopByDomain(ctx, testShop)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, shop.Token.AccessToken) {
			t.Fatalf("stored token %q is not sealed", sealed)
		}
		if strings.Contains(logs.String(), shop.Token.AccessToken) || strings.Contains(logs.String(), shop.Token.RefreshToken) {
			t.Fatal("a token appears in the logs")
		}
		if !strings.Contains(logs.String(), `"msg":"http request"`) || !strings.Contains(logs.String(), `"request_id":"`) || strings.Contains(logs.String(), "hmac=") {
			t.Fatal("request logs must carry request ids and never query strings")
		}

		fetch := func(path string) (*http.Response, string) {
			resp, err := http.Get(appURL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if cerr := resp.Body.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("GET %s: reading the response: %v", path, err)
			}
			return resp, string(b)
		}
		get := func(path string) (int, string) {
			resp, body := fetch(path)
			return resp.StatusCode, body
		}
		if code, _ := get("/healthz"); code != 200 {
			t.Fatalf("/healthz: %d", code)
		}
		if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
			t.Fatalf("/readyz: %d %s", code, body)
		}
		code, metrics := get("/metrics")
		if code != 200 || !strings.Contains(metrics, "waybill_http_requests_total") || !strings.Contains(metrics, `waybill_queue_tasks{queue="default"`) {
			t.Fatalf("/metrics: %d, missing HTTP or queue metrics:\n%s", code, grepWaybill(metrics))
		}
		if code, body := get("/?shop=" + testShop); code != 200 || !strings.Contains(body, "Waybill") {
			t.Fatalf("/: %d %s", code, body)
		}
		resp, _ := fetch("/shipments?shop=" + testShop)
		if csp := resp.Header.Get("Content-Security-Policy"); csp != "frame-ancestors https://"+testShop+" https://admin.shopify.com;" {
			t.Fatalf("app page CSP = %q: only the shop's admin may frame the app", csp)
		}

		// A supplier key for the installed shop, printed alone on the last line.
		t.Setenv("DATABASE_URL", databaseURL)
		t.Setenv("WAYBILL_ENCRYPTION_KEY", strings.Repeat("ab", 32))
		var out, errOut bytes.Buffer
		if rc := run(ctx, []string{"apikey", "create", "--shop", testShop, "--name", "Proveedor Shenzhen"}, &out, &errOut); rc != 0 {
			t.Fatalf("apikey create: exit %d: %s", rc, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		key := lines[len(lines)-1]
		if got, err := a.DB.ShopForAPIKey(ctx, key); err != nil || got.Domain != testShop {
			t.Fatalf("printed key %q does not authenticate: %v", key, err)
		}

		// A CSV through the CLI: the good row lands (and is pushed), the bad
		// one is reported, and the exit code says some rows were rejected.
		order := fake.CreateOrder(testShop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
		csvPath := filepath.Join(t.TempDir(), "tracking.csv")
		if err := os.WriteFile(csvPath, []byte("order;tracking_number\n"+order.Name+";RB123456785ES\n#1001;\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("REDIS_URL", redistest.URL(2))
		out.Reset()
		errOut.Reset()
		if rc := run(ctx, []string{"import", "--shop", testShop, csvPath}, &out, &errOut); rc != 3 {
			t.Fatalf("import: exit %d, want 3 (a row rejected): %s %s", rc, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "1 accepted, 0 duplicate, 1 rejected") || !strings.Contains(out.String(), "tracking_number is required") {
			t.Fatalf("import report: %s", out.String())
		}
		deadline = time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if o, _ := fake.Order(testShop, order.ID); len(o.Fulfillments) == 1 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if o, _ := fake.Order(testShop, order.ID); len(o.Fulfillments) != 1 || o.Fulfillments[0].TrackingInfo[0].Company != "Correos" {
			t.Fatalf("the imported number did not become a fulfillment: %+v", o.Fulfillments)
		}
	})
}

func TestReadinessFailsWhenRedisIsDown(t *testing.T) {
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 2, BreakableRedis: true})
	h.StopRedis()
	resp, err := http.Get(h.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			t.Error(err)
		}
	}()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"redis":"unavailable"`) || !strings.Contains(string(body), `"database":"ok"`) {
		t.Fatalf("/readyz with Redis down: %d %s", resp.StatusCode, body)
	}
}

func TestCommandLineErrorsAreOneLine(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve"}, map[string]string{}, "SHOPIFY_API_KEY"},
		{[]string{"serve"}, map[string]string{"SHOPIFY_API_KEY": "k"}, "SHOPIFY_API_SECRET"},
		{[]string{"serve"}, map[string]string{"SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s", "SHOPIFY_APP_URL": "https://waybill.example.com"}, "WAYBILL_ENCRYPTION_KEY"},
		{[]string{"apikey", "create", "--shop", "evil.com"}, map[string]string{}, "--shop"},
		{[]string{"frobnicate"}, map[string]string{}, "unknown command"},
	}
	for _, c := range cases {
		for _, k := range []string{"SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL", "WAYBILL_ENCRYPTION_KEY"} {
			t.Setenv(k, c.env[k])
		}
		var out, errOut bytes.Buffer
		rc := run(context.Background(), c.args, &out, &errOut)
		first := strings.SplitN(errOut.String(), "\n", 2)[0]
		if rc == 0 || !strings.Contains(first, c.want) {
			t.Errorf("%v: exit %d, first line %q, want it to name %s", c.args, rc, first, c.want)
		}
	}
}

func grepWaybill(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "waybill") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
