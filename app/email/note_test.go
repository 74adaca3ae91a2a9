package email_test

import (
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// A resend's note is the merchant's plain text: its own paragraph, escaped
// in the HTML, never run as a template; merchants' templates cannot reach it.
func TestNoteIsItsOwnEscapedParagraph(t *testing.T) {
	r := renderer(t)
	m := email.Sample(app.NotifyDelivered, "es")
	m.Note = `Gracias por tu paciencia <b>x</b> & {{.ShopName}} "citado"`
	out, err := r.Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.HTML, "Un mensaje de Tienda Demo:") ||
		!strings.Contains(out.HTML, "Gracias por tu paciencia &lt;b&gt;x&lt;/b&gt; &amp; {{.ShopName}} &#34;citado&#34;") ||
		strings.Contains(out.HTML, "<b>x</b>") {
		t.Fatalf("html:\n%s", out.HTML)
	}
	if !strings.Contains(out.Text, "Un mensaje de Tienda Demo:\n"+m.Note+"\n") {
		t.Fatalf("text:\n%s", out.Text)
	}
	m.Locale = "en"
	if out, err := r.Render(m, nil); err != nil || !strings.Contains(out.Text, "A note from Tienda Demo:") {
		t.Fatalf("en: %v\n%s", err, out.Text)
	}
	// Without a note, no heading for one.
	m.Note = ""
	if out, err := r.Render(m, nil); err != nil || strings.Contains(out.Text, "A note from") || strings.Contains(out.HTML, "note-from") {
		t.Fatalf("no note: %v", err)
	}
	if err := email.CheckTemplate("{{.Note}}"); err == nil || !strings.Contains(err.Error(), "the field .Note is not allowed") {
		t.Fatalf("a template reaching the note: %v", err)
	}
}
