package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// seedDataRequest records a customers/data_request for the customer as the
// webhook does: the report compiled by the store, then saved.
func (e *apiEnv) seedDataRequest(shop string, c app.Customer, orders []int64, at time.Time) {
	e.t.Helper()
	ctx := context.Background()
	s := e.shops[shop]
	report, err := e.db.CustomerData(ctx, s.ID, c, orders)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.SaveDataRequest(ctx, app.DataRequest{ID: app.NewID(), ShopID: s.ID, Customer: c, OrdersRequested: orders,
		Report: report, CreatedAt: at}); err != nil {
		e.t.Fatal(err)
	}
}

// The compliance screen lists the shop's customer data requests with the
// orders (and their phones), shipments and texts Waybill holds — never
// another shop's — on both database engines.
func TestDataRequestsListTheShopsOwnWithTheirReport(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) { testDataRequests(t, engine) })
	}
}

func testDataRequests(t *testing.T, engine store.Engine) {
	e := newAPIEnv(t, wiringtest.Options{Engine: engine})
	ctx := context.Background()
	acme, rival := e.shops["acme.myshopify.com"], e.shops["rival.myshopify.com"]
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: 900, ShopID: acme.ID, Name: "#1042", Email: "ana@cliente.example", CustomerID: 555,
		CustomerFirstName: "Ana", ShippingCountry: "ES", Phone: "+34612345678", ShopifyUpdatedAt: time.Now(),
		LineItems: []app.LineItem{{ID: 9001, SKU: "TAZA-AZUL", Title: "Taza azul", Quantity: 3, FulfillableQuantity: 3}}}); err != nil {
		t.Fatal(err)
	}
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	if code, body := e.do("POST", "/api/admin/shipments", tok, "application/json",
		[]byte(`{"order":"#1042","tracking_number":"RB123456785ES","carrier":"Correos"}`)); code != 200 {
		t.Fatalf("shipment: %d %v", code, body)
	}
	// Ana gave another number on the tracking page, and was told on WhatsApp.
	if err := e.db.SetOrderNotifyPhone(ctx, acme.ID, 900, "+34699887766"); err != nil {
		t.Fatal(err)
	}
	parcels, err := e.db.ShipmentsByOrder(ctx, acme.ID, 900)
	if err != nil || len(parcels) != 1 {
		t.Fatalf("parcels: %v %v", parcels, err)
	}
	text, _, err := e.db.QueueText(ctx, &app.CustomerText{ShopID: acme.ID, ShipmentID: parcels[0].ID, Channel: app.ChannelWhatsApp,
		Event: app.NotifyShipped, EventKey: "shipped"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetTextOutcome(ctx, text.ID, app.TextOutcome{Status: app.TextSent, Phone: "+34699887766", Locale: "es",
		ProviderMessageID: "wamid.HBgL"}); err != nil {
		t.Fatal(err)
	}
	// The same customer id at the rival shop: its request must stay there.
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: 901, ShopID: rival.ID, Name: "#2001", Email: "ana@cliente.example", CustomerID: 555,
		ShopifyUpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	e.seedDataRequest("acme.myshopify.com", app.Customer{ID: 555, Email: "ana@cliente.example"}, []int64{900}, now.Add(-time.Hour))
	e.seedDataRequest("acme.myshopify.com", app.Customer{ID: 777, Email: "nadie@cliente.example"}, nil, now)
	e.seedDataRequest("rival.myshopify.com", app.Customer{ID: 555, Email: "ana@cliente.example"}, []int64{901}, now)

	code, body := e.do("GET", "/api/admin/data-requests", tok, "", nil)
	if code != 200 || body["total"] != float64(2) || body["page"] != float64(1) {
		t.Fatalf("list: %d %v", code, body)
	}
	list := body["data_requests"].([]any)
	if len(list) != 2 {
		t.Fatalf("acme sees %d requests, want its 2: %v", len(list), list)
	}
	// Newest first: the customer Waybill knows nothing about, with an empty report.
	newest := list[0].(map[string]any)
	if r := newest["report"].(map[string]any); newest["customer"].(map[string]any)["email"] != "nadie@cliente.example" ||
		len(r["orders"].([]any)) != 0 || len(r["shipments"].([]any)) != 0 || len(r["texts"].([]any)) != 0 {
		t.Fatalf("newest: %v", newest)
	}
	ana := list[1].(map[string]any)
	if c := ana["customer"].(map[string]any); c["id"] != float64(555) || c["email"] != "ana@cliente.example" {
		t.Fatalf("customer: %v", c)
	}
	if at, err := time.Parse(time.RFC3339, ana["created_at"].(string)); err != nil || !at.Equal(now.Add(-time.Hour)) {
		t.Fatalf("created_at %v (%v), want %v", ana["created_at"], err, now.Add(-time.Hour))
	}
	if fmt.Sprint(ana["orders_requested"]) != "[900]" {
		t.Fatalf("orders requested: %v", ana["orders_requested"])
	}
	report := ana["report"].(map[string]any)
	orders := report["orders"].([]any)
	if len(orders) != 1 {
		t.Fatalf("orders: %v", orders)
	}
	order := orders[0].(map[string]any)
	line := order["line_items"].([]any)[0].(map[string]any)
	if order["name"] != "#1042" || order["customer_first_name"] != "Ana" || order["shipping_country"] != "ES" ||
		line["title"] != "Taza azul" || line["quantity"] != float64(3) {
		t.Fatalf("order: %v", order)
	}
	// Both of the order's phones: Shopify's and the one given for texts.
	if order["phone"] != "+34612345678" || order["notify_phone"] != "+34699887766" {
		t.Fatalf("order phones: phone %v, notify_phone %v", order["phone"], order["notify_phone"])
	}
	shipments := report["shipments"].([]any)
	if len(shipments) != 1 {
		t.Fatalf("shipments: %v", shipments)
	}
	if sh := shipments[0].(map[string]any); sh["tracking_number"] != "RB123456785ES" || sh["carrier"] != "Correos" || sh["order_name"] != "#1042" {
		t.Fatalf("shipment: %v", sh)
	}
	// The WhatsApp message about the parcel, named by order and number.
	texts := report["texts"].([]any)
	if len(texts) != 1 {
		t.Fatalf("texts: %v", texts)
	}
	if m := texts[0].(map[string]any); m["channel"] != "whatsapp" || m["event"] != "shipped" || m["status"] != "sent" ||
		m["order_name"] != "#1042" || m["tracking_number"] != "RB123456785ES" || m["sent_at"] == nil || m["locale"] != "es" {
		t.Fatalf("text: %v", m)
	}

	// The rival sees its own request only, with its own order.
	code, body = e.do("GET", "/api/admin/data-requests", e.sessionToken("rival.myshopify.com", nil, apiSecret), "", nil)
	if code != 200 || body["total"] != float64(1) {
		t.Fatalf("rival: %d %v", code, body)
	}
	rivalOrders := body["data_requests"].([]any)[0].(map[string]any)["report"].(map[string]any)["orders"].([]any)
	if len(rivalOrders) != 1 || rivalOrders[0].(map[string]any)["name"] != "#2001" {
		t.Fatalf("rival's report: %v", rivalOrders)
	}

	// A page past the end is empty; a bad page is named; no token, no list.
	if code, body := e.do("GET", "/api/admin/data-requests?page=2", tok, "", nil); code != 200 || len(body["data_requests"].([]any)) != 0 || body["total"] != float64(2) {
		t.Fatalf("page 2: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/data-requests?page=0", tok, "", nil); code != 400 || body["message"] != "page must be a whole number from 1" {
		t.Fatalf("page 0: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/data-requests", "", "", nil); code != 401 || body["error"] != "unauthorized" {
		t.Fatalf("no token: %d %v", code, body)
	}
}
