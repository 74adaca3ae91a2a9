package server

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/phone"
)

// Lookup limits of the tracking page: enough for a customer, too few to
// guess orders or emails.
const (
	lookupsPerIP    = 20
	lookupsPerOrder = 5
	lookupWindow    = time.Minute
)

// pageStyle is the look the customer's pages share: one column, phone first.
const pageStyle = `{{define "head"}}<!doctype html>
<html lang="{{.Locale}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}{{if .ShopName}} · {{.ShopName}}{{end}}</title>
<style>
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;background:#f4f5f7}
main{max-width:36rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .5rem}.shop{font-weight:700;color:{{.Accent}}}
.card{background:#fff;border-radius:10px;padding:1.25rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;font:inherit;padding:.7rem;border:1px solid #c9ced6;border-radius:6px}
label.check{display:flex;gap:.6rem;align-items:center;font-weight:400;margin:.5rem 0}label.check input{width:auto;margin:0;transform:scale(1.3)}
fieldset{border:0;padding:0;margin:0 0 .75rem}legend{font-weight:600;padding:0}
button{width:100%;margin-top:1rem;font:inherit;font-weight:600;padding:.8rem;border:0;border-radius:6px;background:{{.Accent}};color:#fff}
.msg{background:#fff4e5;border-radius:6px;padding:.75rem}.ok{background:#e6f4ea}
.status{font-size:1.25rem;font-weight:700;color:{{.Accent}}}.meta{color:#57606a;font-size:.95rem}
.note{background:#eef2f7;border-radius:6px;padding:.6rem .75rem;margin:.5rem 0}
ol{list-style:none;padding:0;margin:.5rem 0 0}li{border-left:3px solid #d0d7de;padding:0 0 .9rem .9rem;position:relative}
li:first-child{border-color:{{.Accent}}}.when{color:#57606a;font-size:.85rem}
a.button{display:block;text-align:center;margin-top:.75rem;padding:.7rem;border-radius:6px;border:1px solid {{.Accent}};color:{{.Accent}};text-decoration:none;font-weight:600}
a.link{color:{{.Accent}}}
</style></head><body><main>
{{if .Logo}}<img src="{{.Logo}}" alt="{{.ShopName}}" style="max-height:40px">{{else if .ShopName}}<div class="shop">{{.ShopName}}</div>{{end}}
{{end}}`

var trackPage = template.Must(template.Must(template.New("style").Parse(pageStyle)).New("track").Parse(`{{template "head" .}}
<h1>{{.T.title}}</h1>
{{if .Message}}<p class="msg{{if .MessageOK}} ok{{end}}" role="status">{{.Message}}</p>{{end}}
{{if .Order}}
 <p class="meta">{{.Order.Name}}</p>
 {{if not .Shipments}}<div class="card"><p>{{.T.no_shipments}}</p></div>{{end}}
 {{range .Shipments}}<div class="card">
  <div class="status">{{.StatusLabel}}</div>
  <p class="meta">{{.Carrier}} · {{.TrackingNumber}}{{if .Estimate}}<br>{{$.T.eta}}: {{.Estimate}}{{end}}</p>
  {{if .Stalled}}<p class="note">{{$.T.stalled}}</p>{{end}}
  {{if .Items}}<p>{{range .Items}}{{.Title}} × {{.Quantity}}<br>{{end}}</p>{{end}}
  {{if .Checkpoints}}<strong>{{$.T.history}}</strong><ol>{{range .Checkpoints}}<li><div>{{.Label}}{{if .Message}} — {{.Message}}{{end}}</div>
  <div class="when">{{.When}}{{if .Location}} · {{.Location}}{{end}}</div></li>{{end}}</ol>{{end}}
  {{if .TrackingURL}}<a class="button" href="{{.TrackingURL}}" rel="noopener">{{$.T.follow}}</a>{{end}}
 </div>{{end}}
 {{if .ToShip}}<div class="card"><h2>{{.T.to_ship}}</h2><p>{{range .ToShip}}{{.Title}} × {{.Quantity}}<br>{{end}}</p><p class="meta">{{.T.to_ship_note}}</p></div>{{end}}
 {{range .OptIns}}<div class="card">
  {{if .Active}}<p>{{.ActiveText}}</p>{{else}}<form method="post" action="{{$.OptInAction}}">
  <h2>{{.Label}}</h2>
  <input type="hidden" name="t" value="{{$.Token}}"><input type="hidden" name="channel" value="{{.Channel}}">
  <label for="phone-{{.Channel}}">{{$.T.phone}}</label>
  <input id="phone-{{.Channel}}" name="phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="40" placeholder="{{$.PhonePlaceholder}}">
  <p class="meta">{{$.T.opt_in_note}}</p>
  <button type="submit">{{.Button}}</button>
  </form>{{end}}
 </div>{{end}}
 {{if .PrefsURL}}<p><a class="link" href="{{.PrefsURL}}">{{.T.preferences}}</a></p>{{end}}
{{else}}
 <form class="card" method="get" action="{{.Action}}">
  <p>{{.T.intro}}</p>
  <label for="order">{{.T.order}}</label><input id="order" name="order" value="{{.OrderInput}}" required autocomplete="off" placeholder="#1001">
  <label for="contact">{{.T.contact}}</label><input id="contact" name="contact" value="{{.ContactInput}}" required autocomplete="email" maxlength="254">
  <button type="submit">{{.T.submit}}</button>
 </form>
{{end}}
{{if .Contact}}<div class="card"><h2>{{.T.contact_title}}</h2>
 {{range .Contact}}<a class="button" href="{{.URL}}" rel="noopener">{{.Label}}</a>{{end}}
</div>{{end}}
</main></body></html>`))

