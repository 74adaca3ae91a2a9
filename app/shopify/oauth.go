package shopify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/waybill-app/waybill/app"
)

// AuthorizeURL implements app.ShopifyAuth.
func (s *Service) AuthorizeURL(shop, state string) (string, error) {
	return s.app.AuthorizeUrl(shop, state)
}

// ValidCallbackHMAC implements app.ShopifyAuth: go-shopify sorts the
// parameters, leaves out hmac and signature, and compares with hmac.Equal.
func (s *Service) ValidCallbackHMAC(query url.Values) bool {
	if query.Get("hmac") == "" {
		return false
	}
	ok, err := s.app.VerifyAuthorizationURL(&url.URL{RawQuery: query.Encode()})
	return ok && err == nil
}

// tokenResponse is Shopify's answer at /admin/oauth/access_token for every
// grant. go-shopify's GetAccessToken keeps only access_token, so Waybill reads
// the whole answer itself through the client's NewRequest/Do.
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	Scope                 string `json:"scope"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
}

func (t tokenResponse) offlineToken(now time.Time) app.OfflineToken {
	tok := app.OfflineToken{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Scopes: t.Scope}
	if t.ExpiresIn > 0 {
		tok.AccessTokenExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshTokenExpiresIn > 0 {
		tok.RefreshTokenExpiresAt = now.Add(time.Duration(t.RefreshTokenExpiresIn) * time.Second)
	}
	return tok
}

// postToken calls the token endpoint with body and reads the token.
func (s *Service) postToken(ctx context.Context, shop string, body any) (app.OfflineToken, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	client, err := goshopify.NewClient(s.app, shop, "", goshopify.WithHTTPClient(s.http), goshopify.WithRetry(3))
	if err != nil {
		return app.OfflineToken{}, err
	}
	req, err := client.NewRequest(ctx, http.MethodPost, "admin/oauth/access_token", body, nil)
	if err != nil {
		return app.OfflineToken{}, err
	}
	now := s.clock.Now()
	var resp tokenResponse
	if err := client.Do(req, &resp); err != nil {
		return app.OfflineToken{}, classifyTokenError(err)
	}
	if resp.AccessToken == "" {
		return app.OfflineToken{}, app.Errorf(app.ErrUnavailable, "Shopify answered the token request without a token")
	}
	return resp.offlineToken(now), nil
}

// classifyTokenError tells a refusal (the grant is bad: 400/401/403) from an
// outage (retry later).
func classifyTokenError(err error) error {
	var re goshopify.ResponseError
	var rl goshopify.RateLimitError
	switch {
	case errors.As(err, &rl):
		return app.WrapError(app.ErrRateLimited, err, "Shopify is rate limiting token requests")
	case errors.As(err, &re) && re.Status >= 400 && re.Status < 500:
		return app.WrapError(app.ErrForbidden, err, "Shopify refused the token request (HTTP %d)", re.Status)
	default:
		return app.WrapError(app.ErrUnavailable, err, "Shopify's token endpoint did not answer")
	}
}

// ExchangeCode implements app.ShopifyAuth: the authorization-code grant,
// asking for an expiring offline token.
func (s *Service) ExchangeCode(ctx context.Context, shop, code string) (app.OfflineToken, error) {
	return s.postToken(ctx, shop, map[string]any{
		"client_id":     s.cfg.APIKey,
		"client_secret": s.cfg.APISecret,
		"code":          code,
		"expiring":      1,
	})
}

// refreshGrant trades a refresh token for a new token pair.
func (s *Service) refreshGrant(ctx context.Context, shop, refreshToken string) (app.OfflineToken, error) {
	return s.postToken(ctx, shop, map[string]any{
		"client_id":     s.cfg.APIKey,
		"client_secret": s.cfg.APISecret,
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken,
	})
}

// ExchangeSessionToken trades an App Bridge session token for an expiring
// offline token (Shopify-managed installation).
func (s *Service) ExchangeSessionToken(ctx context.Context, shop, sessionToken string) (app.OfflineToken, error) {
	return s.postToken(ctx, shop, map[string]any{
		"client_id":            s.cfg.APIKey,
		"client_secret":        s.cfg.APISecret,
		"grant_type":           "urn:ietf:params:oauth:grant-type:token-exchange",
		"subject_token":        sessionToken,
		"subject_token_type":   "urn:ietf:params:oauth:token-type:id_token",
		"requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
		"expiring":             1,
	})
}

// RefreshToken implements app.ShopifyAdmin: refresh the shop's token if it
// is due. One refresh at a time per shop across every process: a refresh
// token is rotated on use, so two concurrent refreshes would race.
func (s *Service) RefreshToken(ctx context.Context, shopDomain string, within time.Duration) error {
	_, err := s.freshShop(ctx, shopDomain, max(within, refreshMargin))
	return err
}

// freshShop returns the shop with an access token valid for at least
// margin, refreshing it under the shop's lock when needed.
func (s *Service) freshShop(ctx context.Context, shopDomain string, margin time.Duration) (*app.Shop, error) {
	shop, err := s.shops.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return nil, err
	}
	if err := usable(shop); err != nil {
		return nil, err
	}
	if !shop.Token.NeedsRefresh(s.clock.Now(), margin) {
		return shop, nil
	}
	unlock, err := s.locker.Lock(ctx, "token-refresh:"+shopDomain, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have refreshed while this one waited.
	if shop, err = s.shops.ShopByDomain(ctx, shopDomain); err != nil {
		return nil, err
	}
	if err := usable(shop); err != nil {
		return nil, err
	}
	if !shop.Token.NeedsRefresh(s.clock.Now(), margin) {
		return shop, nil
	}
	if shop.Token.RefreshToken == "" {
		return nil, s.needsReauth(ctx, shopDomain, "the access token expired and Shopify gave no refresh token")
	}
	tok, err := s.refreshGrant(ctx, shopDomain, shop.Token.RefreshToken)
	if app.ErrorCodeOf(err) == app.ErrForbidden {
		return nil, s.needsReauth(ctx, shopDomain, "Shopify refused to refresh the access token")
	}
	if err != nil {
		return nil, err
	}
	if tok.Scopes == "" {
		tok.Scopes = shop.Token.Scopes
	}
	if err := s.shops.UpdateToken(ctx, shopDomain, tok); err != nil {
		// Shopify keeps the old refresh token usable until the new one is
		// used, so failing here loses nothing: the next attempt retries.
		return nil, err
	}
	s.log.InfoContext(ctx, "access token refreshed", "shop", shopDomain, "expires_at", tok.AccessTokenExpiresAt)
	shop.Token = tok
	return shop, nil
}

func usable(shop *app.Shop) error {
	switch {
	case shop.UninstalledAt != nil:
		return app.Errorf(app.ErrNotFound, "the shop %s has uninstalled Waybill", shop.Domain)
	case shop.NeedsReauthAt != nil || shop.Token.AccessToken == "":
		return app.Errorf(app.ErrNeedsReauth, "the shop %s must open Waybill again to re-authorise it", shop.Domain)
	}
	return nil
}

func (s *Service) needsReauth(ctx context.Context, shopDomain, reason string) error {
	s.log.WarnContext(ctx, "shop needs re-authorisation", "shop", shopDomain, "reason", reason)
	if err := s.shops.MarkNeedsReauth(ctx, shopDomain, reason); err != nil {
		return err
	}
	return app.Errorf(app.ErrNeedsReauth, "the shop %s must open Waybill again to re-authorise it: %s", shopDomain, reason)
}

// ValidWebhookHMAC implements app.ShopifyAuth with go-shopify's check
// (base64 HMAC-SHA256 of the raw body, compared with hmac.Equal).
func (s *Service) ValidWebhookHMAC(body []byte, header string) bool {
	if header == "" || len(body) == 0 {
		return false
	}
	req := &http.Request{Header: http.Header{"X-Shopify-Hmac-Sha256": {header}}, Body: io.NopCloser(bytes.NewReader(body))}
	return s.app.VerifyWebhookRequest(req)
}

// proxyTimestampTolerance is how far an app proxy request's timestamp may be
// from now: Shopify's own library (@shopify/shopify-api's validateHmac)
// refuses signatures outside 90 seconds, so a captured link cannot be
// replayed later.
const proxyTimestampTolerance = 90 * time.Second

// ValidProxySignature implements app.ShopifyAuth with go-shopify's check
// (sorted k=v pairs, repeated keys joined by commas, hex HMAC-SHA256,
// compared with hmac.Equal) and a fresh timestamp.
func (s *Service) ValidProxySignature(query url.Values) bool {
	if query.Get("signature") == "" {
		return false
	}
	ts, err := strconv.ParseInt(query.Get("timestamp"), 10, 64)
	if err != nil {
		return false
	}
	if age := s.clock.Now().Sub(time.Unix(ts, 0)); age > proxyTimestampTolerance || age < -proxyTimestampTolerance {
		return false
	}
	return s.app.VerifySignature(&url.URL{RawQuery: query.Encode()})
}
