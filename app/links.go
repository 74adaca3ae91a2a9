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

// ShortLinks are the links in texts: an SMS segment is 160 characters, and
// the tracking page's own link (~170) would fill two. A short link carries
// the order's id and a 9-byte signature bound to its shop, ~40 characters
// with the app's host, and redirects to the order's tracking page; the
// signature, not the id, is what lets it open.
type ShortLinks struct {
	signer
	appURL string
}

// NewShortLinks makes the short links of an app.
func NewShortLinks(appSecret, appURL string) ShortLinks {
	return ShortLinks{signer: newSigner(appSecret, "short"), appURL: strings.TrimSuffix(appURL, "/")}
}

func (l ShortLinks) mac(shopID string, orderID int64) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(shopID + "." + strconv.FormatInt(orderID, 10)))
	return m.Sum(nil)[:9]
}

// URL is the order's short link: {app}/l/{base36 order id}{signature}.
func (l ShortLinks) URL(shopID string, orderID int64) string {
	return l.appURL + "/l/" + strconv.FormatInt(orderID, 36) + "-" + base64.RawURLEncoding.EncodeToString(l.mac(shopID, orderID))
}

// OrderID reads the order id a short token names (before its shop is known).
func (l ShortLinks) OrderID(token string) (int64, bool) {
	id, _, ok := strings.Cut(token, "-")
	n, err := strconv.ParseInt(id, 36, 64)
	return n, ok && err == nil && n > 0
}

// Valid checks, in constant time, that token was made for the shop's order.
func (l ShortLinks) Valid(token, shopID string, orderID int64) bool {
	_, sig, ok := strings.Cut(token, "-")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return ok && err == nil && hmac.Equal(got, l.mac(shopID, orderID))
}
