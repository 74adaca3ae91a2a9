package phone

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ raw, country, want string }{
		{"612 34 56 78", "ES", "+34612345678"},
		{"+34 612-34-56-78", "", "+34612345678"},
		{"0034612345678", "MX", "+34612345678"},
		{"55 1234 5678", "MX", "+525512345678"},
		{"(212) 555-0123", "US", "+12125550123"},
		{"123", "ES", ""},
		{"(415) 555-2671", "US", "+14155552671"},
		{"011 15 2345-6789", "AR", "+5491123456789"},
		{"hola", "ES", ""},
		{"612345678", "", ""}, // no country, no "+": cannot tell
		{"", "ES", ""},
	}
	for _, c := range cases {
		got, ok := Normalize(c.raw, c.country)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", c.raw, c.country, got, ok, c.want)
		}
	}
}

func TestMobileAndMask(t *testing.T) {
	if !Mobile("+34612345678") {
		t.Error("a Spanish 6xx number is a mobile")
	}
	if Mobile("+34912345678") {
		t.Error("a Spanish 91x number is a landline")
	}
	if got := Mask("+34612345678"); got != "+34 ••• 678" {
		t.Errorf("Mask = %q", got)
	}
	if got := WaMeDigits("+34612345678"); got != "34612345678" {
		t.Errorf("WaMeDigits = %q", got)
	}
}

func TestWhatsAppNumbers(t *testing.T) {
	cases := map[string][]string{
		"34612345678":   {"+34612345678"},
		"5215512345678": {"+525512345678"}, // Mexico: WhatsApp's 521 is +52
		"5491123456789": {"+5491123456789"},
		"551198765432":  {"+5511998765432"}, // Brazil without the ninth digit
		"123":           nil,
	}
	for id, want := range cases {
		got := WhatsAppNumbers(id)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("WhatsAppNumbers(%s) = %v, want %v", id, got, want)
		}
	}
}
