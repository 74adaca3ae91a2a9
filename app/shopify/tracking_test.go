package shopify_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
)

func TestShopProfileReadsTimezoneAndCountry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := e.svc.ShopProfile(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	// The fake's defaults: a Spanish store.
	if want := (app.ShopProfile{Name: shop, Timezone: "Europe/Madrid", Country: "ES"}); p != want {
		t.Fatalf("profile %+v, want %+v", p, want)
	}
	const mx = "tienda-mx.myshopify.com"
	e.fake.AddShop(shopifyfake.Shop{Domain: mx, Name: "Tienda MX", Email: "hola@tienda.mx", Timezone: "America/Mexico_City", Country: "MX"})
	if _, err := e.db.SaveInstall(ctx, mx, e.fake.IssueOfflineToken(mx)); err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.ShopProfile(ctx, mx)
	if want := (app.ShopProfile{Name: "Tienda MX", Email: "hola@tienda.mx", Timezone: "America/Mexico_City", Country: "MX"}); err != nil || p != want {
		t.Fatalf("profile %+v %v, want %+v", p, err, want)
	}
}

// Shopify's own carrier tracking of a fulfillment, read back as Waybill
// uses it: the events with their times and places (province and country
// only), the display status and times, and the status update they make.
func TestFulfillmentTrackingReadsShopifysTracking(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.fake.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Quantity: 1}}})
	f, err := e.fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456785ES"}}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.svc.FulfillmentTracking(ctx, shop, f.ID)
	if err != nil || tr.DisplayStatus != "FULFILLED" || len(tr.Events) != 0 || tr.EstimatedDeliveryAt != nil {
		t.Fatalf("untracked: %+v %v", tr, err)
	}
	if _, ok := tr.Update("RB123456785ES"); ok {
		t.Fatal("an untracked fulfillment made a status update")
	}

	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	eta := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	track := func(ev shopifyfake.FulfillmentEvent) {
		t.Helper()
		if _, err := e.fake.TrackFulfillmentEvent(shop, f.ID, ev); err != nil {
			t.Fatal(err)
		}
	}
	track(shopifyfake.FulfillmentEvent{Status: "CONFIRMED", HappenedAt: day, Message: "Pre-registered"})
	track(shopifyfake.FulfillmentEvent{Status: "IN_TRANSIT", HappenedAt: day.Add(26 * time.Hour), Message: "In transit",
		City: "Coslada", Province: "Madrid", Country: "ES", Zip: "28820", EstimatedDeliveryAt: &eta})
	track(shopifyfake.FulfillmentEvent{Status: "OUT_FOR_DELIVERY", HappenedAt: day.Add(50 * time.Hour), Message: "Out for delivery",
		City: "Sevilla", Province: "Sevilla", Country: "ES"})

	tr, err = e.svc.FulfillmentTracking(ctx, shop, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	inTransit := day.Add(26 * time.Hour)
	want := &app.FulfillmentTracking{DisplayStatus: "OUT_FOR_DELIVERY", EstimatedDeliveryAt: &eta, InTransitAt: &inTransit,
		Events: []app.FulfillmentTrackingEvent{
			{Status: "CONFIRMED", HappenedAt: day, Message: "Pre-registered"},
			{Status: "IN_TRANSIT", HappenedAt: inTransit, Message: "In transit", Province: "Madrid", Country: "ES"},
			{Status: "OUT_FOR_DELIVERY", HappenedAt: day.Add(50 * time.Hour), Message: "Out for delivery", Province: "Sevilla", Country: "ES"},
		}}
	if !reflect.DeepEqual(tr, want) {
		t.Fatalf("tracking\n got %+v\nwant %+v", tr, want)
	}
	u, ok := tr.Update("RB123456785ES")
	if !ok || u.Source != app.ProviderShopify || u.TrackingNumber != "RB123456785ES" || u.Status != app.StatusOutForDelivery ||
		!u.StatusAt.Equal(day.Add(50*time.Hour)) || u.EstimatedDelivery == nil || !u.EstimatedDelivery.Equal(eta) || len(u.Checkpoints) != 3 ||
		u.Checkpoints[1].Location != "Madrid, ES" || u.Checkpoints[0].Status != app.StatusInfoReceived {
		t.Fatalf("update: %+v", u)
	}

	delivered := day.Add(53 * time.Hour)
	if err := e.fake.TrackFulfillment(shop, f.ID, "DELIVERED", delivered, "Delivered", nil); err != nil {
		t.Fatal(err)
	}
	tr, err = e.svc.FulfillmentTracking(ctx, shop, f.ID)
	if err != nil || tr.DisplayStatus != "DELIVERED" || tr.DeliveredAt == nil || !tr.DeliveredAt.Equal(delivered) || len(tr.Events) != 4 {
		t.Fatalf("delivered: %+v %v", tr, err)
	}
	if u, ok := tr.Update("RB123456785ES"); !ok || u.Status != app.StatusDelivered || !u.StatusAt.Equal(delivered) {
		t.Fatalf("delivered update: %+v", u)
	}

	if _, err := e.svc.FulfillmentTracking(ctx, shop, f.ID+999); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatalf("a fulfillment Shopify does not have: %v", err)
	}
}

// The newest 50 events are read: a parcel with more keeps its latest news.
func TestFulfillmentTrackingKeepsTheNewestEvents(t *testing.T) {
	e := newEnv(t)
	o := e.fake.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	f, err := e.fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Number: "LX123456785CN"}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		if err := e.fake.TrackFulfillment(shop, f.ID, "IN_TRANSIT", start.Add(time.Duration(i)*time.Hour), "scan", nil); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := e.svc.FulfillmentTracking(context.Background(), shop, f.ID)
	if err != nil || len(tr.Events) != 50 || !tr.Events[49].HappenedAt.Equal(start.Add(59*time.Hour)) || !tr.Events[0].HappenedAt.Equal(start.Add(10*time.Hour)) {
		t.Fatalf("events: %d %v", len(tr.Events), err)
	}
}
