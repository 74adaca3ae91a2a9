// Package email renders Waybill's customer emails: HTML (html/template, CSS
// inlined with go-premailer) and a plain-text alternative, branded per shop,
// in the customer's language, and the merchant's daily digest of stalled
// parcels. The words live in locales/*.json, one file a language, so a
// translator adds Portuguese with a file (and its dates with a table in
// dates.go), not code.
package email

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/vanng822/go-premailer/premailer"

	"github.com/waybill-app/waybill/app"
)

//go:embed templates/* locales/*.json
var files embed.FS

// FallbackLocale is used when neither the customer's nor the shop's language
// has a catalogue.
const FallbackLocale = "en"

// DefaultAccent is the button colour when the shop chose none.
const DefaultAccent = "#1f6feb"

// Item is a line of the shipment.
type Item struct {
	Title    string
	Quantity int
}

// Message is what an email says, before it is rendered.
type Message struct {
	Event             app.NotificationEvent
	Locale            string
	ShopName          string
	ShopEmail         string
	CustomerFirstName string
	OrderName         string
	Items             []Item
	Carrier           string
	TrackingNumber    string
	TrackingURL       string
	UnsubscribeURL    string
	// TrackingPageURL is the store's tracking page for the order (optional).
	TrackingPageURL string
	// Note is the merchant's personal note (a resend's): plain text, shown
	// escaped as its own paragraph, never run as a template.
	Note  string
	Brand app.Branding
	// EstimatedDelivery is the carrier's estimate; it replaces the
	// merchant's window DeliveryFrom–DeliveryTo when known. The emails that
	// show it (deliveryEvents) say it in the shop's time zone, Location (nil
	// is UTC). For a delayed email, pass only an estimate still ahead.
	EstimatedDelivery        *time.Time
	DeliveryFrom, DeliveryTo *time.Time
	Location                 *time.Location
}

// EstimatedDeliveryText is the delivery estimate in the message's language
// ("12–19 de diciembre"), "" when there is none: FormatDelivery of the
// message. Merchant templates may use it as {{.EstimatedDeliveryText}}.
func (m Message) EstimatedDeliveryText() string {
	return FormatDelivery(m.Locale, m.Location, m.EstimatedDelivery, m.DeliveryFrom, m.DeliveryTo)
}

// deliveryEvents are the emails that show the delivery estimate: the
// customer is waiting for the parcel and the date helps.
var deliveryEvents = []app.NotificationEvent{app.NotifyShipped, app.NotifyTrackingUpdated, app.NotifyDelayed}

// Rendered is a finished email body.
type Rendered struct {
	Locale  string
	Subject string
	HTML    string
	Text    string
}

// Renderer renders emails. Build one with New; safe for concurrent use.
type Renderer struct {
	html, digestHTML *htmltemplate.Template
	text, digestText *texttemplate.Template
	catalogs         map[string]map[string]*texttemplate.Template
}

