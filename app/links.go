package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// signer signs link payloads with a key of its own, derived from the app
// secret per purpose: a link's signature says nothing about the secret, and
// a link made for one purpose is no good for another.
type signer struct{ key []byte }

func newSigner(appSecret, purpose string) signer {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte("waybill " + purpose + " links v1"))
	return signer{key: mac.Sum(nil)}
}

func (s signer) sign(payload string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

func (s signer) token(payload string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.sign(payload)
}

// open checks a token in constant time and returns its payload.
func (s signer) open(token string) (string, bool) {
	encoded, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.sign(string(raw)))) {
		return "", false
	}
	return string(raw), true
}

// Unsubscribes makes and checks the signed links in every email: no login,
// and the link carries only the shop and a hash of the address.
type Unsubscribes struct {
	signer
	appURL string
}

// NewUnsubscribes makes the unsubscribe links of an app.
func NewUnsubscribes(appSecret, appURL string) Unsubscribes {
	return Unsubscribes{signer: newSigner(appSecret, "unsubscribe"), appURL: strings.TrimSuffix(appURL, "/")}
}

// TrackingLinks make the email's link to the store's tracking page: it opens
// the order without asking for its number and email.
type TrackingLinks struct{ signer }

// NewTrackingLinks makes tracking page links of an app.
func NewTrackingLinks(appSecret string) TrackingLinks {
	return TrackingLinks{newSigner(appSecret, "tracking page")}
}

// URL is the order's page on the store (through the app proxy).
func (l TrackingLinks) URL(shopDomain, shopID string, orderID int64) string {
	return "https://" + shopDomain + "/apps/track?t=" + url.QueryEscape(l.token(shopID+"."+strconv.FormatInt(orderID, 10)))
}

// Parse returns the shop and order a token names.
func (l TrackingLinks) Parse(token string) (shopID string, orderID int64, err error) {
	payload, ok := l.open(token)
	if ok {
		var id string
		shopID, id, ok = strings.Cut(payload, ".")
		orderID, err = strconv.ParseInt(id, 10, 64)
		ok = ok && err == nil && orderID > 0
	}
	if !ok {
		return "", 0, Errorf(ErrInvalid, "this tracking link is not valid")
	}
	return shopID, orderID, nil
}

// URL is the unsubscribe link for email at the shop, in locale.
func (u Unsubscribes) URL(shopID, email, locale string) string {
	link := u.appURL + "/unsubscribe/" + u.token(shopID+"."+EmailHash(email))
	if locale != "" {
		link += "?l=" + url.QueryEscape(locale)
	}
	return link
}

// Parse checks a token in constant time and returns what it names.
func (u Unsubscribes) Parse(token string) (shopID, emailHash string, err error) {
	invalid := Errorf(ErrInvalid, "this unsubscribe link is not valid")
	payload, ok := u.open(token)
	if !ok {
		return "", "", invalid
	}
	shopID, emailHash, ok = strings.Cut(payload, ".")
	if !ok || shopID == "" || len(emailHash) != 64 {
		return "", "", invalid
	}
	return shopID, emailHash, nil
}
