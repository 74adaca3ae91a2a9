package shopify_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

const shop = "acme.myshopify.com"

type env struct {
	fake  *shopifyfake.Store
	db    *store.DB
	svc   *shopify.Service
	clock *apptest.Clock
}

// newEnv gives an installed shop whose token came from the fake.
func newEnv(t *testing.T) *env {
	clock := apptest.NewClock(time.Now())
	fake := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush", Clock: clock})
	fake.AddShop(shopifyfake.Shop{Domain: shop})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	db := storetest.Open(t, store.SQLite, clock)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := shopify.New(shopify.Config{APIKey: "key", APISecret: "hush", AppURL: "https://app.example", AdminOrigin: srv.URL},
		db, redis.New(redistest.Open(t, 4), log), clock, log, nil)
	if _, err := db.SaveInstall(context.Background(), shop, fake.IssueOfflineToken(shop)); err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, db: db, svc: svc, clock: clock}
}

func TestCallbackHMACMatchesShopifysVector(t *testing.T) {
	svc := shopify.New(shopify.Config{APIKey: "key", APISecret: "hush"}, nil, nil, app.SystemClock{}, slog.Default(), nil)
	q, err := url.ParseQuery("code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf")
	if err != nil {
		t.Fatal(err)
	}
	if !svc.ValidCallbackHMAC(q) {
		t.Fatal("Shopify's published callback vector was refused")
	}
	q.Set("state", "0.6784241404160824")
	if svc.ValidCallbackHMAC(q) {
		t.Fatal("a changed parameter was accepted")
	}
	q.Del("hmac")
	if svc.ValidCallbackHMAC(q) {
		t.Fatal("a callback without hmac was accepted")
	}
}

func TestExchangeCodeAsksForAnExpiringToken(t *testing.T) {
	e := newEnv(t)
	// A code from the store's approval screen.
	rec := httptest.NewRecorder()
	e.fake.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "https://"+shop+"/admin/oauth/authorize?client_id=key&redirect_uri=https://app.example/auth/callback&state=s", nil))
	cb, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.ExchangeCode(context.Background(), shop, cb.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || !tok.AccessTokenExpiresAt.Equal(e.clock.Now().Add(time.Hour)) || tok.Scopes == "" {
		t.Fatalf("token = %+v: want an expiring token with a refresh token", tok)
	}
	if _, err := e.svc.ExchangeCode(context.Background(), shop, cb.Query().Get("code")); app.ErrorCodeOf(err) != app.ErrForbidden {
		t.Fatalf("reused code: %v", err)
	}
}

func TestRefreshHappensOnceUnderContention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.svc.RefreshToken(ctx, shop, 0); err != nil || e.fake.Calls("grant:refresh_token") != 0 {
		t.Fatalf("a fresh token was refreshed: %v, %d", err, e.fake.Calls("grant:refresh_token"))
	}
	e.clock.Advance(57 * time.Minute) // within the 5-minute margin
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.svc.RefreshToken(ctx, shop, 0)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.fake.Calls("grant:refresh_token"); n != 1 {
		t.Fatalf("%d refreshes for 10 concurrent callers, want 1", n)
	}
	s, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Token.AccessTokenExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("new expiry %v", s.Token.AccessTokenExpiresAt)
	}
	// The refreshed token works against the Admin API.
	e.clock.Advance(30 * time.Minute)
	if _, err := e.svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks", []string{"orders/create"}); err != nil {
		t.Fatalf("call with refreshed token: %v", err)
	}
}

func TestRefusedRefreshMeansReauthorisationNotACrash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fake.RevokeTokens(shop)
	e.clock.Advance(58 * time.Minute)
	err := e.svc.RefreshToken(ctx, shop, 0)
	if app.ErrorCodeOf(err) != app.ErrNeedsReauth {
		t.Fatalf("refused refresh: %v", err)
	}
	s, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	if s.NeedsReauthAt == nil || s.Token.AccessToken != "" || s.Active() {
		t.Fatalf("shop after refused refresh: %+v", s)
	}
	// Later calls fail fast without asking Shopify again.
	before := e.fake.Calls("token_request")
	if err := e.svc.RefreshToken(ctx, shop, 0); app.ErrorCodeOf(err) != app.ErrNeedsReauth || e.fake.Calls("token_request") != before {
		t.Fatalf("second attempt: %v", err)
	}
}

func TestAdminErrorsAreClassified(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	topics := []string{"orders/create"}
	cases := []struct {
		faults shopifyfake.Faults
		want   app.ErrorCode
	}{
		{shopifyfake.Faults{ServerErrors: 5}, app.ErrUnavailable},
		{shopifyfake.Faults{HTTPThrottles: 5, RetryAfter: 1}, app.ErrRateLimited},
		{shopifyfake.Faults{Throttles: 5}, app.ErrRateLimited},
	}
	for _, c := range cases {
		e.fake.InjectFaults(c.faults)
		_, err := e.svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks", topics)
		if app.ErrorCodeOf(err) != c.want {
			t.Errorf("faults %+v: %v, want %s", c.faults, err, c.want)
		}
	}
	e.fake.InjectFaults(shopifyfake.Faults{})
	n, err := e.svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks", []string{"orders/create", "app/uninstalled"})
	if err != nil || n != 2 {
		t.Fatalf("after faults: created %d, %v", n, err)
	}
	// Idempotent: nothing new the second time.
	if n, err := e.svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks", []string{"orders/create", "app/uninstalled"}); err != nil || n != 0 {
		t.Fatalf("second run created %d, %v", n, err)
	}
	e.fake.RevokeTokens(shop)
	if _, err := e.svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks", topics); app.ErrorCodeOf(err) != app.ErrNeedsReauth {
		t.Fatalf("revoked token: %v", err)
	}
}
