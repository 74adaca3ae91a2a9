package server

import (
	"context"
	"crypto/subtle"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// Lookup limits of the tracking page: enough for a customer, too few to
// guess orders or emails.
const (
	lookupsPerIP    = 20
	lookupsPerOrder = 5
	lookupWindow    = time.Minute
)

var trackPage = template.Must(template.New("track").Parse(`<!doctype html>
<html lang="{{.Locale}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}} · {{.ShopName}}</title>
<style>
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;background:#f4f5f7}
main{max-width:36rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}.shop{font-weight:700;color:{{.Accent}}}
.card{background:#fff;border-radius:10px;padding:1.25rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;font:inherit;padding:.7rem;border:1px solid #c9ced6;border-radius:6px}
button{width:100%;margin-top:1rem;font:inherit;font-weight:600;padding:.8rem;border:0;border-radius:6px;background:{{.Accent}};color:#fff}
.msg{background:#fff4e5;border-radius:6px;padding:.75rem}
.status{font-size:1.25rem;font-weight:700;color:{{.Accent}}}.meta{color:#57606a;font-size:.95rem}
.note{background:#eef2f7;border-radius:6px;padding:.6rem .75rem;margin:.5rem 0}
ol{list-style:none;padding:0;margin:.5rem 0 0}li{border-left:3px solid #d0d7de;padding:0 0 .9rem .9rem;position:relative}
li:first-child{border-color:{{.Accent}}}.when{color:#57606a;font-size:.85rem}
a.button{display:block;text-align:center;margin-top:.75rem;padding:.7rem;border-radius:6px;border:1px solid {{.Accent}};color:{{.Accent}};text-decoration:none;font-weight:600}
</style></head><body><main>
{{if .Logo}}<img src="{{.Logo}}" alt="{{.ShopName}}" style="max-height:40px">{{else}}<div class="shop">{{.ShopName}}</div>{{end}}
<h1>{{.T.title}}</h1>
{{if .Message}}<p class="msg" role="status">{{.Message}}</p>{{end}}
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
{{else}}
 <form class="card" method="get" action="{{.Action}}">
  <p>{{.T.intro}}</p>
  <label for="order">{{.T.order}}</label><input id="order" name="order" value="{{.OrderInput}}" required autocomplete="off" placeholder="#1001">
  <label for="email">{{.T.email}}</label><input id="email" name="email" type="email" value="{{.EmailInput}}" required autocomplete="email">
  <button type="submit">{{.T.submit}}</button>
 </form>
{{end}}
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

// track is GET /proxy/track, reached through the store's app proxy
// (/apps/track). Every answer to a lookup that does not match — unknown
// order, wrong email — is the same page, so it reveals nothing.
func (s *Server) track(c echo.Context) error {
	q := c.QueryParams()
	if !s.deps.Auth.ValidProxySignature(q) {
		return app.Errorf(app.ErrForbidden, "this page must be opened through the store")
	}
	ctx := c.Request().Context()
	shopDomain, err := app.ValidateShopDomain(q.Get("shop"))
	if err != nil {
		return app.Errorf(app.ErrForbidden, "this page must be opened through the store")
	}
	shop, err := s.deps.Shops.ShopByDomain(ctx, shopDomain)
	if err != nil || shop.UninstalledAt != nil {
		return app.Errorf(app.ErrNotFound, "tracking is not available in this store")
	}
	settings, err := s.deps.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	locale := s.deps.Emails.Locale(acceptLanguage(c.Request().Header.Get("Accept-Language")), settings.PrimaryLocale)
	page := map[string]any{"ShopName": shop.DisplayName(), "Accent": accent(settings.Branding), "Logo": settings.Branding.LogoURL, "Action": q.Get("path_prefix")}
	if page["Action"] == "" {
		page["Action"] = "/apps/track"
	}
	orderInput, emailInput := strings.TrimSpace(q.Get("order")), strings.TrimSpace(q.Get("email"))
	page["OrderInput"], page["EmailInput"] = orderInput, emailInput

	var order *app.Order
	if token := q.Get("t"); token != "" {
		// From the email's link: the token names the order, no questions.
		if shopID, orderID, err := s.deps.TrackingLinks.Parse(token); err == nil && shopID == shop.ID {
			found, err := s.deps.Orders.OrderByID(ctx, shop.ID, orderID)
			switch {
			case err == nil:
				order = found
			case app.ErrorCodeOf(err) != app.ErrNotFound:
				return err
			}
		}
		if order == nil {
			return s.renderTrack(c, http.StatusOK, locale, page, "track.not_found")
		}
	} else if orderInput != "" && emailInput != "" {
		allowed, err := s.lookupAllowed(ctx, customerIP(c.Request()), shop.ID, orderInput)
		if err != nil {
			return err
		}
		if !allowed {
			return s.renderTrack(c, http.StatusTooManyRequests, locale, page, "track.rate_limited")
		}
		order = s.findOrder(ctx, shop.ID, orderInput, emailInput)
		if order == nil {
			return s.renderTrack(c, http.StatusOK, locale, page, "track.not_found")
		}
	}
	if order == nil {
		return s.renderTrack(c, http.StatusOK, locale, page, "")
	}
	locale = s.deps.Emails.Locale(order.CustomerLocale, locale)
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
	page["Order"], page["Shipments"] = order, views
	return s.renderTrack(c, http.StatusOK, locale, page, "")
}

func (s *Server) renderTrack(c echo.Context, status int, locale string, page map[string]any, messageKey string) error {
	t := map[string]string{}
	for _, k := range []string{"title", "intro", "order", "email", "submit", "no_shipments", "eta", "follow", "history", "stalled"} {
		t[k] = s.deps.Emails.Say(locale, "track."+k, email.Message{})
	}
	page["T"], page["Locale"] = t, locale
	if messageKey != "" {
		page["Message"] = s.deps.Emails.Say(locale, messageKey, email.Message{})
	}
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return trackPage.Execute(c.Response(), page)
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

// findOrder returns the order only when the email matches (compared in
// constant time, case-insensitively).
func (s *Server) findOrder(ctx context.Context, shopID, orderInput, emailInput string) *app.Order {
	name := orderInput
	if !strings.HasPrefix(name, "#") {
		name = "#" + name
	}
	o, err := s.deps.Orders.OrderByName(ctx, shopID, name)
	if err != nil {
		return nil // answered exactly like a wrong email (the caller renders one page for both)
	}
	if o.Email == "" || subtle.ConstantTimeCompare([]byte(strings.ToLower(o.Email)), []byte(strings.ToLower(emailInput))) != 1 {
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
