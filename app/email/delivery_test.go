package email_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Madrid and America/Mexico_City wherever the tests run

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return &t
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestFormatDelivery(t *testing.T) {
	madrid := zone(t, "Europe/Madrid")
	lateETA := time.Date(2026, 12, 12, 23, 30, 0, 0, time.UTC)
	cases := []struct {
		name, locale  string
		loc           *time.Location
		eta, from, to *time.Time
		want          string
	}{
		{"nothing", "es", nil, nil, nil, nil, ""},
		{"range in one month", "es", nil, nil, day(2025, 12, 12), day(2025, 12, 19), "12–19 de diciembre"},
		{"range in one month", "en", nil, nil, day(2025, 12, 12), day(2025, 12, 19), "December 12–19"},
		{"across months", "es", nil, nil, day(2026, 11, 29), day(2026, 12, 5), "29 de noviembre – 5 de diciembre"},
		{"across months", "en", nil, nil, day(2026, 11, 29), day(2026, 12, 5), "November 29 – December 5"},
		{"across years", "es", nil, nil, day(2026, 12, 29), day(2027, 1, 5), "29 de diciembre de 2026 – 5 de enero de 2027"},
		{"across years", "en", nil, nil, day(2026, 12, 29), day(2027, 1, 5), "December 29, 2026 – January 5, 2027"},
		{"single ETA", "es", nil, day(2025, 12, 12), nil, nil, "viernes, 12 de diciembre"},
		{"single ETA", "en", nil, day(2025, 12, 12), nil, nil, "Friday, December 12"},
		{"single ETA, a regional locale", "es-MX", nil, day(2025, 12, 12), nil, nil, "viernes, 12 de diciembre"},
		{"ETA beats the window", "es", nil, day(2025, 12, 15), day(2025, 12, 12), day(2025, 12, 19), "lunes, 15 de diciembre"},
		{"ETA beats the window", "en", nil, day(2025, 12, 15), day(2025, 12, 12), day(2025, 12, 19), "Monday, December 15"},
		{"a window of one day", "es", nil, nil, day(2025, 12, 12), day(2025, 12, 12), "viernes, 12 de diciembre"},
		{"a window with one end", "en", nil, nil, nil, day(2025, 12, 19), "Friday, December 19"},
		{"ends the wrong way round", "en", nil, nil, day(2025, 12, 19), day(2025, 12, 12), "December 12–19"},
		{"the time zone moves the date", "es", madrid, &lateETA, nil, nil, "domingo, 13 de diciembre"},
		{"the same instant in UTC", "es", nil, &lateETA, nil, nil, "sábado, 12 de diciembre"},
		{"the time zone moves the window", "en", madrid, nil, &lateETA, day(2026, 12, 19), "December 13–19"},
		{"no table: English", "fr", nil, day(2025, 12, 12), nil, nil, "Friday, December 12"},
	}
	for _, c := range cases {
		if got := email.FormatDelivery(c.locale, c.loc, c.eta, c.from, c.to); got != c.want {
			t.Errorf("%s (%s): %q, want %q", c.name, c.locale, got, c.want)
		}
	}
}

