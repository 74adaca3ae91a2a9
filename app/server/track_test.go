package server_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the shop's time zone wherever the tests run

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// trackEnv is the API harness with acme's store in Madrid and helpers to
// put a parcel in any state and read the page its customer reads.
type trackEnv struct {
	*apiEnv
	shop *app.Shop
	next int64
}

func newTrackEnv(t *testing.T) *trackEnv { return newTrackEnvWith(t, wiringtest.Options{}) }

func newTrackEnvWith(t *testing.T, opts wiringtest.Options) *trackEnv {
	e := &trackEnv{apiEnv: newAPIEnv(t, opts), next: 9000}
	ctx := context.Background()
	if err := e.db.UpdateShopProfile(ctx, shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example", Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		t.Fatal(err)
	}
	s, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	e.shop = s
	return e
}

// order stores an order of acme's with one parcel, then sets the parcel's
// columns as the status and stall machinery would, and returns the order's name.
func (e *trackEnv) order(locale string, columns map[string]any) string {
	e.t.Helper()
	ctx := context.Background()
	e.next++
	name := "#" + strconv.FormatInt(e.next, 10)
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: e.next, ShopID: e.shop.ID, Name: name, Email: "lucia@example.com", CustomerLocale: locale,
		ShopifyUpdatedAt: time.Now(), LineItems: []app.LineItem{{ID: e.next * 10, SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2}}}); err != nil {
		e.t.Fatal(err)
	}
	s := &app.Shipment{ShopID: e.shop.ID, OrderRef: name, OrderID: e.next, OrderName: name, TrackingNumber: "RB" + strconv.FormatInt(e.next, 10) + "ES",
		Carrier: "Correos", Source: app.SourceAPI, State: app.ShipmentPending, NotifyCustomer: true,
		LineItems: []app.ShipmentLineItem{{LineItemID: e.next * 10, SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2}}}
	if _, err := e.db.CreateShipments(ctx, []*app.Shipment{s}, "test"); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Gorm().Table("shipments").Where("id = ?", s.ID).Updates(columns).Error; err != nil {
		e.t.Fatal(err)
	}
	return name
}

// page is what the customer reads after looking the order up, with the
// HTML's escapes undone.
func (e *trackEnv) page(order string) string {
	e.t.Helper()
	params := url.Values{"shop": {shop}, "path_prefix": {"/apps/track"}, "order": {order}, "email": {"lucia@example.com"},
		"timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}}
	params.Set("signature", shopifyfake.SignProxy(apiSecret, params))
	req, err := http.NewRequest("GET", e.url+"/proxy/track?"+params.Encode(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body := string(readBody(e.t, resp))
	if resp.StatusCode != 200 || !strings.Contains(body, "Taza de cerámica") {
		e.t.Fatalf("%s: HTTP %d, not the order's page: %.600s", order, resp.StatusCode, body)
	}
	return html.UnescapeString(body)
}

func madridDay(t *testing.T, y int, m time.Month, d, h, min int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(y, m, d, h, min, 0, 0, loc).UTC()
}

func TestTrackingPageSaysWhereTheParcelIsAndWhenItArrives(t *testing.T) {
	e := newTrackEnv(t)
	windowFrom, windowTo := madridDay(t, 2026, 12, 12, 0, 0), madridDay(t, 2026, 12, 19, 23, 59)
	shipped := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	// The carrier's estimate: 23:30 UTC on the 12th is already the 13th in Madrid.
	eta := time.Date(2026, 12, 12, 23, 30, 0, 0, time.UTC)

	check := func(name, page string, want, not []string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q", name, w)
			}
		}
		for _, n := range not {
			if strings.Contains(page, n) {
				t.Errorf("%s: the page says %q", name, n)
			}
		}
	}

	// A synced parcel the carrier has not scanned yet: shipped, with the
	// merchant's window.
	page := e.page(e.order("es", map[string]any{"state": "synced", "status": "shipped", "shipped_at": shipped,
		"delivery_window_from": windowFrom, "delivery_window_to": windowTo}))
	check("shipped, es", page, []string{"Enviado", "Entrega estimada: 12–19 de diciembre"},
		[]string{"Saldrá pronto", "track.status", "Lo estamos vigilando"})

	page = e.page(e.order("en", map[string]any{"state": "synced", "status": "shipped", "shipped_at": shipped,
		"delivery_window_from": windowFrom, "delivery_window_to": windowTo}))
	check("shipped, en", page, []string{"Shipped", "Estimated delivery: December 12–19"}, []string{"Shipping soon", "Enviado"})

	// A synced parcel whose row still says pending (before the status
	// existed) reads shipped too: never "ships soon" once it left.
	page = e.page(e.order("es", map[string]any{"state": "synced", "status": "pending"}))
	check("synced but pending", page, []string{"Enviado"}, []string{"Saldrá pronto", "Entrega estimada"})

	// A parcel not yet in Shopify does ship soon.
	page = e.page(e.order("es", map[string]any{"state": "pending", "status": "pending"}))
	check("not shipped", page, []string{"Saldrá pronto"}, []string{"Enviado"})

	// The carrier's estimate replaces the window, on the shop's calendar.
	page = e.page(e.order("es", map[string]any{"state": "synced", "status": "in_transit", "shipped_at": shipped,
		"delivery_window_from": windowFrom, "delivery_window_to": windowTo, "estimated_delivery_at": eta}))
	check("carrier ETA, es", page, []string{"En tránsito", "Entrega estimada: domingo, 13 de diciembre"},
		[]string{"12–19 de diciembre", "sábado", "Lo estamos vigilando"})

	// A stalled parcel: a calm note, in the customer's language.
	page = e.page(e.order("es", map[string]any{"state": "synced", "status": "in_transit", "shipped_at": shipped,
		"delivery_window_from": windowFrom, "delivery_window_to": windowTo, "stalled_at": time.Now().UTC(), "stalled_reason": app.StallNoEvents}))
	check("stalled, es", page, []string{"Tu paquete está tardando más de lo previsto. Lo estamos vigilando.", "Entrega estimada: 12–19 de diciembre"}, nil)
	page = e.page(e.order("en", map[string]any{"state": "synced", "status": "shipped", "shipped_at": shipped,
		"estimated_delivery_at": eta, "stalled_at": time.Now().UTC(), "stalled_reason": app.StallPastEstimate}))
	check("stalled, en", page, []string{"Your parcel is taking longer than expected. We are keeping an eye on it.",
		"Estimated delivery: Sunday, December 13", "Shipped"}, []string{"Tu paquete"})

	// Delivered: no estimate, no note.
	page = e.page(e.order("es", map[string]any{"state": "synced", "status": "delivered", "shipped_at": shipped,
		"delivery_window_from": windowFrom, "delivery_window_to": windowTo, "stalled_at": time.Now().UTC(), "stalled_reason": app.StallNoEvents}))
	check("delivered", page, []string{"Entregado"}, []string{"Entrega estimada", "Lo estamos vigilando"})
}
