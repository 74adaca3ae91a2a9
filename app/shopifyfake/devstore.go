package shopifyfake

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DemoShop is the shop `waybill devstore` seeds.
const DemoShop = "waybill-demo.myshopify.com"

// SeedDemo creates the demo shop with two locations and a few orders in
// Spanish and English, like a dropshipping merchant's first day.
func (s *Store) SeedDemo() {
	s.AddShop(Shop{Domain: DemoShop, Name: "Tienda Demo Waybill", Email: "hola@tienda-demo.example", PrimaryLocale: "es", Currency: "EUR"})
	main := s.LocationIDs(DemoShop)[0]
	supplier := s.AddLocation(DemoShop, "Proveedor Shenzhen")
	// Placed a few days ago, as orders waiting for a supplier's number are
	// (the admin shows their age: "hace 3 días").
	lucia := s.CreateOrder(DemoShop, NewOrder{Email: "lucia@example.com", CustomerLocale: "es", CustomerFirstName: "Lucía", CustomerLastName: "García",
		ShippingCountry: "ES", ShippingCity: "Madrid", LineItems: []NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2, LocationID: main}}})
	s.placedDaysAgo(DemoShop, lucia.ID, 3)
	diego := s.CreateOrder(DemoShop, NewOrder{Email: "diego@example.com", CustomerLocale: "es-MX", CustomerFirstName: "Diego", CustomerLastName: "Hernández",
		ShippingCountry: "MX", ShippingCity: "Guadalajara", LineItems: []NewLineItem{
			{SKU: "LAMP-7", Title: "Lámpara LED", Quantity: 1, LocationID: supplier},
			{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 1, LocationID: main}}})
	s.placedDaysAgo(DemoShop, diego.ID, 5)
	emma := s.CreateOrder(DemoShop, NewOrder{Email: "emma@example.com", CustomerLocale: "en", CustomerFirstName: "Emma", CustomerLastName: "Brown",
		ShippingCountry: "GB", ShippingCity: "Leeds", LineItems: []NewLineItem{{SKU: "TEE-M", Title: "T-shirt (M)", Quantity: 3, LocationID: supplier}}})
	s.placedDaysAgo(DemoShop, emma.ID, 2)
}

// placedDaysAgo dates a seeded order (placed and last updated) days before
// now, on the store's clock.
func (s *Store) placedDaysAgo(shop string, orderID int64, days int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.clock.Now().Add(-time.Duration(days) * 24 * time.Hour)
	for _, o := range s.shops[shop].orders {
		if o.ID == orderID {
			o.CreatedAt, o.UpdatedAt = at, at
		}
	}
}

// SetDevstoreApp tells the devstore page where the app runs, for its
// "Install" button.
func (s *Store) SetDevstoreApp(appURL string) {
	s.mu.Lock()
	s.devAppURL = appURL
	s.mu.Unlock()
}