type trackCheckpoint struct {
	app.Checkpoint
	Label string
	When  string // HappenedAt on the shop's clock
}

type trackShipment struct {
	Carrier, TrackingNumber, TrackingURL, StatusLabel string
	// Estimate is when it should arrive, in words (email.FormatDelivery):
	// the carrier's date, else the merchant's window; none once delivered.
	Estimate string
	// Stalled: no carrier news for too long, or past the estimate.
	Stalled     bool
	Items       []app.ShipmentLineItem
	Checkpoints []trackCheckpoint
}

// shownStatus is the status the page names: a parcel that is a fulfillment
// in Shopify has shipped, whatever the carrier has yet to say, so it never
// reads "ships soon".
func shownStatus(sh app.Shipment) app.ParcelStatus {
	switch {
	case (sh.Status == "" || sh.Status == app.StatusPending) && (sh.State == app.ShipmentSynced || sh.ShippedAt != nil):
		return app.StatusShipped
	case sh.Status == "":
		return app.StatusPending
	}
	return sh.Status
}

// proxyPage is what every customer page reached through the store's app
// proxy starts from: the verified shop, its settings, the reader's
// language and the page's common fields.
type proxyPage struct {
	shop     *app.Shop
	settings *app.NotificationSettings
	locale   string
	// action is the page's path on the store ("/apps/track").
	action string
	page   map[string]any
}

// openProxyPage checks the app proxy's signature (over the query string,
// for a POST too) and the shop.
func (s *Server) openProxyPage(c echo.Context) (*proxyPage, error) {
	q := c.QueryParams()
	if !s.deps.Auth.ValidProxySignature(q) {
		return nil, app.Errorf(app.ErrForbidden, "this page must be opened through the store")
	}
	ctx := c.Request().Context()
	shopDomain, err := app.ValidateShopDomain(q.Get("shop"))
	if err != nil {
		return nil, app.Errorf(app.ErrForbidden, "this page must be opened through the store")
	}
	shop, err := s.deps.Shops.ShopByDomain(ctx, shopDomain)
	if err != nil || shop.UninstalledAt != nil {
		return nil, app.Errorf(app.ErrNotFound, "tracking is not available in this store")
	}
	settings, err := s.deps.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return nil, err
	}
	p := &proxyPage{shop: shop, settings: &settings, action: q.Get("path_prefix")}
	if p.action == "" || !strings.HasPrefix(p.action, "/") || strings.HasPrefix(p.action, "//") {
		p.action = "/apps/track"
	}
	p.locale = s.deps.Emails.Locale(acceptLanguage(c.Request().Header.Get("Accept-Language")), settings.PrimaryLocale)
	p.page = map[string]any{"ShopName": shop.DisplayName(), "Accent": accent(settings.Branding), "Logo": settings.Branding.LogoURL, "Action": p.action}
	return p, nil
}

// orderByToken is the order a tracking link's token names in the shop, nil
// when it names none.
func (s *Server) orderByToken(ctx context.Context, shop *app.Shop, token string) (*app.Order, error) {
	if token == "" || len(token) > 512 {
		return nil, nil
	}
	shopID, orderID, err := s.deps.TrackingLinks.Parse(token)
	if err != nil || shopID != shop.ID {
		return nil, nil
	}
	found, err := s.deps.Orders.OrderByID(ctx, shop.ID, orderID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil, nil
	}
	return found, err
}