// The three statuses that had no words: each email says, in the customer's
// language, what happened and what to do, with no catalogue key left over.
func TestNewEventsInSpanishAndEnglish(t *testing.T) {
	r := renderer(t)
	cases := []struct {
		event          app.NotificationEvent
		locale         string
		subject, intro string
	}{
		{app.NotifyAttemptedDelivery, "es", "Intentamos entregar tu pedido #1001",
			"El transportista intentó entregar el paquete de tu pedido #1001, pero no pudo. Revisa el aviso que te dejó o usa el enlace de seguimiento para acordar una nueva entrega o recogerlo."},
		{app.NotifyAttemptedDelivery, "en", "We tried to deliver your order #1001",
			"The carrier tried to deliver your package from order #1001 but could not. Check the notice they left, or follow the tracking link, to arrange a new delivery or collect it."},
		{app.NotifyReadyForPickup, "es", "Tu pedido #1001 está listo para recoger",
			"El paquete de tu pedido #1001 te espera en un punto de recogida. En el enlace de seguimiento tienes la dirección y el horario: recógelo pronto, antes de que lo devuelvan al remitente."},
		{app.NotifyReadyForPickup, "en", "Your order #1001 is ready for pickup",
			"Your package from order #1001 is waiting for you at a pickup point. The tracking link has the address and opening hours: collect it soon, before it is returned to the sender."},
		{app.NotifyDelayed, "es", "Tu pedido #1001 está tardando más de lo previsto",
			"El paquete de tu pedido #1001 está tardando más de lo previsto en llegar. Lo estamos vigilando y te avisaremos en cuanto avance. No tienes que hacer nada."},
		{app.NotifyDelayed, "en", "Your order #1001 is taking longer than expected",
			"Your package from order #1001 is taking longer than expected to arrive. We are keeping an eye on it and will let you know as soon as it moves. You don&#39;t need to do anything."},
	}
	for _, c := range cases {
		out, err := r.Render(email.Sample(c.event, c.locale), nil)
		if err != nil {
			t.Fatalf("%s %s: %v", c.event, c.locale, err)
		}
		if out.Subject != c.subject {
			t.Errorf("%s %s: subject %q, want %q", c.event, c.locale, out.Subject, c.subject)
		}
		if !strings.Contains(out.HTML, c.intro) {
			t.Errorf("%s %s: the HTML lacks the introduction %q", c.event, c.locale, c.intro)
		}
		if !strings.Contains(out.Text, strings.ReplaceAll(c.intro, "&#39;", "'")) {
			t.Errorf("%s %s: the text lacks the introduction", c.event, c.locale)
		}
		for _, part := range []string{out.Subject, out.HTML, out.Text} {
			for _, key := range []string{string(c.event) + ".", "track.", "digest.", "estimated_delivery"} {
				if strings.Contains(part, key) {
					t.Errorf("%s %s: a catalogue key (%s…) is left in the email", c.event, c.locale, key)
				}
			}
		}
		if c.locale == "es" {
			for _, english := range []string{"Your ", "package", "Carrier", "Tracking number", "Estimated"} {
				if strings.Contains(out.HTML, english) || strings.Contains(out.Text, english) {
					t.Errorf("%s es: English %q in the Spanish email", c.event, english)
				}
			}
		}
	}
}

