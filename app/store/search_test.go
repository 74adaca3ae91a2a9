package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// Search matches its term literally on both engines: % and _ are not
// wildcards (SQLite has no default LIKE escape), a backslash is a backslash,
// and a term too long to be a search is refused with a sentence instead of
// SQLite's "LIKE or GLOB pattern too complex" (a 500).
func TestSearchIsLiteralAndBounded(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		var batch []*app.Shipment
		for i, s := range []struct{ order, carrier string }{
			{"#1001", "ACME_POST"}, {"#1002", "ACMEXPOST"}, {"#100%", "Correos"}, {`#10\01`, "UPS"}, {"#1005", "DHL"},
		} {
			batch = append(batch, &app.Shipment{ShopID: shop.ID, OrderRef: s.order, OrderName: s.order, Carrier: s.carrier,
				TrackingNumber: "RB12345678" + string(rune('0'+i)) + "ES", Source: app.SourceAPI, State: app.ShipmentPending})
		}
		if _, err := db.CreateShipments(ctx, batch, "test"); err != nil {
			t.Fatal(err)
		}
		search := func(q string) ([]string, error) {
			page, err := db.ListShipments(ctx, shop.ID, app.ShipmentFilter{Query: q})
			var orders []string
			for _, s := range page.Shipments {
				orders = append(orders, s.OrderName)
			}
			return orders, err
		}
		for q, want := range map[string]string{
			"ACME_POST": "#1001", "acme_post": "#1001", "_": "#1001", "%": "#100%", "100%": "#100%", `\`: `#10\01`, `10\0`: `#10\01`,
			"acmexpost": "#1002", "rb123456782": "#100%", "nothing-like-it": "",
		} {
			got, err := search(q)
			if err != nil || strings.Join(got, ",") != want {
				t.Errorf("q=%q: %v %v, want [%s]", q, got, err, want)
			}
		}
		if got, err := search("#100"); err != nil || len(got) != 4 {
			t.Errorf("q=#100: %v %v, want four orders", got, err)
		}
		for _, q := range []string{strings.Repeat("a", app.MaxSearchLength+1), strings.Repeat("%_", 25005), "a\x00b"} {
			_, err := search(q)
			if app.ErrorCodeOf(err) != app.ErrInvalid {
				t.Errorf("q of %d characters (%.10q…): %v, want a refusal", len(q), q, err)
			}
		}
		if _, err := search(strings.Repeat("é", app.MaxSearchLength)); err != nil {
			t.Errorf("q of %d characters: %v", app.MaxSearchLength, err)
		}
	})
}

// The store keeps its own lock on what becomes a link: a tracking URL that
// is not http(s), or a carrier intake would refuse, is never written, by
// any of the three writes (intake, edit, Shopify's fulfillment).
func TestStoreRefusesLinksIntakeRefuses(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		good := &app.Shipment{ShopID: shop.ID, OrderRef: "#1001", TrackingNumber: "RB123456785ES", Carrier: "Correos",
			TrackingURL: "https://www.correos.es/x", Source: app.SourceAPI, State: app.ShipmentPending}
		out, err := db.CreateShipments(ctx, []*app.Shipment{good}, "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct{ url, carrier string }{
			{"javascript:alert(document.domain)", "UPS"}, {"data:text/html,x", "UPS"}, {"https://x.example/" + strings.Repeat("a", 2000), "UPS"},
			{"", strings.Repeat("C", 101)}, {"", "UPS\r\nX"},
		} {
			s := &app.Shipment{ShopID: shop.ID, OrderRef: "#1002", TrackingNumber: "LX123456785CN", Carrier: bad.carrier, TrackingURL: bad.url,
				Source: app.SourceAPI, State: app.ShipmentPending}
			if _, err := db.CreateShipments(ctx, []*app.Shipment{s}, "test"); app.ErrorCodeOf(err) != app.ErrInvalid {
				t.Errorf("create with %.30q / %.30q: %v", bad.url, bad.carrier, err)
			}
			if _, err := db.EditShipmentTracking(ctx, out[0].ShipmentID, "RB123456785ES", bad.carrier, bad.url); app.ErrorCodeOf(err) != app.ErrInvalid {
				t.Errorf("edit to %.30q / %.30q: %v", bad.url, bad.carrier, err)
			}
			f := app.ShopifyFulfillment{ID: 77, OrderID: 1, Status: app.FulfillmentSuccess, TrackingNumbers: []string{"1Z5R89390357567127"},
				TrackingURLs: []string{bad.url}, Carrier: bad.carrier}
			if _, err := db.RecordShopifyFulfillment(ctx, shop.ID, f); app.ErrorCodeOf(err) != app.ErrInvalid {
				t.Errorf("fulfillment with %.30q / %.30q: %v", bad.url, bad.carrier, err)
			}
		}
		page, err := db.ListShipments(ctx, shop.ID, app.ShipmentFilter{})
		if err != nil || page.Total != 1 || page.Shipments[0].TrackingURL != good.TrackingURL || page.Shipments[0].Carrier != "Correos" {
			t.Fatalf("after the refusals: %+v %v", page, err)
		}
	})
}