// track is GET /proxy/track, reached through the store's app proxy
// (/apps/track). Every answer to a lookup that does not match — unknown
// order, wrong email or phone — is the same page, so it reveals nothing.
func (s *Server) track(c echo.Context) error {
	p, err := s.openProxyPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := c.QueryParams()
	orderInput := strings.TrimSpace(q.Get("order"))
	// contact is the email or phone; links and bookmarks made before the
	// phone lookup still say email.
	contactInput := strings.TrimSpace(q.Get("contact"))
	if contactInput == "" {
		contactInput = strings.TrimSpace(q.Get("email"))
	}
	p.page["OrderInput"], p.page["ContactInput"] = orderInput, contactInput

	var order *app.Order
	if token := q.Get("t"); token != "" {
		// From the email's link: the token names the order, no questions.
		if order, err = s.orderByToken(ctx, p.shop, token); err != nil {
			return err
		}
		if order == nil {
			return s.renderTrack(c, http.StatusOK, p.locale, p.page, "track.not_found")
		}
	} else if orderInput != "" && contactInput != "" {
		allowed, err := s.lookupAllowed(ctx, customerIP(c.Request()), p.shop.ID, orderInput)
		if err != nil {
			return err
		}
		if !allowed {
			return s.renderTrack(c, http.StatusTooManyRequests, p.locale, p.page, "track.rate_limited")
		}
		order = s.findOrder(ctx, p.shop.ID, orderInput, contactInput)
		if order == nil {
			return s.renderTrack(c, http.StatusOK, p.locale, p.page, "track.not_found")
		}
	}
	if order == nil {
		if err := s.addContact(ctx, p, nil); err != nil {
			return err
		}
		return s.renderTrack(c, http.StatusOK, p.locale, p.page, "")
	}
	return s.renderOrder(c, p, order, "", false)
}

// renderOrder renders the order's tracking page: its parcels, what is still
// to ship, the texts the customer may ask for, the contact buttons. message
// is said above it (ok: as a success).
func (s *Server) renderOrder(c echo.Context, p *proxyPage, order *app.Order, message string, ok bool) error {
	ctx := c.Request().Context()
	shop := p.shop
	locale := s.deps.Emails.Locale(order.CustomerLocale, p.locale)
	p.locale = locale
	shipments, err := s.deps.Shipments.ShipmentsByOrder(ctx, shop.ID, order.ID)
	if err != nil {
		return err
	}
	s.recordTrackingVisits(ctx, shop.ID, shipments)
	loc := shop.Location()
	var views []trackShipment
	for _, sh := range shipments {
		status := shownStatus(sh)
		v := trackShipment{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL,
			Items: sh.LineItems, StatusLabel: s.deps.Emails.Say(locale, "track.status."+string(status), email.Message{})}
		if !status.Final() {
			v.Estimate = email.FormatDelivery(locale, loc, sh.EstimatedDeliveryAt, sh.DeliveryWindowFrom, sh.DeliveryWindowTo)
			v.Stalled = sh.StalledAt != nil
		}
		cps, err := s.deps.Status.Checkpoints(ctx, sh.ID)
		if err != nil {
			return err
		}
		for _, cp := range cps {
			label := s.deps.Emails.Say(locale, "track.status."+string(cp.Status), email.Message{})
			if strings.EqualFold(strings.TrimSpace(cp.Message), label) {
				cp.Message = "" // the carrier's words say what the label says
			}
			v.Checkpoints = append(v.Checkpoints, trackCheckpoint{Checkpoint: cp, Label: label, When: cp.HappenedAt.In(loc).Format("02/01/2006 15:04")})
		}
		views = append(views, v)
	}
	p.page["Order"], p.page["Shipments"], p.page["ToShip"] = order, views, toShip(order, shipments)
	token := s.trackingToken(shop, order.ID)
	p.page["Token"] = token
	p.page["OptInAction"] = p.action + "/opt-in"
	p.page["PrefsURL"] = p.action + "/preferences?t=" + url.QueryEscape(token)
	if err := s.addOptIns(ctx, p, order); err != nil {
		return err
	}
	if err := s.addContact(ctx, p, order); err != nil {
		return err
	}
	if message != "" {
		p.page["Message"], p.page["MessageOK"] = message, ok
	}
	return s.renderTrack(c, http.StatusOK, locale, p.page, "")
}

// trackingToken is the order's signed token (the tracking link's t), which
// the page's forms carry so a page opened by number and contact can act.
func (s *Server) trackingToken(shop *app.Shop, orderID int64) string {
	u, err := url.Parse(s.deps.TrackingLinks.URL(shop.Domain, shop.ID, orderID))
	if err != nil {
		return ""
	}
	return u.Query().Get("t")
}

