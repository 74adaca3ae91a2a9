package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// amplifier is the report's template: 143 characters that rendered 128 MB
// (nested printf of a million-digit number, then %s%s%s… of it).
const amplifier = `{{$a := printf "%01000000d" 0}}{{$b := printf "%s%s%s%s%s%s%s%s" $a $a $a $a $a $a $a $a}}` +
	`{{printf "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s" $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b}}`

func overrideIn(locale string, e app.NotificationEvent, o app.TemplateOverride) app.NotificationSettings {
	return app.NotificationSettings{Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{locale: {e: o}}}
}

// Merchant templates are text and the documented placeholders: nothing
// that calls, loops, binds or includes. Refused at save (ValidateSettings)
// and at render (Render), naming the field and what is not allowed.
func TestMerchantTemplatesAreTextAndPlaceholdersOnly(t *testing.T) {
	r := renderer(t)
	if len(amplifier) > email.MaxTemplateLength {
		t.Fatalf("the amplifier is %d characters: it must fit the length limit to test the right thing", len(amplifier))
	}
	for _, ok := range []string{"Hola {{.CustomerFirstName}}", "{{.OrderName}} · {{.ShopName}} · {{.Carrier}} {{.TrackingNumber}}",
		"{{- .OrderName -}} sin espacios", "Solo texto, con {llaves} sueltas", "{{/* un comentario */}}Hola"} {
		if err := email.CheckTemplate(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	refused := []struct{ src, says string }{
		{amplifier, "variables"},
		{`{{printf "%01000000d" 0}}`, "functions (printf)"},
		{`{{.OrderName | printf "%s%s"}}`, "pipelines"},
		{`{{len .Items}}`, "functions (len)"},
		{`{{$x := .OrderName}}{{$x}}`, "variables"},
		{`{{range .Items}}{{.Title}}{{end}}`, "{{range}}"},
		{`{{with .OrderName}}{{.}}{{end}}`, "{{with}}"},
		{`{{if .CustomerFirstName}}Hola{{end}}`, "{{if}}"},
		{`{{define "x"}}a{{end}}{{template "x"}}`, "{{define}}"},
		{`{{template "override"}}`, "{{template}}"},
		{`{{block "b" .}}{{.OrderName}}{{end}}`, "{{define}} and {{block}}"},
		{`{{.ShopEmail}}`, "the field .ShopEmail"},
		{`{{.Brand.LogoURL}}`, "the field .Brand.LogoURL"},
		{`{{.}}`, "{{.}}"},
		{`{{.OrderName "x"}}`, "arguments"},
		{`{{.OrderName`, "does not parse"},
		{strings.Repeat("a", email.MaxTemplateLength+1), "longer than 1,000 characters"},
	}
	for _, c := range refused {
		for _, field := range []string{"subject", "intro"} {
			o := app.TemplateOverride{Subject: c.src}
			if field == "intro" {
				o = app.TemplateOverride{Intro: c.src}
			}
			start := time.Now()
			err := r.ValidateSettings(overrideIn("es", app.NotifyShipped, o))
			msg := app.ErrorMessageOf(err)
			placeholders := strings.Contains(msg, "{{.OrderName}}, {{.CustomerFirstName}}, {{.ShopName}}, {{.Carrier}}, {{.TrackingNumber}}")
			if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(msg, "templates.es.shipped."+field+": ") || !strings.Contains(msg, c.says) ||
				!placeholders && !strings.Contains(c.says, "longer") {
				t.Errorf("save %s %.40q: %v; want templates.es.shipped.%s naming %q and the placeholders", field, c.src, err, field, c.says)
			}
			// Render refuses what save refuses: a template stored before
			// these rules (or by other means) never runs.
			_, err = r.Render(email.Sample(app.NotifyShipped, "es"), &o)
			if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), "templates.es.shipped."+field+": ") {
				t.Errorf("render %s %.40q: %v", field, c.src, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("%.40q took %v to refuse", c.src, d)
			}
		}
	}
}

// Defence in depth: what an allowed template renders to is capped, and so is
// the whole email, whatever the data (a webhook's "first name" of megabytes).
func TestRenderedOutputIsCapped(t *testing.T) {
	r := renderer(t)
	m := email.Sample(app.NotifyShipped, "en")
	m.CustomerFirstName = strings.Repeat("x", 1<<20)
	o := &app.TemplateOverride{Intro: strings.Repeat("{{.CustomerFirstName}}", 40)} // 880 characters, 40 MB rendered
	_, err := r.Render(m, o)
	if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), "templates.en.shipped.intro: renders to more than") {
		t.Fatalf("a 40 MB introduction: %v", err)
	}
	m.CustomerFirstName = strings.Repeat("x", 3<<20) // in the greeting of every email
	if _, err := r.Render(m, nil); app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), "renders to more than") {
		t.Fatalf("a 3 MB greeting: %v", err)
	}
}
