package carrier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app/carrier"
)

func detector(t *testing.T) *carrier.Detector {
	d, err := carrier.New()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every valid test number of every pattern (the data's and Waybill's) matches
// its pattern with its check digit, and every invalid one does not.
func TestDataTestNumbers(t *testing.T) {
	d := detector(t)
	cases := d.PatternCases()
	if len(cases) < 30 {
		t.Fatalf("only %d patterns loaded", len(cases))
	}
	total := 0
	for _, c := range cases {
		if len(c.Valid) == 0 {
			t.Errorf("pattern %s has no valid test numbers", c.ID)
		}
		for _, n := range c.Valid {
			total++
			if !c.Matches(strings.ToUpper(n)) {
				t.Errorf("%s: valid number %q not recognised", c.ID, n)
			}
		}
		for _, n := range c.Invalid {
			total++
			if c.Matches(strings.ToUpper(n)) {
				t.Errorf("%s: invalid number %q accepted", c.ID, n)
			}
		}
	}
	t.Logf("%d test numbers across %d patterns", total, len(cases))
}

// At the detector, a valid number gets its carrier, or is reported ambiguous
// with its carrier among the candidates; never another carrier alone.
func TestDetectTestNumbers(t *testing.T) {
	d := detector(t)
	for _, c := range d.PatternCases() {
		for _, n := range c.Valid {
			want := c.Carrier(strings.ToUpper(n))
			res := d.Detect(n)
			if res.Carrier != nil {
				if res.Carrier.Name != want {
					// A stronger (checksum-verified) match of another carrier
					// outranks a format-only one; only acceptable for additions.
					t.Errorf("%s %q: detected %s, want %s", c.ID, n, res.Carrier.Name, want)
				}
				continue
			}
			found := false
			for _, m := range res.Candidates {
				found = found || m.Carrier.Name == want
			}
			if !found {
				t.Errorf("%s %q: no carrier and %s not among %v", c.ID, n, want, res.Candidates)
			}
		}
	}
}

func TestDetectForDropshippingAndSpanishMarkets(t *testing.T) {
	d := detector(t)
	cases := map[string]struct{ name, url string }{
		"RB123456785ES":           {"Correos", "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=RB123456785ES"},
		"RB123456785MX":           {"Correos de México", "https://t.17track.net/en#nums=RB123456785MX"},
		"LX123456785CN":           {"China Post", "https://t.17track.net/en#nums=LX123456785CN"},
		"rb 123 456 785 gb":       {"Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/RB123456785GB"},
		"RB123456785AR":           {"Correo Argentino", ""},
		"YT2300012345678901":      {"YunExpress", "https://www.yuntrack.com/parcelTracking?id=YT2300012345678901"},
		"LP00512345678901":        {"Cainiao", ""},
		"4PX3001234567890CN":      {"4PX", ""},
		"UG123456789YW":           {"Yanwen", ""},
		"1Z5R89390357567127":      {"UPS", "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z5R89390357567127"},
		"PQ4F6P0700712380108001H": {"Correos", ""},
	}
	for n, want := range cases {
		res := d.Detect(n)
		if res.Carrier == nil || res.Carrier.Name != want.name {
			t.Errorf("%q: %+v, want %s", n, res, want.name)
			continue
		}
		if want.url != "" && res.Carrier.TrackingURL(res.Number) != want.url {
			t.Errorf("%q: url %s, want %s", n, res.Carrier.TrackingURL(res.Number), want.url)
		}
	}
	if res := d.Detect("RB123456786ES"); res.Carrier != nil {
		t.Errorf("a wrong S10 check digit was accepted as %s", res.Carrier.Name)
	}
	if res := d.Detect("RB123456785XX"); res.Carrier != nil {
		t.Errorf("an S10 number from no UPU country was accepted as %s", res.Carrier.Name)
	}
	if res := d.Detect("hello"); res.Carrier != nil || len(res.Candidates) != 0 {
		t.Errorf("nonsense detected: %+v", res)
	}
}

// Two carriers matching equally: no guess, both offered.
func TestAmbiguousNumbersAreNotGuessed(t *testing.T) {
	d := detector(t)
	ambiguous := 0
	for _, n := range []string{"123456789012345", "000000000000000", "099800000200330"} {
		res := d.Detect(n)
		if len(res.Candidates) > 1 {
			names := map[string]bool{}
			for _, c := range res.Candidates {
				names[c.Carrier.Name] = true
			}
			if len(names) > 1 {
				ambiguous++
				if res.Carrier != nil || !res.Ambiguous() {
					t.Errorf("%q matches %v but a carrier was chosen", n, res.Candidates)
				}
			}
		}
	}
	// Find one by search, so the test does not depend on a hand-picked number.
	for i := 0; ambiguous == 0 && i < 100000; i++ {
		n := fmt.Sprintf("%015d", i)
		res := d.Detect(n)
		if res.Ambiguous() {
			ambiguous++
			if res.Carrier != nil {
				t.Fatalf("%q ambiguous but carrier %s chosen", n, res.Carrier.Name)
			}
		}
	}
	if ambiguous == 0 {
		t.Fatal("no ambiguous number found to check the rule on")
	}
}

func TestByName(t *testing.T) {
	d := detector(t)
	for in, want := range map[string]string{
		"ups": "UPS", "Correos España": "Correos", "correos de mexico": "Correos de México", "yun express": "YunExpress",
		"DHL": "DHL Express", "seur": "SEUR", "GLS Spain": "GLS", "4px": "4PX", "AliExpress Standard Shipping": "Cainiao",
		"Andreani": "Andreani", "estafeta": "Estafeta", "China Post": "China Post",
	} {
		c, ok := d.ByName(in)
		if !ok || c.Name != want {
			t.Errorf("ByName(%q) = %q, %v; want %q", in, c.Name, ok, want)
		}
	}
	c, ok := d.ByName("Transportes Pérez")
	if ok || c.Name != "Transportes Pérez" || c.TrackingURL("X1") != "https://t.17track.net/en#nums=X1" {
		t.Errorf("unknown carrier: %+v %v", c, ok)
	}
}

// Numbers built with S10CheckDigit are ones the detector accepts as postal,
// and a wrong check digit is refused: generator and validator cannot drift.
func TestS10CheckDigitMakesNumbersTheDetectorAccepts(t *testing.T) {
	d := detector(t)
	for _, serial := range []string{"12345678", "47312482", "00000000", "99999999", "10000001"} {
		check, ok := carrier.S10CheckDigit(serial)
		if !ok {
			t.Fatalf("%s: refused", serial)
		}
		good := fmt.Sprintf("RB%s%dES", serial, check)
		if r := d.Detect(good); r.Carrier == nil || r.Carrier.Name == "" {
			t.Errorf("%s: not detected: %+v", good, r)
		}
		bad := fmt.Sprintf("RB%s%dES", serial, (check+1)%10)
		if r := d.Detect(bad); r.Carrier != nil {
			t.Errorf("%s: wrong check digit detected as %s", bad, r.Carrier.Name)
		}
	}
	if c, _ := carrier.S10CheckDigit("12345678"); c != 5 {
		t.Errorf("UPU S10 example 12345678: check %d, want 5", c)
	}
	for _, bad := range []string{"1234567", "123456789", "1234567X"} {
		if _, ok := carrier.S10CheckDigit(bad); ok {
			t.Errorf("%q accepted as an S10 serial", bad)
		}
	}
}

// A number with a carrier's shape and a wrong check digit is named as
// such (a typo, held for the merchant), unless another format fits it.
func TestCheckDigitFails(t *testing.T) {
	d := detector(t)
	cases := map[string]string{
		"1Z999AA10123456785": "UPS",     // the number: 4 is right
		"RB123456786ES":      "Correos", // 5 is right
		"1Z999AA10123456784": "",        // valid: UPS, nothing fails
		"RB123456785ES":      "",
	}
	for number, want := range cases {
		res := d.Detect(number)
		got := ""
		for _, c := range res.CheckDigitFails {
			got += c.Name
		}
		if got != want {
			t.Errorf("%s: check digit fails for %q, want %q", number, got, want)
		}
		if want != "" && res.Carrier != nil {
			t.Errorf("%s: a wrong check digit still detected %s", number, res.Carrier.Name)
		}
	}
	// 22 digits are an Estafeta waybill (no check digit) as much as a USPS
	// number: a failing USPS check digit is not a typo then.
	if res := d.Detect("9400100000000000000000"); len(res.CheckDigitFails) != 0 || res.Carrier == nil || res.Carrier.Name != "Estafeta" {
		t.Errorf("Estafeta waybill: carrier %v, fails %v", res.Carrier, res.CheckDigitFails)
	}
}
