package shopifyfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/shopifyfake"
)

func TestShopProfileHasTimezoneAndCountry(t *testing.T) {
	h := newHarness(t)
	h.store.AddShop(shopifyfake.Shop{Domain: "tienda-mx.myshopify.com", Email: "hola@tienda.mx", Timezone: "America/Mexico_City", Country: "MX"})
	q := `query ShopProfile { shop { name email contactEmail ianaTimezone shopAddress { countryCodeV2 country } billingAddress { countryCodeV2 } } }`
	r := h.gql(h.token, q, nil)
	if len(r.Errors) > 0 || path(r.Data, "shop", "ianaTimezone") != "Europe/Madrid" || path(r.Data, "shop", "shopAddress", "countryCodeV2") != "ES" ||
		path(r.Data, "shop", "shopAddress", "country") != "Spain" || path(r.Data, "shop", "billingAddress", "countryCodeV2") != "ES" {
		t.Fatalf("default shop: %+v", r)
	}
	other := *h
	other.token = h.store.IssueOfflineToken("tienda-mx.myshopify.com").AccessToken
	r = other.gqlAt("tienda-mx.myshopify.com", q, nil)
	if len(r.Errors) > 0 || path(r.Data, "shop", "ianaTimezone") != "America/Mexico_City" || path(r.Data, "shop", "shopAddress", "countryCodeV2") != "MX" ||
		path(r.Data, "shop", "contactEmail") != "hola@tienda.mx" {
		t.Fatalf("configured shop: %+v", r)
	}
}

// gqlAt is gql for another shop of the store.
func (h *harness) gqlAt(domain, q string, vars map[string]any) gqlResponse {
	h.t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Host = domain
		h.store.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := *h
	c.srv = srv
	return c.gql(h.token, q, vars)
}

const trackingQuery = `query FulfillmentTracking($id: ID!) { fulfillment(id: $id) {
  displayStatus estimatedDeliveryAt inTransitAt deliveredAt
  events(first: 50, sortKey: HAPPENED_AT, reverse: true) { nodes { status happenedAt message province country } } } }`

