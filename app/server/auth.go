package server

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

const (
	stateCookie = "waybill_oauth_state"
	stateTTL    = 10 * time.Minute
	// callbackMaxAge bounds how old a signed callback may be: a leaked
	// callback URL cannot be replayed later.
	callbackMaxAge = 5 * time.Minute
)

// authStart is GET /auth?shop=X: begins the authorization-code install.
func (s *Server) authStart(c echo.Context) error {
	shop, err := app.ValidateShopDomain(c.QueryParam("shop"))
	if err != nil {
		return err
	}
	state, err := s.deps.States.Issue(c.Request().Context(), shop, stateTTL)
	if err != nil {
		return err
	}
	target, err := s.deps.Auth.AuthorizeURL(shop, state)
	if err != nil {
		return app.WrapError(app.ErrInternal, err, "cannot build the authorize URL")
	}
	// The state is bound to this browser: the callback must come back with
	// the same cookie, so a state stolen from a URL is useless elsewhere.
	c.SetCookie(&http.Cookie{
		Name: stateCookie, Value: state, Path: "/auth", MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: strings.HasPrefix(s.deps.Config.AppURL, "https://"), SameSite: http.SameSiteLaxMode,
	})
	return c.Redirect(http.StatusFound, target)
}

// authCallback is GET /auth/callback: Shopify's redirect after approval.
// Every check runs before the code is exchanged, cheapest and least
// revealing first; the state is consumed only once the request is proven
// to come from Shopify.
func (s *Server) authCallback(c echo.Context) error {
	q := c.QueryParams()
	for _, p := range []string{"code", "shop", "state", "timestamp", "hmac"} {
		if q.Get(p) == "" {
			return app.Errorf(app.ErrInvalid, "the install callback is missing the %q parameter: start the install again from your Shopify admin", p)
		}
	}
	if !s.deps.Auth.ValidCallbackHMAC(q) {
		return app.Errorf(app.ErrUnauthorized, "the install callback's signature (hmac) is not valid")
	}
	shop, err := app.ValidateShopDomain(q.Get("shop"))
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return app.Errorf(app.ErrInvalid, "the install callback's timestamp is not a number")
	}
	age := s.deps.Clock.Now().Sub(time.Unix(ts, 0))
	if age > callbackMaxAge || age < -time.Minute {
		return app.Errorf(app.ErrForbidden, "the install callback is too old (or from the future): start the install again")
	}
	cookie, err := c.Cookie(stateCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(q.Get("state"))) != 1 {
		return app.Errorf(app.ErrForbidden, "the install was started in another browser or the link was reused: start the install again")
	}
	stateShop, err := s.deps.States.Consume(c.Request().Context(), q.Get("state"))
	if err != nil {
		return err
	}
	if stateShop != shop {
		return app.Errorf(app.ErrForbidden, "the install was started for another shop: start the install again")
	}

	ctx := c.Request().Context()
	token, err := s.deps.Auth.ExchangeCode(ctx, shop, q.Get("code"))
	if err != nil {
		return err
	}
	if _, err := s.deps.Shops.SaveInstall(ctx, shop, token); err != nil {
		return err
	}
	// Subscriptions are made in a job (with retries): the merchant is not
	// kept waiting on Shopify here.
	if err := s.deps.Dispatcher.QueueShopSetup(ctx, shop); err != nil {
		return app.WrapError(app.ErrUnavailable, err, "Waybill is installed but could not finish setting up; please open the app again")
	}
	s.deps.Log.InfoContext(ctx, "shop installed", "shop", shop, "token_expires_at", token.AccessTokenExpiresAt)
	c.SetCookie(&http.Cookie{Name: stateCookie, Value: "", Path: "/auth", MaxAge: -1})
	return c.Redirect(http.StatusFound, "https://"+shop+"/admin/apps/"+url.PathEscape(s.deps.Config.APIKey))
}
