package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
)

const (
	fuzzKey    = "fuzz-api-key"
	fuzzSecret = "fuzz-api-secret"
	fuzzShop   = "acme.myshopify.com"
)

// FuzzSessionToken checks the App Bridge session token check (sessionShop,
// what every admin API request passes) two ways.
//
// Tokens built from fuzzed claims, algorithm and key are accepted exactly
// when Shopify's rules say so: HS256 with the app secret (never alg none,
// another HMAC or another key), aud the API key, exp present and not past
// beyond the leeway, nbf and iat not in the future beyond it, dest a shop
// domain and iss that shop's admin — and then the shop is dest's.
//
// Any other string (a tampered or truncated token, a forged header) that is
// accepted must carry an HMAC-SHA256 of its header and claims made with the
// app secret, HS256 in its header, and claims that pass the same rules.
func FuzzSessionToken(f *testing.F) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := &Server{deps: Deps{Config: Config{APIKey: fuzzKey, APISecret: fuzzSecret}, Clock: apptest.NewClock(now)}}
	dest, iss := "https://"+fuzzShop, "https://"+fuzzShop+"/admin"
	const hasAll = 7 // exp, nbf, iat
	// alg: 0 HS256, 1 none, 2 HS384, 3 HS512; otherKey signs with another secret.
	f.Add(uint8(0), false, fuzzKey, dest, iss, int64(60), int64(-1), int64(0), uint8(hasAll), "")     // Shopify's
	f.Add(uint8(0), false, fuzzKey, dest, iss, int64(-11), int64(-70), int64(-70), uint8(hasAll), "") // expired beyond the leeway
	f.Add(uint8(0), false, fuzzKey, dest, iss, int64(-9), int64(-70), int64(-70), uint8(hasAll), "")  // expired within it
	f.Add(uint8(0), false, fuzzKey, dest, iss, int64(60), int64(30), int64(30), uint8(hasAll), "")    // not yet valid
	f.Add(uint8(0), false, fuzzKey, dest, iss, int64(60), int64(-1), int64(0), uint8(6), "")          // no exp
	f.Add(uint8(0), false, "other-app", dest, iss, int64(60), int64(-1), int64(0), uint8(hasAll), "") // wrong aud
	f.Add(uint8(0), false, fuzzKey, "https://evil.example.com", "https://evil.example.com/admin", int64(60), int64(-1), int64(0), uint8(hasAll), "")
	f.Add(uint8(0), false, fuzzKey, "https://rival.myshopify.com", iss, int64(60), int64(-1), int64(0), uint8(hasAll), "") // dest ≠ iss
	f.Add(uint8(0), true, fuzzKey, dest, iss, int64(60), int64(-1), int64(0), uint8(hasAll), "")                           // another secret
	f.Add(uint8(1), false, fuzzKey, dest, iss, int64(60), int64(-1), int64(0), uint8(hasAll), "")                          // alg none
	f.Add(uint8(2), false, fuzzKey, dest, iss, int64(60), int64(-1), int64(0), uint8(hasAll), "")                          // HS384
	valid := signToken(f, jwt.SigningMethodHS256, fuzzSecret, jwt.MapClaims{"aud": fuzzKey, "dest": dest, "iss": iss, "exp": now.Unix() + 60})
	head, rest, _ := strings.Cut(valid, ".")
	for _, raw := range []string{
		valid,
		valid[:len(valid)-2] + "AA", // tampered signature
		strings.TrimRight(valid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), // no signature
		"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(rest, ".")[0] + ".",                   // alg none, same claims
		head + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"`+fuzzKey+`","dest":"`+dest+`","iss":"`+iss+`","exp":9999999999}`)) + "." + strings.Split(rest, ".")[1],
		"x.y.z", "..", "",
	} {
		f.Add(uint8(0), false, "", "", "", int64(0), int64(0), int64(0), uint8(0), raw)
	}

	f.Fuzz(func(t *testing.T, alg uint8, otherKey bool, aud, dest, iss string, exp, nbf, iat int64, has uint8, raw string) {
		if raw != "" {
			shop, _, err := s.sessionShop(raw)
			if err == nil {
				checkAccepted(t, raw, shop, now)
			} else if app.ErrorCodeOf(err) != app.ErrUnauthorized {
				t.Fatalf("token %q refused with %v", raw, err)
			}
			return
		}
		// Times within ten years of now, in whole seconds as Shopify sends.
		const span = 10 * 365 * 24 * 3600
		exp, nbf, iat = now.Unix()+exp%span, now.Unix()+nbf%span, now.Unix()+iat%span
		claims := jwt.MapClaims{"aud": aud, "dest": dest, "iss": iss, "sub": "1"}
		for i, c := range []struct {
			name string
			at   int64
		}{{"exp", exp}, {"nbf", nbf}, {"iat", iat}} {
			if has&(1<<i) != 0 {
				claims[c.name] = c.at
			}
		}
		method := []jwt.SigningMethod{jwt.SigningMethodHS256, jwt.SigningMethodNone, jwt.SigningMethodHS384, jwt.SigningMethodHS512}[int(alg)%4]
		key := fuzzSecret
		if otherKey {
			key = "not-the-app-secret"
		}
		token := signToken(t, method, key, claims)

		leeway := int64(sessionLeeway / time.Second)
		want, wantShop := method == jwt.SigningMethodHS256 && !otherKey && aud == fuzzKey && has&1 != 0 && now.Unix() < exp+leeway &&
			(has&2 == 0 || now.Unix() >= nbf-leeway) && (has&4 == 0 || now.Unix() >= iat-leeway), ""
		if want {
			d, err := app.ValidateShopDomain(strings.TrimPrefix(dest, "https://"))
			want, wantShop = err == nil && iss == "https://"+d+"/admin", d
		}
		shop, _, err := s.sessionShop(token)
		switch {
		case want && err != nil:
			t.Fatalf("a token Shopify would send is refused (%v): %v", claims, err)
		case !want && err == nil:
			t.Fatalf("a token signed %s (other key: %v) with claims %v is accepted for %s", method.Alg(), otherKey, claims, shop)
		case err != nil && app.ErrorCodeOf(err) != app.ErrUnauthorized:
			t.Fatalf("refused with %v", err)
		case err == nil && shop != wantShop:
			t.Fatalf("accepted for %q, dest says %q", shop, dest)
		}
	})
}

// checkAccepted checks an accepted token by hand: its HMAC, its header's
// algorithm, its claims.
func checkAccepted(t *testing.T, raw, shop string, now time.Time) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted %q, which is not three segments", raw)
	}
	m := hmac.New(sha256.New, []byte(fuzzSecret))
	_, _ = m.Write([]byte(parts[0] + "." + parts[1])) // a hash.Hash never fails to write
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		t.Fatalf("accepted %q, not signed with the app secret", raw)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Aud  any          `json:"aud"`
		Exp  *json.Number `json:"exp"`
		Dest string       `json:"dest"`
		Iss  string       `json:"iss"`
	}
	if !decodeSegment(parts[0], &header) || header.Alg != "HS256" {
		t.Fatalf("accepted %q, whose header is not HS256", raw)
	}
	if !decodeSegment(parts[1], &claims) {
		t.Fatalf("accepted %q, whose claims are not JSON", raw)
	}
	audOK := claims.Aud == fuzzKey
	if list, ok := claims.Aud.([]any); ok {
		for _, a := range list {
			audOK = audOK || a == fuzzKey
		}
	}
	if !audOK {
		t.Fatalf("accepted %q for audience %v", raw, claims.Aud)
	}
	if claims.Exp == nil {
		t.Fatalf("accepted %q without exp", raw)
	}
	if exp, err := claims.Exp.Float64(); err != nil || float64(now.Add(-sessionLeeway).Unix()) >= exp {
		t.Fatalf("accepted %q, expired at %s", raw, claims.Exp)
	}
	if d, err := app.ValidateShopDomain(strings.TrimPrefix(claims.Dest, "https://")); err != nil || d != shop || claims.Iss != "https://"+shop+"/admin" {
		t.Fatalf("accepted %q for %s: dest %q, iss %q", raw, shop, claims.Dest, claims.Iss)
	}
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v) == nil
}

func signToken(t testing.TB, method jwt.SigningMethod, secret string, claims jwt.MapClaims) string {
	t.Helper()
	var key any = []byte(secret)
	if method == jwt.SigningMethodNone {
		key = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
