package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// The awaiting list as the admin reads it: oldest first, quantities, the
// supplier whose key last sent a number for the SKU, only the shop's own.
func TestAwaitingOrdersAPI(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	ctx := context.Background()
	acme := e.shops["acme.myshopify.com"]
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)

	// #1002 waits with two mugs left; the supplier then sends #1001's number.
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: 800, ShopID: acme.ID, Name: "#1002", ShippingCountry: "ES", ShopifyUpdatedAt: time.Now(),
		LineItems: []app.LineItem{{ID: 8001, SKU: "MUG-01", Title: "Taza", Quantity: 3, FulfillableQuantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	code, body := e.do("GET", "/api/admin/orders/awaiting", tok, "", nil)
	if code != 200 || body["total"] != 2.0 {
		t.Fatalf("before: %d %v", code, body)
	}
	if code, res := e.do("POST", "/api/v1/tracking", e.keys["acme.myshopify.com"], "application/json",
		[]byte(`{"order":"#1001","tracking_number":"RB123456785ES","line_items":[{"sku":"MUG-01","quantity":2}]}`)); code != 202 {
		t.Fatalf("supplier: %d %v", code, res)
	}
	code, body = e.do("GET", "/api/admin/orders/awaiting?page=1", tok, "", nil)
	if code != 200 || body["total"] != 1.0 || body["page"] != 1.0 || body["per_page"] != 50.0 {
		t.Fatalf("after: %d %v", code, body)
	}
	orders := body["orders"].([]any)
	o := orders[0].(map[string]any)
	line := o["line_items"].([]any)[0].(map[string]any)
	if o["name"] != "#1002" || o["shipping_country"] != "ES" || o["age_days"] != 0.0 || o["fulfilled"] != true || o["created_at"] == "" ||
		line["sku"] != "MUG-01" || line["title"] != "Taza" || line["quantity"] != 3.0 || line["fulfillable_quantity"] != 2.0 || line["supplier"] != "supplier" {
		t.Fatalf("order: %v", o)
	}
	if bad := snakeKeys("GET awaiting", body); len(bad) > 0 {
		t.Errorf("not snake_case: %v", bad)
	}
	// The rival sees its own #1001 only, with no supplier (its key sent nothing).
	code, body = e.do("GET", "/api/admin/orders/awaiting", e.sessionToken("rival.myshopify.com", nil, apiSecret), "", nil)
	if code != 200 || body["total"] != 1.0 || body["orders"].([]any)[0].(map[string]any)["id"] != 701.0 {
		t.Fatalf("rival: %d %v", code, body)
	}
	// The dashboard's number is the list's.
	if code, stats := e.do("GET", "/api/admin/stats", tok, "", nil); code != 200 || stats["last_7_days"].(map[string]any)["awaiting_tracking"] != 1.0 {
		t.Fatalf("stats: %d %v", code, stats)
	}
	if code, body := e.do("GET", "/api/admin/orders/awaiting?page=0", tok, "", nil); code != 400 || !strings.Contains(body["message"].(string), "page") {
		t.Fatalf("page 0: %d %v", code, body)
	}
	if code, _ := e.do("GET", "/api/admin/orders/awaiting", "", "", nil); code != 401 {
		t.Fatalf("no session: %d", code)
	}
}

// The carrier guess for the manual-entry form.
func TestDetectCarrierAPI(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	code, body := e.do("GET", "/api/admin/carriers/detect?number="+url.QueryEscape("1z999aa1 0123456784"), tok, "", nil)
	if code != 200 || body["carrier"] != "UPS" || body["number"] != "1Z999AA10123456784" || !strings.Contains(body["tracking_url"].(string), "1Z999AA10123456784") {
		t.Fatalf("UPS: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/carriers/detect?number=RB123456785ES", tok, "", nil); code != 200 || body["carrier"] != "Correos" {
		t.Fatalf("Correos: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/carriers/detect?number=ABC1", tok, "", nil); code != 200 || body["carrier"] != "" || body["tracking_url"] != "" {
		t.Fatalf("unknown: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/carriers/detect?number=", tok, "", nil); code != 400 || !strings.Contains(body["message"].(string), "number is required") {
		t.Fatalf("empty: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/carriers/detect?number="+strings.Repeat("9", 101), tok, "", nil); code != 400 || !strings.Contains(body["message"].(string), "number") {
		t.Fatalf("too long: %d %v", code, body)
	}
}

// Manual entry for an order already fulfilled without a number: accepted,
// and the push puts the number on that fulfillment (no second one).
func TestManualEntryOnAFulfilledOrder(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	ctx := context.Background()
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	o := e.fake.CreateOrder("acme.myshopify.com", shopifyfake.NewOrder{Name: "#3001",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 2}}})
	f, err := e.fake.CreateFulfillment("acme.myshopify.com", o.ID, shopifyfake.NewFulfillment{})
	if err != nil {
		t.Fatal(err)
	}
	code, body := e.do("POST", "/api/admin/shipments", tok, "application/json",
		[]byte(`[{"order":"#3001","tracking_number":"1Z999AA10123456784","carrier":"UPS","line_items":[{"sku":"MUG-01","quantity":2}]}]`))
	res := body["results"].([]any)[0].(map[string]any)
	if code != 200 || res["status"] != "accepted" {
		t.Fatalf("manual entry: %d %v", code, body)
	}
	if err := e.Shipping.Push(ctx, res["shipment_id"].(string), false); err != nil {
		t.Fatal(err)
	}
	got, _ := e.fake.Order("acme.myshopify.com", o.ID)
	if len(got.Fulfillments) != 1 || got.Fulfillments[0].ID != f.ID || len(got.Fulfillments[0].TrackingInfo) != 1 ||
		got.Fulfillments[0].TrackingInfo[0].Number != "1Z999AA10123456784" || got.Fulfillments[0].TrackingInfo[0].Company != "UPS" {
		t.Fatalf("fulfillments: %+v", got.Fulfillments)
	}
	sh, err := e.db.ShipmentByID(ctx, res["shipment_id"].(string))
	if err != nil || sh.State != app.ShipmentSynced || sh.ShopifyFulfillmentID != f.ID {
		t.Fatalf("shipment: %+v %v", sh, err)
	}
}
