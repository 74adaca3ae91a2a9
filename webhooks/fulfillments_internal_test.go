package webhooks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
)

func sampleDelivery(t *testing.T, topic string) app.WebhookDelivery {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "shopify", strings.ReplaceAll(topic, "/", "_")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return app.WebhookDelivery{Topic: topic, Body: b}
}

// Shopify's sample fulfillment_events/create becomes one checkpoint of the
// fulfillment's shipments, placed at its province and country.
func TestFulfillmentEventSampleParses(t *testing.T) {
	u, ok, err := parseFulfillmentEvent(sampleDelivery(t, "fulfillment_events/create"))
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC) // 2021-12-31T19:00:00-05:00
	want := app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 123456, Status: app.StatusInTransit, StatusAt: at,
		Checkpoints: []app.Checkpoint{{HappenedAt: at, Status: app.StatusInTransit, Location: "CA", Message: "Item is now in transit"}}}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("update\n got %+v\nwant %+v", u, want)
	}
}

func TestFulfillmentEventFields(t *testing.T) {
	body := `{"id": 9, "fulfillment_id": 255858046, "order_id": 450789469, "status": "out_for_delivery", "message": " En reparto ",
	  "happened_at": "2026-11-25T09:30:00+01:00", "city": "Sevilla", "province": "Sevilla", "country": "ES", "zip": "41001",
	  "address1": "Calle Sierpes 1", "latitude": 37.39, "longitude": -5.99, "shop_id": 548380009,
	  "created_at": "2026-11-25T09:31:00+01:00", "updated_at": "2026-11-25T09:31:00+01:00",
	  "estimated_delivery_at": "2026-11-25T20:00:00+01:00", "admin_graphql_api_id": "gid://shopify/FulfillmentEvent/9"}`
	u, ok, err := parseFulfillmentEvent(app.WebhookDelivery{Topic: "fulfillment_events/create", Body: []byte(body)})
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	at := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	eta := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	if u.FulfillmentID != 255858046 || u.TrackingNumber != "" || u.Source != app.ProviderShopify || u.Status != app.StatusOutForDelivery ||
		!u.StatusAt.Equal(at) || u.EstimatedDelivery == nil || !u.EstimatedDelivery.Equal(eta) || len(u.Checkpoints) != 1 {
		t.Fatalf("update %+v", u)
	}
	// Never the city or the street: protected customer data.
	if c := u.Checkpoints[0]; c.Location != "Sevilla, ES" || c.Message != "En reparto" || !c.HappenedAt.Equal(at) || c.Status != app.StatusOutForDelivery {
		t.Fatalf("checkpoint %+v", c)
	}

	for status, want := range map[string]app.ParcelStatus{
		"confirmed": app.StatusInfoReceived, "label_printed": app.StatusInfoReceived, "in_transit": app.StatusInTransit,
		"attempted_delivery": app.StatusAttemptedDelivery, "ready_for_pickup": app.StatusAvailableForPickup,
		"delivered": app.StatusDelivered, "failure": app.StatusException, "carrier_picked_up": app.StatusInTransit,
	} {
		b := `{"id": 1, "fulfillment_id": 2, "status": "` + status + `", "happened_at": "2026-11-25T09:30:00Z"}`
		if u, ok, err := parseFulfillmentEvent(app.WebhookDelivery{Body: []byte(b)}); err != nil || !ok || u.Status != want {
			t.Errorf("%s: %v %v %v, want %s", status, u.Status, ok, err, want)
		}
	}
	// A status Waybill does not follow: acknowledged, nothing applied.
	if _, ok, err := parseFulfillmentEvent(app.WebhookDelivery{Body: []byte(`{"id": 1, "fulfillment_id": 2, "status": "teleported", "happened_at": "2026-11-25T09:30:00Z"}`)}); ok || err != nil {
		t.Fatalf("unknown status: %v %v", ok, err)
	}
	// Without happened_at, when Shopify recorded it.
	if u, ok, err := parseFulfillmentEvent(app.WebhookDelivery{Body: []byte(`{"id": 1, "fulfillment_id": 2, "status": "delivered", "happened_at": null, "created_at": "2026-11-25T09:30:00Z"}`)}); err != nil || !ok ||
		!u.StatusAt.Equal(time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("created_at: %+v %v %v", u, ok, err)
	}
	for name, b := range map[string]string{
		"not JSON":          `{"id": `,
		"no fulfillment_id": `{"id": 1, "status": "delivered", "happened_at": "2026-11-25T09:30:00Z"}`,
		"no time":           `{"id": 1, "fulfillment_id": 2, "status": "delivered"}`,
	} {
		if _, _, err := parseFulfillmentEvent(app.WebhookDelivery{Body: []byte(b)}); app.ErrorCodeOf(err) != app.ErrInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// fulfillments/* carry Shopify's own tracking status of the parcel and when
// the fulfillment last changed.
func TestFulfillmentShipmentStatusAndUpdatedAt(t *testing.T) {
	f, err := parseFulfillment(sampleDelivery(t, "fulfillments/update"))
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != 123456 || f.ShipmentStatus != "" || !f.UpdatedAt.Equal(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)) || f.UpdatedAt.Location() != time.UTC {
		t.Fatalf("sample: %+v", f)
	}
	d := sampleDelivery(t, "fulfillments/update")
	d.Body = []byte(strings.Replace(string(d.Body), `"shipment_status": null`, `"shipment_status": "out_for_delivery"`, 1))
	d.Body = []byte(strings.Replace(string(d.Body), `"updated_at": "2021-12-31T19:00:00-05:00",
  "tracking_company"`, `"updated_at": "2026-11-25T10:15:00+01:00",
  "tracking_company"`, 1))
	f, err = parseFulfillment(d)
	if err != nil {
		t.Fatal(err)
	}
	if f.ShipmentStatus != "out_for_delivery" || !f.UpdatedAt.Equal(time.Date(2026, 11, 25, 9, 15, 0, 0, time.UTC)) {
		t.Fatalf("tracked: %q %v", f.ShipmentStatus, f.UpdatedAt)
	}
	if st, ok := app.ShopifyShipmentStatus(f.ShipmentStatus); !ok || st != app.StatusOutForDelivery {
		t.Fatalf("maps to %v %v", st, ok)
	}
}