// Shopify's carrier tracking, as the fulfillment shows it: the events
// (sorted as asked), the display status, and the times.
func TestTrackedFulfillmentResolves(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	f, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456785ES"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("gid://shopify/Fulfillment/%d", f.ID)
	r := h.gql(h.token, trackingQuery, map[string]any{"id": id})
	if len(r.Errors) > 0 || path(r.Data, "fulfillment", "displayStatus") != "FULFILLED" || path(r.Data, "fulfillment", "inTransitAt") != nil ||
		len(path(r.Data, "fulfillment", "events", "nodes").([]any)) != 0 {
		t.Fatalf("untracked: %+v", r)
	}
	day := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	eta := day.Add(72 * time.Hour)
	if err := h.store.TrackFulfillment(shop, f.ID, "IN_TRANSIT", day, "Admitido", &eta); err != nil {
		t.Fatal(err)
	}
	// A scan reported late: it happened before the newest one.
	if _, err := h.store.TrackFulfillmentEvent(shop, f.ID, shopifyfake.FulfillmentEvent{Status: "OUT_FOR_DELIVERY",
		HappenedAt: day.Add(48 * time.Hour), Message: "En reparto", City: "Madrid", Province: "Madrid", Country: "ES", Zip: "28001"}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.TrackFulfillment(shop, f.ID, "IN_TRANSIT", day.Add(24*time.Hour), "En tránsito", nil); err != nil {
		t.Fatal(err)
	}
	if err := h.store.TrackFulfillment(shop, f.ID, "TELEPORTED", day, "", nil); err == nil {
		t.Fatal("a status Shopify does not have was accepted")
	}
	if err := h.store.TrackFulfillment(shop, 1, "IN_TRANSIT", day, "", nil); err == nil {
		t.Fatal("a fulfillment that does not exist was tracked")
	}
	r = h.gql(h.token, trackingQuery, map[string]any{"id": id})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	ff := path(r.Data, "fulfillment")
	want := map[string]any{"displayStatus": "IN_TRANSIT", "estimatedDeliveryAt": "2026-11-27T09:00:00Z",
		"inTransitAt": "2026-11-24T09:00:00Z", "deliveredAt": nil}
	for k, v := range want {
		if got := path(ff, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	var statuses []any
	for _, n := range path(ff, "events", "nodes").([]any) {
		statuses = append(statuses, path(n, "status"), path(n, "happenedAt"))
	}
	if want := []any{"OUT_FOR_DELIVERY", "2026-11-26T09:00:00Z", "IN_TRANSIT", "2026-11-25T09:00:00Z", "IN_TRANSIT", "2026-11-24T09:00:00Z"}; !reflect.DeepEqual(statuses, want) {
		t.Fatalf("events newest first: %v", statuses)
	}
	if path(ff, "events", "nodes", 0, "province") != "Madrid" || path(ff, "events", "nodes", 0, "country") != "ES" || path(ff, "events", "nodes", 1, "province") != nil {
		t.Fatalf("places: %+v", ff)
	}
	// By id (the default): in the order they were recorded.
	r = h.gql(h.token, `query($id: ID!) { fulfillment(id: $id) { events(first: 2) { nodes { message } pageInfo { hasNextPage } } } }`, map[string]any{"id": id})
	if path(r.Data, "fulfillment", "events", "nodes", 0, "message") != "Admitido" || path(r.Data, "fulfillment", "events", "nodes", 1, "message") != "En reparto" ||
		path(r.Data, "fulfillment", "events", "pageInfo", "hasNextPage") != true {
		t.Fatalf("by id: %+v", r)
	}
	if err := h.store.TrackFulfillment(shop, f.ID, "DELIVERED", day.Add(50*time.Hour), "Entregado", nil); err != nil {
		t.Fatal(err)
	}
	r = h.gql(h.token, trackingQuery, map[string]any{"id": id})
	if path(r.Data, "fulfillment", "displayStatus") != "DELIVERED" || path(r.Data, "fulfillment", "deliveredAt") != "2026-11-26T11:00:00Z" {
		t.Fatalf("delivered: %+v", r)
	}
	var rest map[string]any
	if err := json.Unmarshal(h.store.FulfillmentWebhook(shop, f.ID), &rest); err != nil {
		t.Fatal(err)
	}
	if rest["shipment_status"] != "delivered" {
		t.Fatalf("shipment_status %v", rest["shipment_status"])
	}
	if r = h.gql(h.token, trackingQuery, map[string]any{"id": "gid://shopify/Fulfillment/1"}); len(r.Errors) > 0 || path(r.Data, "fulfillment") != nil {
		t.Fatalf("a missing fulfillment: %+v", r)
	}
}

// delivery is one webhook the app under test received.
type delivery struct {
	header http.Header
	body   []byte
}

// headerSink records the webhooks the fake sends it, headers and bodies.
type headerSink struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

func newHeaderSink(t *testing.T) *headerSink {
	s := &headerSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the webhook: %v", err)
		}
		s.mu.Lock()
		s.got = append(s.got, delivery{r.Header.Clone(), b})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// byTopic returns the deliveries of topic, in no particular order.
func (s *headerSink) byTopic(topic string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.header.Get("X-Shopify-Topic") == topic {
			out = append(out, d)
		}
	}
	return out
}

// checkSigned checks Shopify's headers on a delivery signed with "hush".
func checkSigned(t *testing.T, d delivery, topic string) {
	t.Helper()
	hd := d.header
	if hd.Get("X-Shopify-Topic") != topic || hd.Get("X-Shopify-Shop-Domain") != shop || hd.Get("X-Shopify-API-Version") != "2026-10" ||
		hd.Get("X-Shopify-Hmac-Sha256") != shopifyfake.SignWebhook("hush", d.body) || hd.Get("X-Shopify-Webhook-Id") == "" ||
		hd.Get("X-Shopify-Event-Id") == "" || hd.Get("X-Shopify-Triggered-At") == "" || hd.Get("Content-Type") != "application/json" {
		t.Fatalf("%s headers: %v", topic, hd)
	}
}

// When Shopify's carrier tracking adds an event, Shopify sends
// fulfillment_events/create (the event, with every key of its published
// sample) and fulfillments/update (the new shipment_status), signed, one
// event id for both.
func TestTrackFulfillmentSendsShopifysWebhooks(t *testing.T) {
	h := newHarness(t) // DeliverWebhooks off: carrier tracking sends anyway
	sink := newHeaderSink(t)
	h.subscribe(t, sink.URL, "FULFILLMENT_EVENTS_CREATE", "FULFILLMENTS_UPDATE")
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	f, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "UPS", Number: "1Z999AA10123456784"}}})
	if err != nil {
		t.Fatal(err)
	}
	happened := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	eta := happened.Add(30 * time.Hour)
	ev, err := h.store.TrackFulfillmentEvent(shop, f.ID, shopifyfake.FulfillmentEvent{Status: "out_for_delivery", HappenedAt: happened,
		Message: "On the truck", Province: "Madrid", Country: "ES", City: "Madrid", EstimatedDeliveryAt: &eta})
	if err != nil {
		t.Fatal(err)
	}
	h.store.Wait()
	events, updates := sink.byTopic("fulfillment_events/create"), sink.byTopic("fulfillments/update")
	if len(events) != 1 || len(updates) != 1 {
		t.Fatalf("%d fulfillment_events/create, %d fulfillments/update", len(events), len(updates))
	}
	checkSigned(t, events[0], "fulfillment_events/create")
	checkSigned(t, updates[0], "fulfillments/update")
	if events[0].header.Get("X-Shopify-Event-Id") != updates[0].header.Get("X-Shopify-Event-Id") {
		t.Fatal("one change, two event ids")
	}
	var body map[string]any
	if err := json.Unmarshal(events[0].body, &body); err != nil {
		t.Fatal(err)
	}
	sample := readSample(t, "fulfillment_events/create")
	if !reflect.DeepEqual(keysOf(sample), keysOf(body)) {
		t.Fatalf("keys %v, the sample's %v", keysOf(body), keysOf(sample))
	}
	for k, v := range map[string]any{"id": float64(ev.ID), "fulfillment_id": float64(f.ID), "order_id": float64(o.ID), "status": "out_for_delivery",
		"message": "On the truck", "happened_at": "2026-11-25T08:30:00Z", "estimated_delivery_at": "2026-11-26T14:30:00Z",
		"province": "Madrid", "country": "ES", "city": "Madrid", "zip": nil, "latitude": nil,
		"admin_graphql_api_id": fmt.Sprintf("gid://shopify/FulfillmentEvent/%d", ev.ID)} {
		if body[k] != v {
			t.Errorf("%s = %#v, want %#v", k, body[k], v)
		}
	}
	if _, ok := body["shop_id"].(float64); !ok {
		t.Errorf("shop_id %#v", body["shop_id"])
	}
	var update map[string]any
	if err := json.Unmarshal(updates[0].body, &update); err != nil {
		t.Fatal(err)
	}
	if update["id"] != float64(f.ID) || update["shipment_status"] != "out_for_delivery" || update["updated_at"] != "2026-11-24T12:00:00Z" {
		t.Fatalf("fulfillments/update: id %v shipment_status %v updated_at %v", update["id"], update["shipment_status"], update["updated_at"])
	}
}

