package smtp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/smtp"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
)

func spanishEmail(t *testing.T, to string) app.Email {
	r, err := email.New()
	if err != nil {
		t.Fatal(err)
	}
	m := email.Sample(app.NotifyShipped, "es")
	m.UnsubscribeURL = "https://waybill.example.com/unsubscribe/tok?l=es"
	out, err := r.Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return app.Email{FromName: "Tienda Demo", To: to, ReplyTo: "hola@tienda.example", Subject: out.Subject, HTML: out.HTML, Text: out.Text,
		UnsubscribeURL: m.UnsubscribeURL, Locale: "es"}
}

func TestSMTPRoundTrip(t *testing.T) {
	pit := mailpittest.Start(t, `@example\.com$`)
	mailer, err := smtp.New(pit.URL(), "https://waybill.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(context.Background(), spanishEmail(t, "lucia@example.com")); err != nil {
		t.Fatal(err)
	}
	got := pit.Wait(1, 0)
	m := pit.Read(got[0].ID)
	if m.Subject != "Tu pedido #1001 está en camino" || got[0].From.Name != "Tienda Demo" || got[0].From.Address != "shipping@waybill.test" ||
		got[0].To[0].Address != "lucia@example.com" {
		t.Fatalf("envelope: %+v", got[0])
	}
	h := func(name string) string { return strings.Join(m.Headers[name], ",") }
	if !strings.Contains(h("Reply-To"), "hola@tienda.example") || h("Content-Language") != "es" ||
		h("List-Unsubscribe") != "<https://waybill.example.com/unsubscribe/tok?l=es>" || h("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers: %v", m.Headers)
	}
	for _, want := range []string{"Hola, Lucía:", "Taza de cerámica × 2", "RB123456785ES", "Seguir mi paquete: https://www.correos.es/"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	if !strings.Contains(m.HTML, `href="https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=RB123456785ES"`) ||
		!strings.Contains(m.HTML, "Seguir mi paquete") {
		t.Error("HTML part lacks the tracking button")
	}
}

func TestSMTPRefusalsAndOutages(t *testing.T) {
	pit := mailpittest.Start(t, `@example\.com$`)
	mailer, err := smtp.New(pit.URL(), "https://waybill.example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = mailer.Send(context.Background(), spanishEmail(t, "someone@refused.test"))
	if app.ErrorCodeOf(err) != app.ErrInvalid {
		t.Fatalf("a 5xx refusal: %v, want a permanent (invalid) error", err)
	}
	down, err := smtp.New("smtp://127.0.0.1:1?tls=none", "https://waybill.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Send(context.Background(), spanishEmail(t, "lucia@example.com")); app.ErrorCodeOf(err) != app.ErrUnavailable {
		t.Fatalf("server down: %v, want unavailable (retry)", err)
	}
	for _, bad := range []string{"http://x", "smtp://host:notaport", "smtp://host?tls=sometimes"} {
		if _, err := smtp.New(bad, ""); err == nil {
			t.Errorf("SMTP_URL %q accepted", bad)
		}
	}
}