// New loads the templates and every locale catalogue, and refuses a
// catalogue that lacks a key the English one has.
func New() (*Renderer, error) {
	r := &Renderer{catalogs: map[string]map[string]*texttemplate.Template{}}
	var err error
	if r.html, err = htmltemplate.ParseFS(files, "templates/email.html"); err != nil {
		return nil, err
	}
	if r.text, err = texttemplate.ParseFS(files, "templates/email.txt"); err != nil {
		return nil, err
	}
	if r.digestHTML, err = htmltemplate.ParseFS(files, "templates/digest.html"); err != nil {
		return nil, err
	}
	if r.digestText, err = texttemplate.ParseFS(files, "templates/digest.txt"); err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "locales/*.json")
	if err != nil {
		return nil, fmt.Errorf("email: listing the locales: %w", err)
	}
	raw := map[string]map[string]string{}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("email: %s: %w", name, err)
		}
		raw[strings.TrimSuffix(path.Base(name), ".json")] = m
	}
	base, ok := raw[FallbackLocale]
	if !ok {
		return nil, fmt.Errorf("email: no %s catalogue", FallbackLocale)
	}
	// Every event has its words: an event added to app.NotificationEvents
	// without them stops the start, not a customer's email.
	for _, e := range app.NotificationEvents {
		for _, part := range []string{".subject", ".heading", ".intro"} {
			if _, ok := base[string(e)+part]; !ok {
				return nil, fmt.Errorf("email: the %s catalogue lacks %q", FallbackLocale, string(e)+part)
			}
		}
	}
	for locale, m := range raw {
		compiled := map[string]*texttemplate.Template{}
		for key := range base {
			s, ok := m[key]
			if !ok {
				return nil, fmt.Errorf("email: locale %s lacks %q", locale, key)
			}
			t, err := texttemplate.New(key).Option("missingkey=error").Parse(s)
			if err != nil {
				return nil, fmt.Errorf("email: locale %s, %q: %w", locale, key, err)
			}
			// Run each entry on the data callers give it (a full message for
			// emails, an empty one for pages, a digest's for the digest), so
			// an entry naming a field its data lacks is refused here and not
			// found by a customer.
			for _, data := range sampleData(key, locale) {
				if err := t.Execute(io.Discard, data); err != nil {
					return nil, fmt.Errorf("email: locale %s, %q: %w", locale, key, err)
				}
			}
			compiled[key] = t
		}
		r.catalogs[locale] = compiled
	}
	return r, nil
}