// Waybill's own fulfillmentEventCreate is echoed back by Shopify the same
// way (with DeliverWebhooks, as Shopify sends them).
func TestFulfillmentEventCreateSendsTheWebhooks(t *testing.T) {
	sink := newHeaderSink(t)
	store := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush", DeliverWebhooks: true})
	store.AddShop(shopifyfake.Shop{Domain: shop})
	srv := httptest.NewServer(store.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, store: store, srv: srv, token: store.IssueOfflineToken(shop).AccessToken}
	h.subscribe(t, sink.URL, "FULFILLMENT_EVENTS_CREATE", "FULFILLMENTS_UPDATE")
	o := store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	f, err := store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{})
	if err != nil {
		t.Fatal(err)
	}
	r := h.gql(h.token, `mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { fulfillmentEvent { id status } userErrors { message } } }`,
		map[string]any{"e": map[string]any{"fulfillmentId": fmt.Sprintf("gid://shopify/Fulfillment/%d", f.ID), "status": "DELIVERED",
			"happenedAt": "2026-11-26T10:00:00Z", "message": "Delivered", "province": "Jalisco", "country": "MX"}})
	if len(r.Errors) > 0 || path(r.Data, "fulfillmentEventCreate", "fulfillmentEvent", "status") != "DELIVERED" {
		t.Fatalf("fulfillmentEventCreate: %+v", r)
	}
	store.Wait()
	events := sink.byTopic("fulfillment_events/create")
	if len(events) != 1 || len(sink.byTopic("fulfillments/update")) != 1 {
		t.Fatalf("%d fulfillment_events/create, %d fulfillments/update", len(events), len(sink.byTopic("fulfillments/update")))
	}
	checkSigned(t, events[0], "fulfillment_events/create")
	var body map[string]any
	if err := json.Unmarshal(events[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body["status"] != "delivered" || body["happened_at"] != "2026-11-26T10:00:00Z" || body["province"] != "Jalisco" ||
		body["fulfillment_id"] != float64(f.ID) || path(r.Data, "fulfillmentEventCreate", "fulfillmentEvent", "id") != body["admin_graphql_api_id"] {
		t.Fatalf("body: %s", events[0].body)
	}
}