// itemLine is a line of an order, with a quantity.
type itemLine struct {
	Title    string
	Quantity int
}

// toShip is what of the order has not shipped yet: each line's quantity
// less what its parcels carry (by line item id, else SKU; cancelled parcels
// carry nothing), and never more than Shopify still has to fulfil (its
// fulfillable quantity, kept with the order): a removed or refunded line,
// or one fulfilled in Shopify without a tracking number, is not to ship.
// Nothing when the order has not shipped at all (the page says so) or a
// parcel does not say what it carries (then nobody knows).
func toShip(order *app.Order, shipments []app.Shipment) []itemLine {
	if len(order.LineItems) == 0 {
		return nil
	}
	remaining := make([]int, len(order.LineItems))
	for i, li := range order.LineItems {
		remaining[i] = li.Quantity
	}
	shipped := false
	for _, sh := range shipments {
		if sh.State == app.ShipmentCancelled {
			continue
		}
		if len(sh.LineItems) == 0 {
			return nil
		}
		shipped = true
		for _, it := range sh.LineItems {
			// By SKU, a line Shopify still has to fulfil first: a parcel
			// does not carry a removed line's units.
			j := -1
			for i, li := range order.LineItems {
				carries := remaining[i] > 0 && ((it.LineItemID != 0 && it.LineItemID == li.ID) || (it.LineItemID == 0 && it.SKU != "" && it.SKU == li.SKU))
				if carries && (j < 0 || order.LineItems[j].FulfillableQuantity <= 0 && li.FulfillableQuantity > 0) {
					j = i
				}
			}
			if j >= 0 {
				remaining[j] -= min(remaining[j], it.Quantity)
			}
		}
	}
	if !shipped {
		return nil
	}
	var out []itemLine
	for i, li := range order.LineItems {
		if left := min(remaining[i], li.FulfillableQuantity); left > 0 {
			out = append(out, itemLine{Title: li.Title, Quantity: left})
		}
	}
	return out
}

// optInView is one channel the customer can ask for texts on.
type optInView struct {
	Channel       app.Channel
	Label, Button string
	Active        bool
	ActiveText    string
}

// addOptIns offers "Recibir avisos por WhatsApp/SMS" for each text channel
// the shop connected; a channel the customer agreed to already says so.
func (s *Server) addOptIns(ctx context.Context, p *proxyPage, order *app.Order) error {
	conns, err := s.deps.Texts.ChannelConnections(ctx, p.shop.ID)
	if err != nil {
		return err
	}
	var out []optInView
	for _, ch := range app.TextChannels {
		if !slices.ContainsFunc(conns, func(c app.ChannelConnection) bool { return c.Channel == ch }) {
			continue
		}
		v := optInView{Channel: ch, Label: s.deps.Emails.Say(p.locale, "track.opt_in."+string(ch), email.Message{}),
			Button: s.deps.Emails.Say(p.locale, "track.opt_in.button", email.Message{})}
		if to := order.TextPhone(); to != "" {
			consent, err := s.deps.Texts.Consent(ctx, p.shop.ID, app.PhoneHash(to), ch)
			if err != nil {
				return err
			}
			if consent.Active() {
				v.Active = true
				v.ActiveText = s.deps.Emails.Say(p.locale, "track.opt_in.active."+string(ch), email.Message{}) + " " + phone.Mask(to)
			}
		}
		out = append(out, v)
	}
	p.page["OptIns"] = out
	p.page["PhonePlaceholder"] = s.deps.Emails.Say(p.locale, "track.phone_placeholder", email.Message{})
	if order.TextPhone() != "" {
		p.page["PhonePlaceholder"] = phone.Mask(order.TextPhone())
	}
	return nil
}

// contactLink is one of the contact buttons.
type contactLink struct {
	URL   template.URL // built from values checked when the merchant saved them
	Label string
}