// Locales lists the languages with a catalogue.
func (r *Renderer) Locales() []string {
	out := make([]string, 0, len(r.catalogs))
	for l := range r.catalogs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Locale picks the email's language: the customer's (es-MX → es when there
// is no es-MX file), else the shop's, else English.
func (r *Renderer) Locale(customerLocale, shopLocale string) string {
	for _, l := range []string{customerLocale, shopLocale} {
		l = strings.ReplaceAll(strings.TrimSpace(l), "_", "-")
		if _, ok := r.catalogs[l]; ok && l != "" {
			return l
		}
		if base, _, _ := strings.Cut(strings.ToLower(l), "-"); base != "" {
			if _, ok := r.catalogs[base]; ok {
				return base
			}
		}
	}
	return FallbackLocale
}

// sampleData is what a catalogue entry is run on at start: digest entries
// on a digest's words, every other entry on a full and an empty message.
func sampleData(key, locale string) []any {
	if strings.HasPrefix(key, digestPrefix) {
		return []any{digestData{Count: 3, ShopName: "Tienda Demo", Date: "2 de diciembre"}, digestData{}}
	}
	return []any{Sample(app.NotifyShipped, locale), Message{}}
}

// words are the fixed labels of a locale, for the templates.
type words struct {
	Carrier, TrackingNumber, TrackButton, Unsubscribe, Items, TrackPage, EstimatedDelivery, NoteFrom string
}

type view struct {
	Message
	Subject, Heading, Greeting, Intro, Questions, Footer, Accent string
	// Delivery is the estimate in words, on the emails that show it.
	Delivery string
	T        words
}

func (r *Renderer) say(locale, key string, data any) (string, error) {
	t, ok := r.catalogs[locale][key]
	if !ok {
		return "", fmt.Errorf("email: no %q in locale %s", key, locale)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Say renders one catalogue entry (the unsubscribe and tracking pages use
// it). New ran every entry, so one that fails here is a bug in a catalogue
// or a key no catalogue has: the page shows the English entry, else the key
// itself, rather than a hole or an error.
func (r *Renderer) Say(locale, key string, m Message) string {
	if s, err := r.say(locale, key, m); err == nil {
		return s
	}
	if s, err := r.say(FallbackLocale, key, m); err == nil {
		return s
	}
	return key
}

// Render renders m, with the shop's override of subject and intro if any.
func (r *Renderer) Render(m Message, override *app.TemplateOverride) (Rendered, error) {
	if !m.Event.Valid() {
		return Rendered{}, app.Errorf(app.ErrInvalid, "unknown email event %q", m.Event)
	}
	if _, ok := r.catalogs[m.Locale]; !ok {
		m.Locale = FallbackLocale
	}
	v := view{Message: m, Accent: m.Brand.AccentColor}
	if v.Accent == "" {
		v.Accent = DefaultAccent
	}
	ev := string(m.Event)
	greeting, questions := "greeting", "questions"
	if strings.TrimSpace(m.CustomerFirstName) == "" {
		greeting = "greeting_anonymous"
	}
	if m.ShopEmail == "" {
		questions = "questions_no_email"
	}
	pairs := []struct {
		dst *string
		key string
	}{
		{&v.Subject, ev + ".subject"}, {&v.Heading, ev + ".heading"}, {&v.Intro, ev + ".intro"},
		{&v.Greeting, greeting}, {&v.Questions, questions}, {&v.Footer, "footer"},
		{&v.T.Carrier, "carrier"}, {&v.T.TrackingNumber, "tracking_number"}, {&v.T.TrackButton, "track_button"},
		{&v.T.Unsubscribe, "unsubscribe"}, {&v.T.Items, "items"}, {&v.T.TrackPage, "track_page"},
		{&v.T.EstimatedDelivery, "estimated_delivery"}, {&v.T.NoteFrom, "note_from"},
	}
	for _, p := range pairs {
		s, err := r.say(m.Locale, p.key, m)
		if err != nil {
			return Rendered{}, fmt.Errorf("email: %s: %w", p.key, err)
		}
		*p.dst = s
	}
	if m.Brand.FooterText != "" {
		v.Footer = m.Brand.FooterText
	}
	if slices.Contains(deliveryEvents, m.Event) {
		v.Delivery = m.EstimatedDeliveryText()
	}
	if override != nil {
		for _, o := range []struct {
			field, src string
			dst        *string
		}{{"subject", override.Subject, &v.Subject}, {"intro", override.Intro, &v.Intro}} {
			if o.src == "" {
				continue
			}
			out, err := execOverride(o.src, m)
			if err != nil {
				return Rendered{}, fieldError(m.Locale, m.Event, o.field, err)
			}
			*o.dst = out
		}
	}
	v.Subject = strings.Join(strings.Fields(v.Subject), " ") // no line breaks in a header

	html, text, err := execute(r.html, r.text, v)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Locale: m.Locale, Subject: v.Subject, HTML: html, Text: text}, nil
}

// execute renders the HTML part (its CSS then inlined) and the text part of
// an email, each capped at maxBodyOutput.
func execute(ht *htmltemplate.Template, tt *texttemplate.Template, data any) (htmlOut, textOut string, err error) {
	html, text := &cappedWriter{max: maxBodyOutput}, &cappedWriter{max: maxBodyOutput}
	for _, part := range []struct {
		exec func() error
		w    *cappedWriter
	}{{func() error { return ht.Execute(html, data) }, html}, {func() error { return tt.Execute(text, data) }, text}} {
		if err := part.exec(); err != nil {
			if part.w.over {
				return "", "", app.Errorf(app.ErrInvalid, "the email renders to more than %d bytes: its data is not what an email carries", maxBodyOutput)
			}
			return "", "", err
		}
	}
	p, err := premailer.NewPremailerFromString(html.b.String(), premailer.NewOptions())
	if err != nil {
		return "", "", err
	}
	inlined, err := p.Transform()
	if err != nil {
		return "", "", err
	}
	return inlined, text.b.String(), nil
}

// Placeholders are the fields a merchant's subject or introduction may use,
// and the only thing in one besides text: {{.OrderName}} and the like.
var Placeholders = []string{"OrderName", "CustomerFirstName", "ShopName", "Carrier", "TrackingNumber", "EstimatedDeliveryText"}

// MaxTemplateLength bounds a merchant's subject or introduction template.
const MaxTemplateLength = 1000

// maxOverrideOutput bounds what a merchant's subject or introduction renders
// to, and maxBodyOutput an email's HTML or text: a template that is only text
// and placeholders stays far below them, so reaching one means the data is
// not what an email carries (a customer's "first name" of megabytes).
const (
	maxOverrideOutput = 16 << 10
	maxBodyOutput     = 2 << 20
)

// placeholderList is the documented list, for messages.
func placeholderList() string {
	out := make([]string, len(Placeholders))
	for i, p := range Placeholders {
		out[i] = "{{." + p + "}}"
	}
	return strings.Join(out, ", ")
}

// CheckTemplate says whether src is a template merchants may save: text and
// the documented placeholders, nothing else — no functions (printf…),
// variables, pipelines, if/range/with, define/template/block, nor other
// fields. It parses src and walks the parse tree, so the refusal names what
// is not allowed; what passes cannot loop, call anything or grow beyond its
// text plus the placeholders' values.
func CheckTemplate(src string) error {
	if utf8.RuneCountInString(src) > MaxTemplateLength {
		return app.Errorf(app.ErrInvalid, "longer than %s characters", "1,000")
	}
	t, err := texttemplate.New("override").Parse(src)
	if err != nil {
		return app.WrapError(app.ErrInvalid, err, "does not parse (%s): use text and the placeholders %s only", parseProblem(err), placeholderList())
	}
	if len(t.Templates()) > 1 {
		return notAllowed("{{define}} and {{block}} are")
	}
	if t.Tree == nil || t.Root == nil {
		return nil // empty
	}
	for _, n := range t.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			if err := checkAction(n); err != nil {
				return err
			}
		case *parse.IfNode:
			return notAllowed("{{if}} is")
		case *parse.RangeNode:
			return notAllowed("{{range}} is")
		case *parse.WithNode:
			return notAllowed("{{with}} is")
		case *parse.TemplateNode:
			return notAllowed("{{template}} and {{block}} are")
		default:
			return notAllowed(fmt.Sprintf("%q is", n.String()))
		}
	}
	return nil
}

// checkAction allows {{.Field}} alone, for a documented field.
func checkAction(n *parse.ActionNode) error {
	p := n.Pipe
	switch {
	case p == nil:
		return notAllowed("an empty action is")
	case len(p.Decl) > 0 || p.IsAssign:
		return notAllowed("variables (" + n.String() + ") are")
	case len(p.Cmds) != 1:
		return notAllowed("pipelines (" + n.String() + ") are")
	}
	args := p.Cmds[0].Args
	if len(args) != 1 {
		if id, ok := args[0].(*parse.IdentifierNode); ok {
			return notAllowed("functions (" + id.Ident + ") are")
		}
		return notAllowed("arguments (" + n.String() + ") are")
	}
	switch a := args[0].(type) {
	case *parse.FieldNode:
		if len(a.Ident) == 1 && slices.Contains(Placeholders, a.Ident[0]) {
			return nil
		}
		return notAllowed("the field " + a.String() + " is")
	case *parse.IdentifierNode:
		return notAllowed("functions (" + a.Ident + ") are")
	case *parse.VariableNode:
		return notAllowed("variables (" + a.String() + ") are")
	}
	return notAllowed(n.String() + " is")
}

// notAllowed refuses what ("printf is") in a sentence that says what is.
func notAllowed(what string) error {
	return app.Errorf(app.ErrInvalid, "%s not allowed: use text and the placeholders %s only", what, placeholderList())
}

// parseProblem is the parser's complaint without the template's name.
func parseProblem(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "template: override:"); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			return after
		}
		return strings.TrimSpace(rest)
	}
	return msg
}

