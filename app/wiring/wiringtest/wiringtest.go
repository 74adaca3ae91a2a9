// Package wiringtest is the one test harness: Waybill built by the same
// assembly as the binary (wiring.Build), on a real database and Redis, served
// on a loopback port and talking to the fake Shopify store. Every
// integration test starts here and reaches in only for what it asserts.
package wiringtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/jobs"
)

// The credentials the harness and its fake store share.
const (
	APIKey    = "key"
	APISecret = "hush"
)

// Options choose what differs between tests.
type Options struct {
	// RedisDB is the Redis database this test package owns (emptied first).
	RedisDB int
	// Engine defaults to SQLite.
	Engine store.Engine
	// Clock defaults to the system clock; the fake store reads it too.
	Clock app.Clock
	// SMTPURL sends customer emails (a mailpit's); empty logs them only.
	SMTPURL string
	// PushesPerShop as wiring.Options.
	PushesPerShop int
	// Shops are installed in the fake store and in Waybill (with a token
	// the fake issued), and get Waybill's webhooks subscribed in the fake.
	Shops []string
	// Log receives Waybill's logs; default discarded.
	Log io.Writer
	// BreakableRedis puts a proxy between Waybill and Redis, so the test
	// can take Redis away with StopRedis.
	BreakableRedis bool
	// Env adds to (or overrides) the environment the configuration is read from.
	Env map[string]string
	// RedisURL is a whole REDIS_URL (a Sentinel's, say) used instead of
	// RedisDB on WAYBILL_TEST_REDIS_URL's server; the test empties it.
	RedisURL string
}

// Harness is a running Waybill (web server; the worker on demand) and its fake store.
type Harness struct {
	*wiring.App
	T    apptest.TB
	Fake *shopifyfake.Store
	// FakeURL is the fake store's origin (SHOPIFY_ADMIN_ORIGIN).
	FakeURL string
	// URL is Waybill's origin (SHOPIFY_APP_URL).
	URL     string
	Inspect *asynq.Inspector
	proxy   *redisProxy
}

// StopRedis takes Redis away from Waybill (Options.BreakableRedis): what it
// had queued stays, but nothing more reaches Redis.
func (h *Harness) StopRedis() {
	h.T.Helper()
	if h.proxy == nil {
		h.T.Fatal("StopRedis needs Options.BreakableRedis")
	}
	h.proxy.Stop()
}

// New builds and serves Waybill for the test; everything stops at cleanup.
func New(t apptest.TB, opts Options) *Harness {
	t.Helper()
	if opts.Engine == "" {
		opts.Engine = store.SQLite
	}
	fakeOpts := shopifyfake.Options{APIKey: APIKey, APISecret: APISecret}
	if opts.Clock != nil {
		fakeOpts.Clock = opts.Clock
	}
	fake := shopifyfake.New(fakeOpts)
	fakeSrv := httptest.NewServer(fake.Handler())
	t.Cleanup(fakeSrv.Close)

	var rdb goredis.UniversalClient
	redisURL := opts.RedisURL
	if redisURL == "" {
		rdb = redistest.Open(t, opts.RedisDB) // empties it
		redisURL = redistest.URL(opts.RedisDB)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	var proxy *redisProxy
	if opts.BreakableRedis {
		u, err := url.Parse(redisURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy = startRedisProxy(t, u.Host)
		u.Host = proxy.addr()
		redisURL = u.String()
	}
	env := map[string]string{
		"SHOPIFY_API_KEY": APIKey, "SHOPIFY_API_SECRET": APISecret, "SHOPIFY_APP_URL": appURL,
		"DATABASE_URL": storetest.URL(t, opts.Engine), "REDIS_URL": redisURL,
		"SHOPIFY_ADMIN_ORIGIN": fakeSrv.URL, "WAYBILL_ENCRYPTION_KEY": strings.Repeat("ab", 32), "SMTP_URL": opts.SMTPURL,
		// Status providers are never the real ones in a test: a closed
		// port unless the test serves a fake (Env overrides).
		"SEVENTEENTRACK_API_URL": "http://127.0.0.1:9", "AFTERSHIP_API_URL": "http://127.0.0.1:9", "EASYPOST_API_URL": "http://127.0.0.1:9",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.FromEnvironment(env, config.Requirements{ShopifyCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	logOut := opts.Log
	if logOut == nil {
		logOut = io.Discard
	}
	ctx := context.Background()
	a, err := wiring.Build(ctx, cfg, slog.New(slog.NewJSONHandler(logOut, nil)), wiring.Options{Clock: opts.Clock, PushesPerShop: opts.PushesPerShop})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing waybill: %v", err)
		}
	})
	if _, err := a.DB.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Server, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing the test server: %v", err)
		}
		// Serve returns ErrServerClosed once closed; anything else stopped it early.
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serving waybill: %v", err)
		}
	})
	if rdb == nil {
		rdb = a.RDB
	}
	inspect := asynq.NewInspectorFromRedisClient(rdb)
	h := &Harness{App: a, T: t, Fake: fake, FakeURL: fakeSrv.URL, URL: appURL, Inspect: inspect, proxy: proxy}
	for _, shop := range opts.Shops {
		h.Install(shop)
	}
	return h
}

// Install adds shop to the fake store and installs Waybill in it, as the
// OAuth callback would, without a browser: a token the fake issued, sealed in
// Waybill's database.
func (h *Harness) Install(shop string) *app.Shop {
	h.T.Helper()
	h.Fake.AddShop(shopifyfake.Shop{Domain: shop})
	installed, err := h.DB.SaveInstall(context.Background(), shop, h.Fake.IssueOfflineToken(shop))
	if err != nil {
		h.T.Fatal(err)
	}
	return installed
}

// Shop reads an installed shop as it is now.
func (h *Harness) Shop(domain string) *app.Shop {
	h.T.Helper()
	shop, err := h.DB.ShopByDomain(context.Background(), domain)
	if err != nil {
		h.T.Fatal(err)
	}
	return shop
}

// TestWorker are the worker options tests run with: quick polling, a short
// shutdown.
func TestWorker(concurrency int) jobs.WorkerOptions {
	return jobs.WorkerOptions{Concurrency: concurrency, ShutdownTimeout: 2 * time.Second,
		PollInterval: 10 * time.Millisecond, RetryCheckInterval: 100 * time.Millisecond}
}

// StartWorker runs the worker until the returned stop (or the test's end);
// stop returns the worker's error.
func (h *Harness) StartWorker(opts jobs.WorkerOptions) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.RunWorker(ctx, opts) }()
	stopped := false
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	h.T.Cleanup(func() {
		if err := stop(); err != nil {
			h.T.Errorf("worker: %v", err)
		}
	})
	return stop
}

// Eventually waits up to 15 s for cond.
func Eventually(t apptest.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
