package carrier_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
)

// FuzzDetect checks what intake relies on for any number a supplier or a
// merchant types: detection is deterministic; it is the same for the number
// as typed and as Waybill stores it (Normalize: upper case, no spaces) — so
// a number keeps its carrier once stored — and, for ASCII, whatever its
// case; Normalize is idempotent; a detected carrier's tracking page is a
// link intake accepts.
func FuzzDetect(f *testing.F) {
	d, err := carrier.New()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range d.PatternCases() {
		for _, n := range append(c.Valid, c.Invalid...) {
			f.Add(n)
		}
	}
	for _, n := range []string{
		"RB123456785ES", "rb 123 456 785 es", "LX123456785CN", "RR123456785XX", // S10: Correos, China Post, no such country
		"1Z999AA10123456784", "1z 999 aa1 01 2345 6784", "1Z999AA10123456785", // UPS, spaced, bad check digit
		"794600000000", "7946 0000 0000", "9400111899223100000000", "YT2300012345678901",
		" \t1Z999AA10123456784\n", "1Z999AA1\u00a00123456784", "", "-", "ABC",
	} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, number string) {
		res := d.Detect(number)
		if again := d.Detect(number); !reflect.DeepEqual(res, again) {
			t.Fatalf("Detect(%q) twice: %s, then %s", number, summary(res), summary(again))
		}
		n := carrier.Normalize(number)
		if res.Number != n || carrier.Normalize(n) != n {
			t.Fatalf("Detect(%q).Number = %q, Normalize = %q, again %q", number, res.Number, n, carrier.Normalize(n))
		}
		if stored := d.Detect(n); summary(stored) != summary(res) {
			t.Fatalf("%q as typed: %s; as stored (%q): %s", number, summary(res), n, summary(stored))
		}
		if isASCII(number) {
			if lower := d.Detect(strings.ToLower(number)); summary(lower) != summary(res) {
				t.Fatalf("%q: %s; in lower case: %s", number, summary(res), summary(lower))
			}
		}
		if res.Carrier != nil {
			if res.Carrier.Name == "" {
				t.Fatalf("%q: a carrier without a name", number)
			}
			if u := res.Carrier.TrackingURL(n); !app.ValidTrackingURL(u) {
				t.Fatalf("%q: %s's tracking page %q is not a link intake accepts", number, res.Carrier.Name, u)
			}
		}
		if res.Carrier != nil && res.Ambiguous() || res.Carrier == nil && len(res.Candidates) == 1 {
			t.Fatalf("%q: carrier and candidates disagree: %s", number, summary(res))
		}
		if len(res.Candidates) > 0 && len(res.CheckDigitFails) > 0 {
			t.Fatalf("%q: recognised and reported as a typo: %s", number, summary(res))
		}
	})
}

// summary is what a merchant sees of a detection.
func summary(r carrier.Result) string {
	var b strings.Builder
	if r.Carrier != nil {
		fmt.Fprintf(&b, "carrier %s (%s)", r.Carrier.Name, r.Carrier.TrackingURL("N"))
	} else {
		b.WriteString("no carrier")
	}
	for _, c := range r.Candidates {
		fmt.Fprintf(&b, "; candidate %s %s %d", c.Carrier.Name, c.Pattern, c.Strength)
	}
	for _, c := range r.CheckDigitFails {
		fmt.Fprintf(&b, "; check digit fails for %s", c.Name)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