// The estimate shows on the emails about a parcel on its way (the
// carrier's date replacing the merchant's window), in the shop's time zone,
// and not on the others.
func TestEmailsSayWhenTheParcelShouldArrive(t *testing.T) {
	r := renderer(t)
	render := func(m email.Message) email.Rendered {
		t.Helper()
		out, err := r.Render(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, c := range []struct {
		event  app.NotificationEvent
		locale string
		want   string
	}{
		{app.NotifyShipped, "es", "Entrega estimada: 12–19 de diciembre"},
		{app.NotifyShipped, "en", "Estimated delivery: December 12–19"},
		{app.NotifyTrackingUpdated, "es", "Entrega estimada: 12–19 de diciembre"},
		{app.NotifyDelayed, "en", "Estimated delivery: December 12–19"},
	} {
		out := render(email.Sample(c.event, c.locale))
		label, date, _ := strings.Cut(c.want, ": ")
		if !strings.Contains(out.Text, c.want) || !strings.Contains(out.HTML, label+": <strong>"+date+"</strong>") {
			t.Errorf("%s %s lacks %q:\n%s", c.event, c.locale, c.want, out.Text)
		}
	}
	m := email.Sample(app.NotifyShipped, "es")
	eta := time.Date(2026, 12, 12, 23, 30, 0, 0, time.UTC)
	m.EstimatedDelivery, m.Location = &eta, zone(t, "Europe/Madrid")
	if out := render(m); !strings.Contains(out.Text, "Entrega estimada: domingo, 13 de diciembre") || strings.Contains(out.Text, "12–19") {
		t.Errorf("the carrier's estimate in Madrid:\n%s", out.Text)
	}
	for _, ev := range []app.NotificationEvent{app.NotifyDelivered, app.NotifyOutForDelivery, app.NotifyAttemptedDelivery, app.NotifyReadyForPickup} {
		if out := render(email.Sample(ev, "es")); strings.Contains(out.Text, "Entrega estimada") || strings.Contains(out.HTML, "Entrega estimada") {
			t.Errorf("%s shows an estimate", ev)
		}
	}
	m = email.Sample(app.NotifyShipped, "en")
	m.DeliveryFrom, m.DeliveryTo = nil, nil
	if out := render(m); strings.Contains(out.Text, "Estimated delivery") || strings.Contains(out.HTML, "Estimated delivery") {
		t.Error("an email without an estimate shows the label")
	}
	// A merchant's introduction may say it too.
	out, err := r.Render(email.Sample(app.NotifyShipped, "es"), &app.TemplateOverride{Intro: "Llegará entre el {{.EstimatedDeliveryText}}."})
	if err != nil || !strings.Contains(out.Text, "Llegará entre el 12–19 de diciembre.") {
		t.Errorf("{{.EstimatedDeliveryText}} in an override: %v\n%s", err, out.Text)
	}
}

// New events are covered wherever events are listed: a merchant's
// override of one is checked at save and used at render.
func TestNewEventsTakeOverrides(t *testing.T) {
	r := renderer(t)
	for _, ev := range []app.NotificationEvent{app.NotifyAttemptedDelivery, app.NotifyReadyForPickup, app.NotifyDelayed} {
		o := app.TemplateOverride{Subject: "{{.OrderName}}: {{.ShopName}} te avisa"}
		if err := r.ValidateSettings(overrideIn("es", ev, o)); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
		out, err := r.Render(email.Sample(ev, "es"), &o)
		if err != nil || out.Subject != "#1001: Tienda Demo te avisa" {
			t.Errorf("%s: %q %v", ev, out.Subject, err)
		}
		bad := app.TemplateOverride{Intro: "{{.Password}}"}
		if err := r.ValidateSettings(overrideIn("en", ev, bad)); app.ErrorCodeOf(err) != app.ErrInvalid ||
			!strings.Contains(app.ErrorMessageOf(err), "templates.en."+string(ev)+".intro") {
			t.Errorf("%s: a bad override saved: %v", ev, err)
		}
		if err := r.ValidateSettings(app.NotificationSettings{Disabled: map[app.NotificationEvent]bool{ev: true}}); err != nil {
			t.Errorf("%s cannot be switched off: %v", ev, err)
		}
	}
}

func sampleDigest(locale string, loc *time.Location) email.Digest {
	return email.Digest{Locale: locale, ShopName: "Mi Tienda", Location: loc,
		AdminURL: "https://admin.shopify.com/store/mi-tienda/apps/waybill/shipments?stalled=1",
		Lines: []email.DigestLine{
			{OrderName: "#1001", TrackingNumber: "RB123456785ES", Carrier: "Correos", Reason: app.StallNoEvents,
				StalledAt: *day(2026, 12, 6), LastEventAt: day(2026, 12, 2)},
			{OrderName: "#1002", TrackingNumber: "1Z999AA10123456784", Carrier: "UPS", Reason: app.StallPastEstimate,
				StalledAt: *day(2026, 11, 29), EstimatedDelivery: day(2026, 11, 28)},
			{OrderName: "#1003", TrackingNumber: "LX123456785CN", Carrier: "China Post", Reason: app.StallNoEvents,
				StalledAt: *day(2026, 12, 5)},
		}}
}

func TestDigest(t *testing.T) {
	r := renderer(t)
	cases := []struct {
		locale, subject, heading, button string
		reasons                          []string
	}{
		{"es", "3 envíos retrasados en Mi Tienda", "Envíos retrasados", "Ver envíos retrasados",
			[]string{"sin novedades desde el 2 de diciembre", "pasó la fecha estimada (28 de noviembre)", "aún sin ningún escaneo del transportista"}},
		{"en", "3 delayed parcels in Mi Tienda", "Delayed parcels", "See delayed parcels",
			[]string{"no news since December 2", "past its estimated delivery (November 28)", "no carrier scan yet"}},
	}
	for _, c := range cases {
		out, err := r.RenderDigest(sampleDigest(c.locale, nil))
		if err != nil {
			t.Fatal(err)
		}
		if out.Subject != c.subject || out.Locale != c.locale {
			t.Errorf("%s: subject %q (%s), want %q", c.locale, out.Subject, out.Locale, c.subject)
		}
		for _, want := range append([]string{c.heading, c.button, "#1001", "#1002", "#1003", "RB123456785ES", "1Z999AA10123456784", "China Post"}, c.reasons...) {
			if !strings.Contains(out.HTML, want) || !strings.Contains(out.Text, want) {
				t.Errorf("%s: the digest lacks %q", c.locale, want)
			}
		}
		link := `href="https://admin.shopify.com/store/mi-tienda/apps/waybill/shipments?stalled=1"`
		if !strings.Contains(out.HTML, link) || !strings.Contains(out.Text, "https://admin.shopify.com/store/mi-tienda/apps/waybill/shipments?stalled=1") {
			t.Errorf("%s: no button to the admin's stalled list", c.locale)
		}
		if !strings.Contains(out.HTML, `<td class="order" style="`) {
			t.Errorf("%s: CSS not inlined", c.locale)
		}
		for _, key := range []string{"digest.", "{{"} {
			if strings.Contains(out.HTML+out.Text+out.Subject, key) {
				t.Errorf("%s: %q left in the digest", c.locale, key)
			}
		}
		golden(t, "testdata/digest."+c.locale+".html", out.HTML)
		golden(t, "testdata/digest."+c.locale+".txt", "Subject: "+out.Subject+"\n\n"+out.Text)
	}

	// One parcel: singular. A regional locale falls back to its language.
	d := sampleDigest("es-MX", nil)
	d.Lines = d.Lines[:1]
	if out, err := r.RenderDigest(d); err != nil || out.Subject != "1 envío retrasado en Mi Tienda" {
		t.Errorf("one parcel: %q %v", out.Subject, err)
	}
	d.Locale = "en"
	if out, err := r.RenderDigest(d); err != nil || out.Subject != "1 delayed parcel in Mi Tienda" {
		t.Errorf("one parcel: %q %v", out.Subject, err)
	}
	// Dates on the shop's calendar: news at 23:30 UTC on 2 December was on
	// the 3rd in Madrid.
	d = sampleDigest("es", zone(t, "Europe/Madrid"))
	late := time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC)
	d.Lines[0].LastEventAt = &late
	if out, err := r.RenderDigest(d); err != nil || !strings.Contains(out.Text, "sin novedades desde el 3 de diciembre") {
		t.Errorf("time zone: %v\n%s", err, out.Text)
	}
	// A link that is not http(s) makes no button; no lines, no digest.
	d = sampleDigest("en", nil)
	d.AdminURL = "javascript:alert(1)"
	if out, err := r.RenderDigest(d); err != nil || strings.Contains(out.HTML, "javascript:") || strings.Contains(out.HTML, "See delayed parcels") {
		t.Errorf("a javascript: admin link: %v", err)
	}
	d.Lines = nil
	if _, err := r.RenderDigest(d); app.ErrorCodeOf(err) != app.ErrInvalid {
		t.Errorf("an empty digest: %v", err)
	}
	// Many parcels: the subject counts all, the list stops and says how many more.
	d = sampleDigest("es", nil)
	for len(d.Lines) < 130 {
		d.Lines = append(d.Lines, d.Lines[0])
	}
	if out, err := r.RenderDigest(d); err != nil || out.Subject != "130 envíos retrasados en Mi Tienda" || !strings.Contains(out.Text, "…y 30 más en el panel.") {
		t.Errorf("130 parcels: %q %v", out.Subject, err)
	}
}
