package webhooks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/store"
)

// sample reads one of Shopify's published webhook sample payloads
// (testdata/shopify: the webhook reference's examples), as Shopify sends it.
func sample(t *testing.T, topic string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "shopify", strings.ReplaceAll(topic, "/", "_")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Shopify's own sample payloads go through the real intake and jobs, field
// by field: the order is kept, its fulfillment (Shopify's sample is
// pending) is recorded without telling the customer until it succeeds, the
// privacy requests are done, and the uninstall and shop redaction end it all.
func TestShopifySamplePayloads(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	const orderID = 820982911946154508
	for _, topic := range []string{"orders/create", "orders/updated"} {
		if got := e.send(topic, "sample-"+topic, sample(t, topic)); got != 200 {
			t.Fatalf("%s: %d", topic, got)
		}
		e.processed(topic, "sample-"+topic)
	}
	o, err := e.db.OrderByID(ctx, e.shopID, orderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "#9999" || o.Email != "jon@example.com" || o.CustomerFirstName != "John" || o.CustomerLocale != "en" || len(o.LineItems) == 0 {
		t.Fatalf("order from Shopify's sample: %+v", o)
	}

	e.send("fulfillments/create", "sample-f", sample(t, "fulfillments/create"))
	e.processed("fulfillments/create", "sample-f")
	shipments, err := e.db.ShipmentsByOrder(ctx, e.shopID, orderID)
	if err != nil || len(shipments) != 1 {
		t.Fatalf("shipments from Shopify's sample fulfillment: %+v %v", shipments, err)
	}
	s := shipments[0]
	if s.TrackingNumber != "1z827wk74630" || s.Carrier != "UPS" || s.ShopifyFulfillmentID != 123456 || !strings.HasPrefix(s.TrackingURL, "https://www.ups.com/") {
		t.Fatalf("shipment: %+v", s)
	}
	if got := e.emails(s.ID); len(got) != 0 {
		t.Fatalf("the sample's pending fulfillment told the customer: %v", got)
	}
	succeeded := strings.Replace(string(sample(t, "fulfillments/update")), `"status": "pending"`, `"status": "success"`, 1)
	if !strings.Contains(succeeded, `"status": "success"`) {
		t.Fatal("the sample's status was not found")
	}
	e.send("fulfillments/update", "sample-f2", []byte(succeeded))
	e.processed("fulfillments/update", "sample-f2")
	if got := e.emails(s.ID); got[app.NotifyShipped] != 1 {
		t.Fatalf("once successful: %v", got)
	}

	// Shopify's carrier tracking of that fulfillment (the sample event is
	// about fulfillment 123456): the parcel is in transit, with the event as
	// its checkpoint.
	e.send("fulfillment_events/create", "sample-fe", sample(t, "fulfillment_events/create"))
	e.processed("fulfillment_events/create", "sample-fe")
	tracked, err := e.db.ShipmentByID(ctx, s.ID)
	if err != nil || tracked.Status != app.StatusInTransit {
		t.Fatalf("after Shopify's fulfillment event: %+v %v", tracked, err)
	}
	checkpoints, err := e.db.Checkpoints(ctx, s.ID)
	if err != nil || len(checkpoints) != 1 || checkpoints[0].Location != "CA" || checkpoints[0].Message != "Item is now in transit" {
		t.Fatalf("checkpoints: %+v %v", checkpoints, err)
	}

	e.send("customers/data_request", "sample-dr", sample(t, "customers/data_request"))
	e.processed("customers/data_request", "sample-dr")
	requests, err := e.db.DataRequests(ctx, e.shopID)
	if err != nil || len(requests) != 1 || requests[0].Customer.Email != "john@example.com" {
		t.Fatalf("data request: %+v %v", requests, err)
	}
	e.send("customers/redact", "sample-cr", sample(t, "customers/redact"))
	e.processed("customers/redact", "sample-cr")

	e.send("app/uninstalled", "sample-un", sample(t, "app/uninstalled"))
	e.processed("app/uninstalled", "sample-un")
	if shop := e.Shop(shop); shop.UninstalledAt == nil {
		t.Fatal("app/uninstalled did not mark the shop")
	}
	e.send("shop/redact", "sample-sr", sample(t, "shop/redact"))
	e.processed("shop/redact", "sample-sr")
	if _, err := e.db.ShopByDomain(ctx, shop); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatalf("shop/redact left the shop: %v", err)
	}
}