// execOverride renders a merchant's template, checked again first: a template
// saved before a rule existed, or put in the database by other means, is
// refused here as it would be at save.
func execOverride(src string, m Message) (string, error) {
	if err := CheckTemplate(src); err != nil {
		return "", err
	}
	t, err := texttemplate.New("override").Option("missingkey=error").Parse(src)
	if err != nil {
		return "", app.WrapError(app.ErrInvalid, err, "does not parse")
	}
	w := &cappedWriter{max: maxOverrideOutput}
	if err := t.Execute(w, m); err != nil {
		if w.over {
			return "", app.Errorf(app.ErrInvalid, "renders to more than %d bytes", maxOverrideOutput)
		}
		return "", app.WrapError(app.ErrInvalid, err, "cannot be rendered")
	}
	return w.b.String(), nil
}

// errOutputTooLarge stops a template's execution at its writer's cap.
var errOutputTooLarge = errors.New("email: rendered output over its limit")

// cappedWriter keeps at most max bytes and fails the write that would pass
// them, which stops the template executing.
type cappedWriter struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		w.over = true
		return 0, errOutputTooLarge
	}
	return w.b.Write(p)
}

// Sample is example data for previews and template checks: a parcel with
// the merchant's window of 12–19 December 2026 (no carrier estimate yet).
func Sample(e app.NotificationEvent, locale string) Message {
	from, to := time.Date(2026, 12, 12, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 19, 12, 0, 0, 0, time.UTC)
	return Message{Event: e, Locale: locale, ShopName: "Tienda Demo", ShopEmail: "hola@tienda.example", CustomerFirstName: "Lucía",
		OrderName: "#1001", Items: []Item{{Title: "Taza de cerámica", Quantity: 2}, {Title: "Lámpara LED", Quantity: 1}},
		Carrier: "Correos", TrackingNumber: "RB123456785ES", TrackingURL: "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=RB123456785ES",
		UnsubscribeURL: "https://waybill.example.com/unsubscribe/sample", TrackingPageURL: "https://tienda-demo.myshopify.com/apps/track?t=sample",
		DeliveryFrom: &from, DeliveryTo: &to}
}