var devstorePage = template.Must(template.New("devstore").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Waybill devstore</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}.msg{background:#eef;padding:.6rem}</style></head>
<body><h1>Waybill devstore</h1>
<p>A fake Shopify for local demos. Run Waybill with <code>SHOPIFY_ADMIN_ORIGIN</code> pointing here.</p>
{{if .Message}}<p class="msg">{{.Message}}</p>{{end}}
{{range $sh := .Shops}}<h2>{{.Name}} <small>({{.Domain}})</small></h2>
<form method="post" action="/devstore/install?shop={{.Domain}}"><button>Install Waybill ({{$.AppURL}})</button></form>
<p><a href="{{.AdminURL}}">Open the Waybill admin for this shop</a> (as the Shopify admin would embed it: with a session token, valid one hour)</p>
<form method="post" action="/devstore/order?shop={{.Domain}}"><button>Create a test order</button></form>
<table><tr><th>Order</th><th>Customer</th><th>Items</th><th>Status</th><th>Fulfillments</th></tr>
{{range .Orders}}<tr><td>{{.Name}}</td><td>{{.Email}} ({{.CustomerLocale}})</td>
<td>{{range .LineItems}}{{.Title}} × {{.Quantity}}<br>{{end}}</td><td>{{.Status}}</td>
<td>{{range .Fulfillments}}{{range .TrackingInfo}}{{.Company}} {{.Number}}<br>{{end}}
<form method="post" action="/devstore/track?shop={{$sh.Domain}}&amp;fulfillment={{.ID}}">{{.DisplayStatus}} <button>Carrier scan</button></form>{{end}}</td></tr>{{end}}
</table>{{end}}</body></html>`))

func (s *Store) devstoreUI(w http.ResponseWriter, r *http.Request) {
	msg := r.URL.Query().Get("msg")
	if r.Method == http.MethodPost {
		shop := r.URL.Query().Get("shop")
		switch r.URL.Path {
		case "/devstore/install":
			s.mu.Lock()
			appURL := s.devAppURL
			s.mu.Unlock()
			ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
			defer cancel()
			if _, err := s.InstallApp(ctx, appURL, shop); err != nil {
				msg = "Install failed: " + err.Error()
			} else {
				msg = "Waybill is installed in " + shop
			}
		case "/devstore/order":
			o := s.CreateOrder(shop, NewOrder{Email: "cliente@example.com", CustomerLocale: "es", CustomerFirstName: "Ana",
				ShippingCountry: "ES", LineItems: []NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 1}}})
			msg = "Created order " + o.Name + " (id " + strconv.FormatInt(o.ID, 10) + ")"
		case "/devstore/track":
			msg = s.devstoreScan(shop, r.URL.Query().Get("fulfillment"))
		}
		http.Redirect(w, r, "/?msg="+template.URLQueryEscaper(msg), http.StatusSeeOther)
		return
	}
	type orderView struct {
		Order
		Status string
	}
	type shopView struct {
		Name, Domain, AdminURL string
		Orders                 []orderView
	}
	s.mu.Lock()
	appURL := s.devAppURL
	var domains []string
	for d := range s.shops {
		domains = append(domains, d)
	}
	s.mu.Unlock()
	tokens := map[string]string{} // minted outside the lock: SessionToken takes it too
	for _, d := range domains {
		tokens[d] = s.SessionToken(d, time.Hour)
	}
	s.mu.Lock()
	var shops []shopView
	for _, sh := range s.shops {
		v := shopView{Name: sh.Name, Domain: sh.Domain,
			AdminURL: appURL + "/?shop=" + url.QueryEscape(sh.Domain) + "&id_token=" + url.QueryEscape(tokens[sh.Domain])}
		for _, o := range sh.orders {
			v.Orders = append(v.Orders, orderView{copyOrder(o), displayFulfillmentStatus(o)})
		}
		shops = append(shops, v)
	}
	s.mu.Unlock()
	// Rendered whole before anything is sent, so a failure can still be a 500.
	var page bytes.Buffer
	if err := devstorePage.Execute(&page, map[string]any{"Shops": shops, "AppURL": appURL, "Message": msg}); err != nil {
		http.Error(w, "devstore page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page.Bytes())
}

// devstoreScanSteps is the journey the devstore's "Carrier scan" button
// walks a fulfillment through, one step a press.
var devstoreScanSteps = []struct{ status, message string }{
	{"CONFIRMED", "Shipment information received"}, {"IN_TRANSIT", "In transit"},
	{"OUT_FOR_DELIVERY", "Out for delivery"}, {"DELIVERED", "Delivered"},
}

// devstoreScan adds the next step of the journey to a fulfillment, as
// Shopify's carrier tracking would (the webhooks go to the app).
func (s *Store) devstoreScan(shop, fulfillment string) string {
	id, err := strconv.ParseInt(fulfillment, 10, 64)
	if err != nil {
		return "No such fulfillment"
	}
	f, ok := s.Fulfillment(shop, id)
	if !ok {
		return "No such fulfillment"
	}
	next := 0
	if n := len(f.Events); n > 0 {
		for i, st := range devstoreScanSteps {
			if st.status == f.Events[n-1].Status {
				next = i + 1
			}
		}
	}
	if next >= len(devstoreScanSteps) {
		return "The parcel is delivered already"
	}
	step := devstoreScanSteps[next]
	var eta *time.Time
	if step.status != "DELIVERED" {
		t := s.clock.Now().Add(48 * time.Hour)
		eta = &t
	}
	if err := s.TrackFulfillment(shop, id, step.status, s.clock.Now(), step.message, eta); err != nil {
		return "Carrier scan failed: " + err.Error()
	}
	return "Carrier scan: " + step.status
}

// embeddedAdmin stands in for https://{shop}/admin/apps/{key}: where the app
// sends the merchant after an install.
func (s *Store) embeddedAdmin(w http.ResponseWriter, r *http.Request, shop string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(fmt.Appendf(nil, "<!doctype html><title>%s admin</title><p>The app is open in the admin of %s.</p>",
		template.HTMLEscapeString(shop), template.HTMLEscapeString(shop)))
}
