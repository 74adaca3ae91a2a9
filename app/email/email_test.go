package email_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func renderer(t *testing.T) *email.Renderer {
	r, err := email.New()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var branded = app.Branding{LogoURL: "https://cdn.tienda.example/logo.png", AccentColor: "#0a7c59", SenderName: "Tienda Demo",
	ReplyTo: "hola@tienda.example", FooterText: "Tienda Demo · Calle Mayor 1, Madrid"}

// Golden files: every event that is sent today, in es and en, with and
// without branding, HTML and text. Run with -update after an intended change
// and read the diff.
func TestGoldenEmails(t *testing.T) {
	r := renderer(t)
	for _, ev := range app.NotificationEvents {
		for _, locale := range []string{"es", "en"} {
			for name, brand := range map[string]app.Branding{"default": {}, "branded": branded} {
				m := email.Sample(ev, locale)
				m.Brand = brand
				out, err := r.Render(m, nil)
				if err != nil {
					t.Fatal(err)
				}
				base := filepath.Join("testdata", string(ev)+"."+locale+"."+name)
				golden(t, base+".html", out.HTML)
				golden(t, base+".txt", "Subject: "+out.Subject+"\n\n"+out.Text)
			}
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test ./app/email -update)", path, err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update and review the diff)", path)
	}
}

func TestSpanishIsCompleteAndSaysWhatShipped(t *testing.T) {
	r := renderer(t)
	out, err := r.Render(email.Sample(app.NotifyShipped, "es"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Tu pedido #1001 está en camino", "Hola, Lucía:", "Taza de cerámica", "× 2", "Correos", "RB123456785ES",
		"Seguir mi paquete", "hola@tienda.example", "Dejar de recibir avisos de envío"} {
		if !strings.Contains(out.HTML, want) && !strings.Contains(out.Subject, want) {
			t.Errorf("Spanish email lacks %q", want)
		}
		if want != "Tu pedido #1001 está en camino" && !strings.Contains(out.Text, want) {
			t.Errorf("Spanish text part lacks %q", want)
		}
	}
	if !strings.Contains(out.HTML, `style="`) || strings.Contains(out.HTML, ".button {") && !strings.Contains(out.HTML, "display:inline-block") {
		t.Error("CSS was not inlined")
	}
	// Every locale file has every key (New refuses otherwise): es and en exist.
	if got := strings.Join(r.Locales(), ","); got != "en,es" {
		t.Fatalf("locales = %s", got)
	}
}

func TestLocaleFallback(t *testing.T) {
	r := renderer(t)
	cases := []struct{ customer, shop, want string }{
		{"es-MX", "en", "es"}, {"es", "", "es"}, {"pt-BR", "es", "es"}, {"fr", "de", "en"}, {"", "", "en"}, {"EN-gb", "es", "en"},
	}
	for _, c := range cases {
		if got := r.Locale(c.customer, c.shop); got != c.want {
			t.Errorf("Locale(%q, %q) = %q, want %q", c.customer, c.shop, got, c.want)
		}
	}
}

func TestOverridesAndSettingsValidation(t *testing.T) {
	r := renderer(t)
	m := email.Sample(app.NotifyShipped, "es")
	out, err := r.Render(m, &app.TemplateOverride{Subject: "¡{{.CustomerFirstName}}, {{.OrderName}} ya salió!", Intro: "Gracias por comprar en {{.ShopName}}."})
	if err != nil || out.Subject != "¡Lucía, #1001 ya salió!" || !strings.Contains(out.Text, "Gracias por comprar en Tienda Demo.") {
		t.Fatalf("override: %q %v", out.Subject, err)
	}
	good := app.NotificationSettings{Branding: branded, PrimaryLocale: "es",
		Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{"es": {app.NotifyShipped: {Subject: "{{.OrderName}} enviado"}}}}
	if err := r.ValidateSettings(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string]app.NotificationSettings{
		"does not parse":  {Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{"es": {app.NotifyShipped: {Subject: "{{.OrderName"}}}},
		"unknown field":   {Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{"en": {app.NotifyShipped: {Intro: "{{.Password}}"}}}},
		"unknown locale":  {Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{"xx": {app.NotifyShipped: {Subject: "hi"}}}},
		"accent_color":    {Branding: app.Branding{AccentColor: "red; background:url(x)"}},
		"logo_url":        {Branding: app.Branding{LogoURL: "javascript:alert(1)"}},
		"reply_to":        {Branding: app.Branding{ReplyTo: "not an address"}},
		"sender_name":     {Branding: app.Branding{SenderName: "Evil\r\nBcc: x@y"}},
		"primary_locale":  {PrimaryLocale: "klingon"},
		"disabled_events": {Disabled: map[app.NotificationEvent]bool{"teleported": true}},
	}
	for name, s := range bad {
		err := r.ValidateSettings(s)
		if app.ErrorCodeOf(err) != app.ErrInvalid {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}
