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
	return &env{fake: h.Fake, db: h.DB, appURL: h.URL, clock: clock, inspector: h.Inspect}
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// newBrowser is a browser of its own: a cookie jar, redirects not followed.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return noRedirects(jar)
}

// readBody reads and closes resp's body, failing the test if either fails.
func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading the response to %s %s: %v", resp.Request.Method, resp.Request.URL, err)
	}
	return body
}

// mustParseURL parses a URL the test built or was given, failing on error.
func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// start begins an install in a browser (cookie jar) and returns the state.
func (e *env) start(t *testing.T, browser *http.Client, shopDomain string) string {
	t.Helper()
	resp, err := browser.Get(e.appURL + "/auth?shop=" + url.QueryEscape(shopDomain))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/auth: HTTP %d", resp.StatusCode)
	}
	return mustParseURL(t, resp.Header.Get("Location")).Query().Get("state")
}

// callback sends a callback with the given parameters, signed unless
// signature is given.
func (e *env) callback(t *testing.T, browser *http.Client, params url.Values, signature string) (int, string) {
	t.Helper()
	if signature == "" {
		params = shopifyfake.SignQuery(apiSecret, params)
	} else if signature != "none" {
		params.Set("hmac", signature)
	}
	resp, err := browser.Get(e.appURL + "/auth/callback?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(readBody(t, resp))
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
	again, err := e.db.ShopByDomain(context.Background(), shop)
	if err != nil {
		t.Fatal(err)
	}
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
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "shop") {
			t.Errorf("shop %q: HTTP %d %s", bad, resp.StatusCode, body)
		}
	}
	resp, err := newBrowser(t).Get(e.appURL + "/auth?shop=" + shop)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	loc := mustParseURL(t, resp.Header.Get("Location"))
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
		send   func(t *testing.T) (int, string)
	}{
		{"bad hmac", 401, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			return e.callback(t, b, e.params(e.start(t, b, shop), shop, now), strings.Repeat("0", 64))
		}},
		{"signed with another secret", 401, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			p := shopifyfake.SignQuery("not-the-secret", e.params(e.start(t, b, shop), shop, now))
			return e.callback(t, b, p, p.Get("hmac"))
		}},
		{"reused state", 403, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			state := e.start(t, b, shop)
			// A first callback with that state consumes it (and fails on the fake code).
			e.callback(t, b, e.params(state, shop, now), "")
			// The browser keeps the cookie for the replay.
			b.Jar.SetCookies(mustParseURL(t, e.appURL+"/auth"), []*http.Cookie{{Name: "waybill_oauth_state", Value: state, Path: "/auth"}})
			return e.callback(t, b, e.params(state, shop, now), "")
		}},
		{"foreign state (other browser)", 403, func(t *testing.T) (int, string) {
			victim := newBrowser(t)
			state := e.start(t, victim, shop)
			return e.callback(t, newBrowser(t), e.params(state, shop, now), "")
		}},
		{"never issued state", 403, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			e.start(t, b, shop)
			b.Jar.SetCookies(mustParseURL(t, e.appURL+"/auth"), []*http.Cookie{{Name: "waybill_oauth_state", Value: "made-up", Path: "/auth"}})
			return e.callback(t, b, e.params("made-up", shop, now), "")
		}},
		{"state issued for another shop", 403, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			return e.callback(t, b, e.params(e.start(t, b, "other.myshopify.com"), shop, now), "")
		}},
		{"stale timestamp", 403, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			return e.callback(t, b, e.params(e.start(t, b, shop), shop, now.Add(-time.Hour)), "")
		}},
		{"evil.com", 400, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			return e.callback(t, b, e.params(e.start(t, b, shop), "evil.com", now), "")
		}},
		{"x.myshopify.com.evil.com", 400, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			return e.callback(t, b, e.params(e.start(t, b, shop), "x.myshopify.com.evil.com", now), "")
		}},
	}
	for _, p := range []string{"code", "shop", "state", "timestamp", "hmac"} {
		p := p
		cases = append(cases, struct {
			name   string
			status int
			send   func(t *testing.T) (int, string)
		}{"missing " + p, 400, func(t *testing.T) (int, string) {
			b := newBrowser(t)
			params := shopifyfake.SignQuery(apiSecret, e.params(e.start(t, b, shop), shop, now))
			params.Del(p)
			return e.callback(t, b, params, "none")
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := c.send(t)
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