// fieldError names the template a problem is in, as the settings document
// spells it (templates.es.shipped.intro).
func fieldError(locale string, e app.NotificationEvent, field string, err error) error {
	return app.WrapError(app.ErrInvalid, err, "templates.%s.%s.%s: %s", locale, e, field, app.ErrorMessageOf(err))
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ValidateSettings refuses, at save, what would break at send: templates
// that do not parse or use unknown fields, a colour that is not #rrggbb, a
// logo that is not an https URL, a reply-to that is not an address.
func (r *Renderer) ValidateSettings(s app.NotificationSettings) error {
	b := s.Branding
	if b.AccentColor != "" && !hexColour.MatchString(b.AccentColor) {
		return app.Errorf(app.ErrInvalid, "accent_color must look like #0a7c59")
	}
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(b.LogoURL) > app.MaxTrackingURLLength {
			return app.Errorf(app.ErrInvalid, "logo_url must be an https URL of at most %d characters", app.MaxTrackingURLLength)
		}
	}
	if strings.ContainsAny(b.SenderName, "<>\"") || app.TextProblem("sender_name", b.SenderName, 100) != "" {
		return app.Errorf(app.ErrInvalid, "sender_name must be one line of at most 100 characters, without < > or quotes")
	}
	if b.ReplyTo != "" {
		if a, err := mail.ParseAddress(b.ReplyTo); err != nil || a.Address != b.ReplyTo {
			return app.Errorf(app.ErrInvalid, "reply_to must be an email address like hola@tienda.example")
		}
	}
	if utf8.RuneCountInString(b.FooterText) > 500 {
		return app.Errorf(app.ErrInvalid, "footer_text is longer than 500 characters")
	}
	if _, ok := r.catalogs[s.PrimaryLocale]; s.PrimaryLocale != "" && !ok {
		return app.Errorf(app.ErrInvalid, "primary_locale %q has no catalogue (available: %s)", s.PrimaryLocale, strings.Join(r.Locales(), ", "))
	}
	for e := range s.Disabled {
		if !e.Valid() {
			return app.Errorf(app.ErrInvalid, "unknown event %q in disabled_events", e)
		}
	}
	for locale, byEvent := range s.Templates {
		if _, ok := r.catalogs[locale]; !ok {
			return app.Errorf(app.ErrInvalid, "templates: locale %q has no catalogue (available: %s)", locale, strings.Join(r.Locales(), ", "))
		}
		for e, o := range byEvent {
			if !e.Valid() {
				return app.Errorf(app.ErrInvalid, "templates: unknown event %q", e)
			}
			for _, f := range []struct{ field, src string }{{"subject", o.Subject}, {"intro", o.Intro}} {
				if f.src == "" {
					continue
				}
				if _, err := execOverride(f.src, Sample(e, locale)); err != nil {
					return fieldError(locale, e, f.field, err)
				}
			}
		}
	}
	return nil
}
