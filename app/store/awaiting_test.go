package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// The awaiting list: orders with items left to fulfil and no live
// shipment, oldest first, only the shop's own; the dashboard counts the same.
func TestAwaitingOrders(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		acme, err := db.SaveInstall(ctx, "acme.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		rival, err := db.SaveInstall(ctx, "rival.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		order := func(shop *app.Shop, id int64, name string, placed time.Time, lines ...app.LineItem) {
			t.Helper()
			if _, err := db.SaveBackfilledOrder(ctx, app.Order{ID: id, ShopID: shop.ID, Name: name, ShippingCountry: "MX",
				ShopifyUpdatedAt: placed, LineItems: lines}, placed); err != nil {
				t.Fatal(err)
			}
		}
		mug := func(id int64, qty, left int) app.LineItem {
			return app.LineItem{ID: id, SKU: "MUG-01", Title: "Taza", Quantity: qty, FulfillableQuantity: left}
		}
		// Placed 3 days, 10 days and 1 day before now; #1004 has a shipment,
		// #1005 is fulfilled, #1006's shipment was cancelled.
		order(acme, 1, "#1001", t0.Add(-3*24*time.Hour), mug(11, 2, 2), app.LineItem{ID: 12, SKU: "LAMP-7", Title: "Lámpara", Quantity: 1, FulfillableQuantity: 1})
		order(acme, 2, "#1002", t0.Add(-10*24*time.Hour), mug(21, 3, 1))
		order(acme, 3, "#1003", t0.Add(-24*time.Hour), mug(31, 1, 1))
		order(acme, 4, "#1004", t0.Add(-20*24*time.Hour), mug(41, 1, 1))
		order(acme, 5, "#1005", t0.Add(-30*24*time.Hour), mug(51, 1, 0))
		order(acme, 6, "#1006", t0.Add(-2*24*time.Hour), mug(61, 1, 1))
		order(rival, 7, "#1001", t0.Add(-40*24*time.Hour), mug(71, 1, 1))

		key, _, err := db.CreateAPIKey(ctx, "acme.myshopify.com", "Proveedor Shenzhen")
		if err != nil {
			t.Fatal(err)
		}
		out, err := db.CreateShipments(ctx, []*app.Shipment{
			{ShopID: acme.ID, OrderRef: "#1004", OrderID: 4, OrderName: "#1004", TrackingNumber: "RB123456785ES", Source: app.SourceAPI, State: app.ShipmentPending, NotifyCustomer: true,
				LineItems: []app.ShipmentLineItem{{LineItemID: 41, SKU: "MUG-01", Quantity: 1}}},
			{ShopID: acme.ID, OrderRef: "#1006", OrderID: 6, OrderName: "#1006", TrackingNumber: "YT2300012345678901", Source: app.SourceManual, State: app.ShipmentPending, NotifyCustomer: true},
		}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RecordShipmentsAPIKey(ctx, acme.ID, []string{out[0].ShipmentID}, app.HashAPIKey(key)); err != nil {
			t.Fatal(err)
		}
		if err := db.SetShipmentState(ctx, out[1].ShipmentID, app.ShipmentCancelled, "cancelled in Shopify", app.EventCancelled, ""); err != nil {
			t.Fatal(err)
		}

		page, err := db.AwaitingOrders(ctx, acme.ID, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range page.Orders {
			names = append(names, o.Name)
		}
		if page.Total != 4 || len(names) != 4 || names[0] != "#1002" || names[1] != "#1001" || names[2] != "#1006" || names[3] != "#1003" {
			t.Fatalf("awaiting: total %d, %v; want #1002 #1001 #1006 #1003", page.Total, names)
		}
		first := page.Orders[0]
		if first.AgeDays != 10 || !first.Fulfilled || first.ShippingCountry != "MX" || len(first.LineItems) != 1 ||
			first.LineItems[0].Quantity != 3 || first.LineItems[0].FulfillableQuantity != 1 || first.LineItems[0].Supplier != "Proveedor Shenzhen" {
			t.Fatalf("#1002: %+v", first)
		}
		second := page.Orders[1]
		if second.AgeDays != 3 || second.Fulfilled || len(second.LineItems) != 2 || second.LineItems[1].Title != "Lámpara" || second.LineItems[1].Supplier != "" {
			t.Fatalf("#1001: %+v", second)
		}
		counts, err := db.DashboardCounts(ctx, acme.ID, t0.Add(-7*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if counts.AwaitingTracking != page.Total {
			t.Fatalf("dashboard says %d awaiting, the list %d", counts.AwaitingTracking, page.Total)
		}
		// Pages: two a page, oldest first across pages.
		p2, err := db.AwaitingOrders(ctx, acme.ID, 2, 2)
		if err != nil || p2.Total != 4 || len(p2.Orders) != 2 || p2.Orders[0].Name != "#1006" {
			t.Fatalf("page 2: %+v %v", p2, err)
		}
		// The rival sees only its own.
		if rp, err := db.AwaitingOrders(ctx, rival.ID, 1, 50); err != nil || rp.Total != 1 || rp.Orders[0].ID != 7 || rp.Orders[0].LineItems[0].Supplier != "" {
			t.Fatalf("rival: %+v %v", rp, err)
		}
		// An order Waybill saw by webhook keeps the earlier placement date.
		if _, err := db.SaveOrder(ctx, app.Order{ID: 2, ShopID: acme.ID, Name: "#1002", ShopifyUpdatedAt: t0, LineItems: []app.LineItem{mug(21, 3, 0)}}); err != nil {
			t.Fatal(err)
		}
		if p, err := db.AwaitingOrders(ctx, acme.ID, 1, 50); err != nil || p.Total != 3 || p.Orders[0].Name != "#1001" {
			t.Fatalf("after #1002 was fulfilled: %+v %v", p, err)
		}
	})
}
