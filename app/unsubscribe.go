package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
)

// Unsubscribes makes and checks the signed links in every email: no login,
// and the link carries only the shop and a hash of the address.
type Unsubscribes struct {
	key    []byte
	appURL string
}

// NewUnsubscribes derives its key from the app secret (a key of its own, so
// a link's signature says nothing about the secret).
func NewUnsubscribes(appSecret, appURL string) Unsubscribes {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte("waybill unsubscribe links v1"))
	return Unsubscribes{key: mac.Sum(nil), appURL: strings.TrimSuffix(appURL, "/")}
}

func (u Unsubscribes) sign(payload string) string {
	mac := hmac.New(sha256.New, u.key)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// URL is the unsubscribe link for email at the shop, in locale.
func (u Unsubscribes) URL(shopID, email, locale string) string {
	payload := shopID + "." + EmailHash(email)
	token := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + u.sign(payload)
	link := u.appURL + "/unsubscribe/" + token
	if locale != "" {
		link += "?l=" + url.QueryEscape(locale)
	}
	return link
}

// Parse checks a token in constant time and returns what it names.
func (u Unsubscribes) Parse(token string) (shopID, emailHash string, err error) {
	invalid := Errorf(ErrInvalid, "this unsubscribe link is not valid")
	encoded, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", invalid
	}
	if !hmac.Equal([]byte(sig), []byte(u.sign(string(raw)))) {
		return "", "", invalid
	}
	shopID, emailHash, ok = strings.Cut(string(raw), ".")
	if !ok || shopID == "" || len(emailHash) != 64 {
		return "", "", invalid
	}
	return shopID, emailHash, nil
}
