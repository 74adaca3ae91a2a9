package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/webhooks"
)

// processedCount is how many deliveries of topic the worker has recorded
// as processed.
func (e *env) processedCount(topic string) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM webhook_events WHERE topic = ?", topic).Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitProcessed waits until n deliveries of topic were processed.
func (e *env) waitProcessed(topic string, n int64) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if e.processedCount(topic) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("%d %s processed, want %d", e.processedCount(topic), topic, n)
}

// Shopify's own carrier tracking, with no set-up: the shop's subscriptions
// (made at install) bring the fake store's fulfillment_events/create and
// fulfillments/update, signed as Shopify signs them, and the shipment of
// that fulfillment follows the parcel.
func TestShopifysCarrierTrackingMovesTheShipment(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	if _, err := e.Shopify.EnsureWebhookSubscriptions(ctx, e.Shop(shop), e.url+"/webhooks", webhooks.SubscribedTopics()); err != nil {
		t.Fatal(err)
	}
	o := e.fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
	e.send("orders/create", "ev-track-o", e.fake.RESTOrder(shop, o.ID))
	e.processed("orders/create", "ev-track-o")
	f, err := e.fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{SendWebhooks: true,
		Tracking: []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456785ES", URL: "https://www.correos.es/track/RB123456785ES"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Wait()
	e.waitProcessed("fulfillments/create", 1)

	happened := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	eta := happened.Add(48 * time.Hour)
	if _, err := e.fake.TrackFulfillmentEvent(shop, f.ID, shopifyfake.FulfillmentEvent{Status: "IN_TRANSIT", HappenedAt: happened,
		Message: "En tránsito", City: "Coslada", Province: "Madrid", Country: "ES", Zip: "28820", EstimatedDeliveryAt: &eta}); err != nil {
		t.Fatal(err)
	}
	e.fake.Wait()
	if n := e.fake.Calls("webhook_failed"); n != 0 {
		t.Fatalf("%d webhooks not accepted", n)
	}
	e.waitProcessed("fulfillment_events/create", 1)
	e.waitProcessed("fulfillments/update", 1)

	shipments, err := e.db.ShipmentsByOrder(ctx, e.shopID, o.ID)
	if err != nil || len(shipments) != 1 {
		t.Fatalf("shipments %+v %v", shipments, err)
	}
	s := shipments[0]
	if s.Status != app.StatusInTransit || s.EstimatedDeliveryAt == nil || !s.EstimatedDeliveryAt.Equal(eta) {
		t.Fatalf("shipment status %s, estimate %v", s.Status, s.EstimatedDeliveryAt)
	}
	cps, err := e.db.Checkpoints(ctx, s.ID)
	if err != nil || len(cps) != 1 || cps[0].Location != "Madrid, ES" || cps[0].Message != "En tránsito" || !cps[0].HappenedAt.Equal(happened) {
		t.Fatalf("checkpoints %+v %v", cps, err)
	}
}