// addContact adds the buttons the merchant set: WhatsApp (with a first
// message naming the order, in the customer's language), email, phone.
func (s *Server) addContact(ctx context.Context, p *proxyPage, order *app.Order) error {
	opts, err := s.deps.Texts.ContactOptions(ctx, p.shop.ID)
	if err != nil {
		return err
	}
	var links []contactLink
	m := email.Message{}
	key := "track.contact_whatsapp_text_general"
	if order != nil {
		m.OrderName, key = order.Name, "track.contact_whatsapp_text"
	}
	if e164, ok := phone.Normalize(opts.WhatsApp, ""); ok {
		text := strings.ReplaceAll(url.QueryEscape(s.deps.Emails.Say(p.locale, key, m)), "+", "%20")
		links = append(links, contactLink{URL: template.URL("https://wa.me/" + phone.WaMeDigits(e164) + "?text=" + text),
			Label: s.deps.Emails.Say(p.locale, "track.contact_whatsapp", email.Message{})})
	}
	if addr := strings.TrimSpace(opts.Email); addr != "" && singleAddress("email", addr) == nil {
		u := "mailto:" + addr
		if order != nil {
			u += "?subject=" + strings.ReplaceAll(url.QueryEscape(s.deps.Emails.Say(p.locale, "track.contact_email_subject", m)), "+", "%20")
		}
		links = append(links, contactLink{URL: template.URL(u), Label: s.deps.Emails.Say(p.locale, "track.contact_email", email.Message{})})
	}
	if e164, ok := phone.Normalize(opts.Phone, ""); ok {
		links = append(links, contactLink{URL: template.URL("tel:" + e164), Label: s.deps.Emails.Say(p.locale, "track.contact_phone", email.Message{})})
	}
	p.page["Contact"] = links
	return nil
}

// renderTrack renders the tracking page with a message from the catalogue.
func (s *Server) renderTrack(c echo.Context, status int, locale string, page map[string]any, messageKey string) error {
	t := map[string]string{}
	for _, k := range trackWords {
		t[k] = s.deps.Emails.Say(locale, "track."+k, email.Message{})
	}
	page["T"], page["Locale"], page["Title"] = t, locale, t["title"]
	if messageKey != "" {
		page["Message"] = s.deps.Emails.Say(locale, messageKey, email.Message{})
	}
	return renderPage(c, status, trackPage, page)
}

// trackWords are the tracking page's words (track.<word> in the catalogue).
var trackWords = []string{"title", "intro", "order", "contact", "submit", "no_shipments", "eta", "follow", "history", "stalled",
	"to_ship", "to_ship_note", "phone", "opt_in_note", "preferences", "contact_title"}

func renderPage(c echo.Context, status int, t *template.Template, page map[string]any) error {
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return t.Execute(c.Response(), page)
}

// lookupAllowed counts a lookup against the caller's IP and the order.
func (s *Server) lookupAllowed(ctx context.Context, ip, shopID, orderInput string) (bool, error) {
	byIP, err := s.deps.RateLimiter.Allow(ctx, "track:ip:"+ip, lookupsPerIP, lookupWindow)
	if err != nil {
		return false, err
	}
	key := strings.TrimPrefix(strings.ToUpper(orderInput), "#")
	byOrder, err := s.deps.RateLimiter.Allow(ctx, "track:order:"+shopID+":"+key, lookupsPerOrder, lookupWindow)
	if err != nil {
		return false, err
	}
	return byIP && byOrder, nil
}

// findOrder returns the order only when the contact matches: an email
// (with "@") compared case-insensitively, else a phone read as a number of
// the order's shipping country and compared to the order's phone and the
// one the customer gave for texts — all in constant time.
func (s *Server) findOrder(ctx context.Context, shopID, orderInput, contactInput string) *app.Order {
	name := orderInput
	if !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	if len(name) > app.MaxOrderLength || len(contactInput) > 254 {
		return nil
	}
	o, err := s.deps.Orders.OrderByName(ctx, shopID, name)
	if err != nil {
		return nil // answered exactly like a wrong contact (the caller renders one page for both)
	}
	if strings.Contains(contactInput, "@") {
		if o.Email == "" || !constantEqual(strings.ToLower(o.Email), strings.ToLower(contactInput)) {
			return nil
		}
		return o
	}
	e164, ok := phone.Normalize(contactInput, o.ShippingCountry)
	if !ok {
		return nil
	}
	matchPhone := o.Phone != "" && constantEqual(o.Phone, e164)
	matchNotify := o.NotifyPhone != "" && constantEqual(o.NotifyPhone, e164)
	if !matchPhone && !matchNotify {
		return nil
	}
	return o
}

// customerIP is who is asking. Through the app proxy every request comes
// from Shopify, which appends the customer's address to X-Forwarded-For:
// the rightmost entry is the one Shopify saw (entries to its left are the
// client's to invent). Without the header, the connection's address.
func customerIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		parts := strings.Split(xff, ",")
		return strings.TrimSpace(parts[len(parts)-1])
	}
	host, _, _ := strings.Cut(r.RemoteAddr, ":")
	return host
}

func acceptLanguage(h string) string {
	first, _, _ := strings.Cut(h, ",")
	first, _, _ = strings.Cut(first, ";")
	return strings.TrimSpace(first)
}

func accent(b app.Branding) string {
	if b.AccentColor != "" {
		return b.AccentColor
	}
	return email.DefaultAccent
}
