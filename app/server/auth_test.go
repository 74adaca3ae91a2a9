package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

const (
	shop      = "acme.myshopify.com"
	apiKey    = wiringtest.APIKey
	apiSecret = wiringtest.APISecret
)

type env struct {
	t         *testing.T
	fake      *shopifyfake.Store
	db        *store.DB
	appURL    string
	clock     *apptest.Clock
	inspector *asynq.Inspector
}

// newEnv runs the server (no worker) with a store that has not installed
// Waybill yet.
func newEnv(t *testing.T) *env {
	clock := apptest.NewClock(time.Now())
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 1, Clock: clock, Env: map[string]string{"SCOPES": "read_orders"}})
	h.Fake.AddShop(shopifyfake.Shop{Domain: shop})
	return &env{t: t, fake: h.Fake, db: h.DB, appURL: h.URL, clock: clock, inspector: h.Inspect}
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// start begins an install in a browser (cookie jar) and returns the state.
func (e *env) start(browser *http.Client, shopDomain string) string {
	resp, err := browser.Get(e.appURL + "/auth?shop=" + url.QueryEscape(shopDomain))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("/auth: HTTP %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc.Query().Get("state")
}

// callback sends a callback with the given parameters, signed unless
// signature is given.
func (e *env) callback(browser *http.Client, params url.Values, signature string) (int, string) {
	if signature == "" {
		params = shopifyfake.SignQuery(apiSecret, params)
	} else if signature != "none" {
		params.Set("hmac", signature)
	}
	resp, err := browser.Get(e.appURL + "/auth/callback?" + params.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (e *env) params(state, shopDomain string, ts time.Time) url.Values {
	return url.Values{"code": {"some-code"}, "shop": {shopDomain}, "state": {state}, "timestamp": {strconv.FormatInt(ts.Unix(), 10)}}
}

func TestInstallAgainstTheFakeStore(t *testing.T) {
	e := newEnv(t)
	final, err := e.fake.InstallApp(context.Background(), e.appURL, shop)
	if err != nil {
		t.Fatal(err)
	}
	if final != "https://"+shop+"/admin/apps/"+apiKey {
		t.Fatalf("after install the merchant goes to %q", final)
	}
	saved, err := e.db.ShopByDomain(context.Background(), shop)
	if err != nil || !saved.Active() || saved.Token.RefreshToken == "" || saved.Token.AccessTokenExpiresAt.IsZero() {
		t.Fatalf("saved shop = %+v, %v", saved, err)
	}
	if e.fake.Calls("grant:authorization_code") != 1 {
		t.Fatalf("%d code exchanges", e.fake.Calls("grant:authorization_code"))
	}
	// Set-up queued once, for this shop.
	info, err := e.inspector.GetTaskInfo(jobs.QueueDefault, jobs.TypeShopSetup+":"+shop)
	if err != nil || info.Type != jobs.TypeShopSetup {
		t.Fatalf("setup task: %+v, %v", info, err)
	}
	// Reinstall: same row, new token, still one setup task.
	if _, err := e.fake.InstallApp(context.Background(), e.appURL, shop); err != nil {
		t.Fatal(err)
	}
	again, _ := e.db.ShopByDomain(context.Background(), shop)
	if again.ID != saved.ID || again.Token.AccessToken == saved.Token.AccessToken {
		t.Fatal("reinstall did not update the same shop's token")
	}
}

func TestAuthStartRejectsBadShops(t *testing.T) {
	e := newEnv(t)
	browser := noRedirects(nil)
	for _, bad := range []string{"", "evil.com", "x.myshopify.com.evil.com", "acme.myshopify.com/admin", "ACME .myshopify.com", "-acme.myshopify.com", "https://acme.myshopify.com"} {
		resp, err := browser.Get(e.appURL + "/auth?shop=" + url.QueryEscape(bad))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "shop") {
			t.Errorf("shop %q: HTTP %d %s", bad, resp.StatusCode, body)
		}
	}
	jar, _ := cookiejar.New(nil)
	resp, _ := noRedirects(jar).Get(e.appURL + "/auth?shop=" + shop)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if loc.Scheme != "https" || loc.Host != shop || loc.Path != "/admin/oauth/authorize" || q.Get("client_id") != apiKey ||
		q.Get("redirect_uri") != e.appURL+"/auth/callback" || q.Get("scope") != "read_orders" || q.Get("state") == "" {
		t.Fatalf("authorize redirect = %s", loc)
	}
}

func TestForgedCallbacksAreRefusedBeforeAnyTokenExchange(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	cases := []struct {
		name   string
		status int
		send   func() (int, string)
	}{
		{"bad hmac", 401, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			return e.callback(b, e.params(e.start(b, shop), shop, now), strings.Repeat("0", 64))
		}},
		{"signed with another secret", 401, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			p := shopifyfake.SignQuery("not-the-secret", e.params(e.start(b, shop), shop, now))
			return e.callback(b, p, p.Get("hmac"))
		}},
		{"reused state", 403, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			state := e.start(b, shop)
			// A first callback with that state consumes it (and fails on the fake code).
			e.callback(b, e.params(state, shop, now), "")
			// The browser keeps the cookie for the replay.
			u, _ := url.Parse(e.appURL + "/auth")
			jar.SetCookies(u, []*http.Cookie{{Name: "waybill_oauth_state", Value: state, Path: "/auth"}})
			return e.callback(b, e.params(state, shop, now), "")
		}},
		{"foreign state (other browser)", 403, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			victim := noRedirects(jar)
			state := e.start(victim, shop)
			attackerJar, _ := cookiejar.New(nil)
			return e.callback(noRedirects(attackerJar), e.params(state, shop, now), "")
		}},
		{"never issued state", 403, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			e.start(b, shop)
			u, _ := url.Parse(e.appURL + "/auth")
			jar.SetCookies(u, []*http.Cookie{{Name: "waybill_oauth_state", Value: "made-up", Path: "/auth"}})
			return e.callback(b, e.params("made-up", shop, now), "")
		}},
		{"state issued for another shop", 403, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			return e.callback(b, e.params(e.start(b, "other.myshopify.com"), shop, now), "")
		}},
		{"stale timestamp", 403, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			return e.callback(b, e.params(e.start(b, shop), shop, now.Add(-time.Hour)), "")
		}},
		{"evil.com", 400, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			return e.callback(b, e.params(e.start(b, shop), "evil.com", now), "")
		}},
		{"x.myshopify.com.evil.com", 400, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			return e.callback(b, e.params(e.start(b, shop), "x.myshopify.com.evil.com", now), "")
		}},
	}
	for _, p := range []string{"code", "shop", "state", "timestamp", "hmac"} {
		p := p
		cases = append(cases, struct {
			name   string
			status int
			send   func() (int, string)
		}{"missing " + p, 400, func() (int, string) {
			jar, _ := cookiejar.New(nil)
			b := noRedirects(jar)
			params := shopifyfake.SignQuery(apiSecret, e.params(e.start(b, shop), shop, now))
			params.Del(p)
			return e.callback(b, params, "none")
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := c.send()
			if status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", status, c.status, body)
			}
			if !strings.Contains(body, `"message"`) {
				t.Fatalf("no clear message: %s", body)
			}
		})
	}
	// One token request reached the store: the genuine first use in "reused
	// state" (its made-up code was refused). No forged callback got there.
	if n := e.fake.Calls("token_request"); n != 1 {
		t.Fatalf("%d token requests, want exactly 1 (from the genuine first use of the reused state)", n)
	}
	if n := e.fake.Calls("grant:authorization_code"); n != 0 {
		t.Fatalf("%d tokens issued for forged callbacks", n)
	}
	if _, err := e.db.ShopByDomain(context.Background(), shop); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatalf("a forged callback installed the shop: %v", err)
	}
}
