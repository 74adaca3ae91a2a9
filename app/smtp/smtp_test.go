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

// The Message-ID is <MessageID@the app's host>: the same for two sends of one
// email (a repeat after a crash collapses in the customer's mailbox), a new
// one for an email that has none (a test send).
func TestMessageIDIsTheEmailsOwnOrNew(t *testing.T) {
	pit := mailpittest.Start(t, `@example\.com$`)
	mailer, err := smtp.New(pit.URL(), "https://waybill.example.com")
	if err != nil {
		t.Fatal(err)
	}
	e := spanishEmail(t, "lucia@example.com")
	e.MessageID = "0190c1d2-7a3b-7c4d-8e5f-6a7b8c9d0e1f"
	for range 2 {
		if err := mailer.Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	e.MessageID = ""
	for range 2 {
		if err := mailer.Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	got := pit.Wait(4, 0)
	var ids []string
	for i := len(got) - 1; i >= 0; i-- { // oldest first
		ids = append(ids, strings.Join(pit.Read(got[i].ID).Headers["Message-Id"], ","))
	}
	want := "<0190c1d2-7a3b-7c4d-8e5f-6a7b8c9d0e1f@waybill.example.com>"
	if ids[0] != want || ids[1] != want {
		t.Fatalf("the same email's Message-IDs: %q, want %q twice", ids[:2], want)
	}
	if ids[2] == ids[3] || ids[2] == want || !strings.HasSuffix(ids[2], "@waybill.example.com>") || !strings.HasPrefix(ids[2], "<") {
		t.Fatalf("emails without their own Message-ID got %q", ids[2:])
	}
	e.MessageID = "no spaces allowed"
	if err := mailer.Send(context.Background(), e); err == nil {
		t.Fatal("a Message-ID that is not a dot-atom was sent")
	}
}
