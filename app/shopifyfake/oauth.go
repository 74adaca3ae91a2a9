package shopifyfake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SignQuery adds Shopify's hmac parameter to OAuth callback parameters:
// hex HMAC-SHA256 of the sorted k=v pairs joined with &.
func SignQuery(secret string, q url.Values) url.Values {
	q.Del("hmac")
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strings.Join(q[k], ","))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.Join(parts, "&")))
	q.Set("hmac", hex.EncodeToString(mac.Sum(nil)))
	return q
}

// authorize is the merchant's approval screen, approved at once: it checks
// the request like Shopify does and redirects to redirect_uri with a code.
func (s *Store) authorize(w http.ResponseWriter, r *http.Request, shop string) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.APIKey {
		http.Error(w, "Oauth error invalid_request: The client_id is not valid", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("state") == "" {
		http.Error(w, "Oauth error invalid_request: redirect_uri and state are required", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	sh := s.shops[shop]
	if sh == nil {
		s.mu.Unlock()
		http.Error(w, "There is no store at this address.", http.StatusNotFound)
		return
	}
	// The scopes asked for are what the token will carry (the merchant
	// approves them all: the fake has no partial grants).
	scopes := q.Get("scope")
	if strings.TrimSpace(scopes) == "" {
		scopes = s.opts.Scopes
	}
	code := randomHex(16)
	sh.codes[code] = tokenGrant{expires: s.clock.Now().Add(10 * time.Minute), scopes: scopes}
	s.mu.Unlock()

	cb := url.Values{}
	cb.Set("code", code)
	cb.Set("shop", shop)
	cb.Set("state", q.Get("state"))
	cb.Set("timestamp", strconv.FormatInt(s.clock.Now().Unix(), 10))
	cb.Set("host", strings.TrimRight(base64URL("admin.shopify.com/store/"+strings.TrimSuffix(shop, ".myshopify.com")), "="))
	redirect.RawQuery = SignQuery(s.opts.APISecret, cb).Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// readParams reads a token request body as JSON or form.
func readParams(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var ct string // none: read as a form
	if h := r.Header.Get("Content-Type"); h != "" {
		if ct, _, err = mime.ParseMediaType(h); err != nil {
			return nil, fmt.Errorf("Content-Type %q: %w", h, err)
		}
	}
	if ct == "application/json" {
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, err
		}
		for k, v := range raw {
			switch x := v.(type) {
			case string:
				out[k] = x
			case float64:
				out[k] = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				out[k] = strconv.FormatBool(x)
			}
		}
		return out, nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k := range vals {
		out[k] = vals.Get(k)
	}
	return out, nil
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// accessToken is POST /admin/oauth/access_token for every grant Waybill uses.
func (s *Store) accessToken(w http.ResponseWriter, r *http.Request, shop string) {
	s.mu.Lock()
	s.calls["token_request"]++
	s.mu.Unlock()
	p, err := readParams(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not JSON or form data")
		return
	}
	if subtle.ConstantTimeCompare([]byte(p["client_id"]), []byte(s.opts.APIKey)) != 1 ||
		subtle.ConstantTimeCompare([]byte(p["client_secret"]), []byte(s.opts.APISecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shop]
	if sh == nil {
		oauthError(w, http.StatusNotFound, "invalid_request", "no such shop")
		return
	}
	now := s.clock.Now()
	expiring := p["expiring"] == "1" || p["expiring"] == "true"
	grant := p["grant_type"]
	scopes := s.opts.Scopes // token exchange: the app's configured scopes
	switch grant {
	case "", "authorization_code":
		grant = "authorization_code"
		code, ok := sh.codes[p["code"]]
		delete(sh.codes, p["code"]) // single use, even when it failed
		if !ok || now.After(code.expires) {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The authorization code was not found or was already used")
			return
		}
		scopes = code.scopes
	case "refresh_token":
		old, ok := sh.refreshTokens[p["refresh_token"]]
		if !ok || now.After(old.expires) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or expired")
			return
		}
		// Rotated on use (Shopify keeps the old one only until the new one is used).
		delete(sh.refreshTokens, p["refresh_token"])
		expiring = true
		scopes = old.scopes
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		if p["subject_token_type"] != "urn:ietf:params:oauth:token-type:id_token" ||
			p["requested_token_type"] != "urn:shopify:params:oauth:token-type:offline-access-token" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "unsupported subject_token_type or requested_token_type")
			return
		}
		if err := s.verifySessionToken(p["subject_token"], shop); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_subject_token", err.Error())
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+grant+" is not supported")
		return
	}
	s.calls["grant:"+grant]++

	access := "shpat_" + randomHex(16)
	// "scope" lists what was granted as it was asked for. (Not confirmed:
	// whether Shopify leaves out read scopes implied by write ones here.)
	resp := map[string]any{"access_token": access, "scope": scopes}
	if expiring {
		refresh := "shprt_" + randomHex(16)
		sh.accessTokens[access] = tokenGrant{expires: now.Add(s.opts.AccessTokenTTL), scopes: scopes}
		sh.refreshTokens[refresh] = tokenGrant{expires: now.Add(s.opts.RefreshTokenTTL), scopes: scopes}
		resp["expires_in"] = int(s.opts.AccessTokenTTL.Seconds())
		resp["refresh_token"] = refresh
		resp["refresh_token_expires_in"] = int(s.opts.RefreshTokenTTL.Seconds())
	} else {
		sh.accessTokens[access] = tokenGrant{scopes: scopes}
	}
	writeJSON(w, http.StatusOK, resp)
}

// verifySessionToken checks an App Bridge session token as Shopify does
// before a token exchange.
func (s *Store) verifySessionToken(raw, shop string) error {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(s.opts.APISecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.opts.APIKey),
		jwt.WithTimeFunc(s.clock.Now), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return err
	}
	if dest, _ := claims["dest"].(string); dest != "https://"+shop {
		return jwtError("the session token is for another shop")
	}
	return nil
}

type jwtError string

func (e jwtError) Error() string { return string(e) }

// SessionToken makes an App Bridge session token for shop, as the admin gives
// an embedded app, signed with the app secret.
func (s *Store) SessionToken(shop string, ttl time.Duration) string {
	now := s.clock.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://" + shop + "/admin", "dest": "https://" + shop, "aud": s.opts.APIKey,
		"sub": "42", "exp": now.Add(ttl).Unix(), "nbf": now.Add(-time.Second).Unix(), "iat": now.Unix(),
		"jti": randomHex(8), "sid": randomHex(8),
	})
	signed, err := tok.SignedString([]byte(s.opts.APISecret))
	if err != nil {
		// HS256 with a []byte key over claims of strings and numbers has
		// nothing that can fail: an error is a bug in the fake or in jwt.
		panic("shopifyfake: signing a session token: " + err.Error())
	}
	return signed
}

// tokenGrant is a token's (or an authorization code's) expiry and the
// access scopes it carries.
type tokenGrant struct {
	expires time.Time // zero: never
	scopes  string    // comma separated
}

// checkAccessToken returns the grant of a live token of shop.
func (s *Store) checkAccessToken(sh *Shop, token string) (tokenGrant, bool) {
	g, ok := sh.accessTokens[token]
	return g, ok && (g.expires.IsZero() || s.clock.Now().Before(g.expires))
}
