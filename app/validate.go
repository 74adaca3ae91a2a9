package app

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The limits every source of a shipment obeys — the supplier API, CSV files,
// manual entry, edits, Shopify's fulfillment webhooks — and the store checks
// again: one rule, wherever a value comes from.
const (
	MaxOrderLength       = 100  // an order name ("#1001")
	MaxCarrierLength     = 100  // a carrier's name
	MaxTrackingURLLength = 2000 // a tracking page's URL
	MaxSKULength         = 255  // a line's SKU
	MaxSearchLength      = 200  // the admin's shipment search (q)
	MaxNameLength        = 100  // a supplier key's or status source's name
)

// TrackingURLProblem says what is wrong with a tracking URL, or "" when it
// may become a link: an absolute http or https URL with a host, of at most
// MaxTrackingURLLength characters. Anything else (javascript:, data:, a
// relative path) would be a link that runs or goes where the carrier's page
// is not.
func TrackingURLProblem(raw string) string {
	if utf8.RuneCountInString(raw) > MaxTrackingURLLength {
		return fmt.Sprintf("tracking_url must be an http(s) URL of at most %d characters", MaxTrackingURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "tracking_url must be an http(s) URL"
	}
	return ""
}

// ValidTrackingURL reports whether raw may become a link (see
// TrackingURLProblem).
func ValidTrackingURL(raw string) bool { return TrackingURLProblem(raw) == "" }

// TextProblem says what is wrong with one line of text a source sent (an
// order name, a carrier, a SKU, a name), or "": it must be UTF-8 without
// control characters (no line breaks, no NUL, which PostgreSQL refuses) and
// at most max characters. field names the value in the sentence.
func TextProblem(field, s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return field + " is not valid UTF-8 text"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return field + " must be one line of text, without control characters"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("%s is longer than %d characters", field, max)
	}
	return ""
}
