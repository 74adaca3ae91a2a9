// Package phone reads the phone numbers of orders and customers as E.164,
// with Google's libphonenumber rules (nyaruka/phonenumbers), never a regex:
// a Spanish "612 34 56 78" on an order shipped to Spain is +34612345678, a
// Mexican "55 1234 5678" shipped to Mexico +525512345678.
package phone

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Normalize reads raw as a phone number of country (ISO 3166-1 alpha-2,
// the shipping country; a number written with its "+" prefix needs none)
// and returns it as E.164, or ok false when it is not a valid number.
func Normalize(raw, country string) (e164 string, ok bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 40 {
		return "", false
	}
	region := strings.ToUpper(strings.TrimSpace(country))
	if strings.HasPrefix(raw, "00") {
		raw = "+" + raw[2:]
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// Mobile reports whether e164 can be a mobile phone (texts go to mobiles;
// where a country's numbers do not say, as in the US, it can).
func Mobile(e164 string) bool {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return false
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	}
	return false
}

// Mask shows a number to the merchant without giving it away: the country
// code and the last three digits ("+34 ••• 678").
func Mask(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil || len(e164) < 7 {
		return "•••"
	}
	return "+" + strconv.Itoa(int(n.GetCountryCode())) + " ••• " + e164[len(e164)-3:]
}

// WaMeDigits is the number as wa.me links take it: digits only, no "+".
func WaMeDigits(e164 string) string {
	return strings.TrimPrefix(e164, "+")
}

// WhatsAppNumbers are the E.164 numbers a WhatsApp id (wa_id, digits) can
// stand for: WhatsApp keeps some countries' older mobile formats, so a
// Mexican customer writes from 521… though the number is +52…, and a
// Brazilian one may lack the ninth digit. Only valid numbers are returned,
// the id's own first.
func WhatsAppNumbers(waID string) []string {
	digits := strings.TrimPrefix(strings.TrimSpace(waID), "+")
	candidates := []string{"+" + digits}
	switch {
	case strings.HasPrefix(digits, "521") && len(digits) == 13:
		candidates = append(candidates, "+52"+digits[3:])
	case strings.HasPrefix(digits, "55") && len(digits) == 12:
		candidates = append(candidates, "+55"+digits[2:4]+"9"+digits[4:])
	}
	var out []string
	for _, c := range candidates {
		if e164, ok := Normalize(c, ""); ok && !slices.Contains(out, e164) {
			out = append(out, e164)
		}
	}
	return out
}
