package webhooks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
	"github.com/waybill-app/waybill/webhooks"
)

const (
	shop   = "acme.myshopify.com"
	secret = wiringtest.APISecret
)

type env struct {
	*wiringtest.Harness
	t         *testing.T
	db        *store.DB
	fake      *shopifyfake.Store
	url       string
	rdb       goredis.UniversalClient
	inspector *asynq.Inspector
	shopID    string
}

// newEnv runs the real server and worker; with breakableRedis the test can
// take Redis away.
func newEnv(t *testing.T, engine store.Engine, breakableRedis bool) *env {
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 5, Engine: engine, BreakableRedis: breakableRedis, Shops: []string{shop}})
	h.StartWorker(wiringtest.TestWorker(4))
	return &env{Harness: h, t: t, db: h.DB, fake: h.Fake, url: h.URL, rdb: h.RDB, inspector: h.Inspect, shopID: h.Shop(shop).ID}
}

func (e *env) send(topic, eventID string, body any) int {
	e.t.Helper()
	b, ok := body.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := e.fake.NewWebhookRequest(context.Background(), e.url+"/webhooks", shopifyfake.Webhook{Shop: shop, Topic: topic, Payload: b, EventID: eventID})
	if err != nil {
		e.t.Fatal(err)
	}
	return do(e.t, req)
}

// do sends req, reads and closes the response's body and returns its status;
// any error on the way fails the test.
func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAndClose(t, resp)
	return resp.StatusCode
}

// readAndClose reads resp's body to the end and closes it, failing the test
// if either fails.
func readAndClose(t *testing.T, resp *http.Response) {
	t.Helper()
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
}

// processed waits until the worker has handled (topic, event).
func (e *env) processed(topic, eventID string) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if e.wasProcessed(topic, eventID) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("%s %s was not processed", topic, eventID)
}

// wasProcessed says whether a delivery of the event was recorded as
// processed, for any resource (the log keys events by event and resource).
func (e *env) wasProcessed(topic, eventID string) bool {
	e.t.Helper()
	var n int64
	if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM webhook_events WHERE topic = ? AND (event_id = ? OR event_id LIKE ?)",
		topic, eventID, eventID+":%").Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n > 0
}

func (e *env) queued() int {
	e.t.Helper()
	queues, err := e.inspector.Queues()
	if err != nil {
		e.t.Fatal(err)
	}
	if !slices.Contains(queues, jobs.QueueCritical) {
		return 0 // nothing was ever queued there
	}
	info, err := e.inspector.GetQueueInfo(jobs.QueueCritical)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.Pending + info.Active + info.Scheduled + info.Retry
}

func order(id int64, name, email string, updated time.Time, customerID int64) map[string]any {
	return map[string]any{
		"id": id, "name": name, "email": email, "customer_locale": "es", "updated_at": updated.Format(time.RFC3339),
		"customer":         map[string]any{"id": customerID, "first_name": "Lucía"},
		"shipping_address": map[string]any{"first_name": "Lucía", "country_code": "ES"},
		"line_items":       []any{map[string]any{"id": id*10 + 1, "sku": "MUG-01", "title": "Taza", "quantity": 2, "fulfillable_quantity": 2}},
	}
}

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func TestBadDeliveriesAreRefusedBeforeAnything(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	body, err := json.Marshal(order(1, "#1001", "a@example.com", t0, 7))
	if err != nil {
		t.Fatal(err)
	}
	post := func(b []byte, sig string) int {
		req, err := http.NewRequest(http.MethodPost, e.url+"/webhooks", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Shop-Domain", shop)
		req.Header.Set("X-Shopify-Event-Id", "ev-bad")
		if sig != "" {
			req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		}
		return do(t, req)
	}
	if got := post(body, shopifyfake.SignWebhook("not-the-secret", body)); got != 401 {
		t.Errorf("forged: %d", got)
	}
	if got := post(body, ""); got != 401 {
		t.Errorf("unsigned: %d", got)
	}
	if got := post(body[:len(body)/2], shopifyfake.SignWebhook(secret, body)); got != 401 {
		t.Errorf("truncated (signature of the whole body): %d", got)
	}
	if got := post(bytes.Repeat([]byte("x"), webhooks.MaxBodyBytes+10), "irrelevant"); got != 413 {
		t.Errorf("oversized: %d", got)
	}
	// A body cut off in transit: Content-Length promises more than arrives.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "POST /webhooks HTTP/1.1\r\nHost: x\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: %s\r\n"+
		"X-Shopify-Hmac-Sha256: %s\r\nContent-Length: %d\r\n\r\n%s", shop, shopifyfake.SignWebhook(secret, body), len(body), body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	readAndClose(t, resp)
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 {
		t.Errorf("cut off in transit: %d", resp.StatusCode)
	}
	// The valid signature with a missing topic is malformed, not forged.
	if got := e.send("", "ev-x", body); got != 400 {
		t.Errorf("no topic: %d", got)
	}
	// Shopify always names the API version; its own libraries require it.
	noVersion, err := e.fake.NewWebhookRequest(context.Background(), e.url+"/webhooks", shopifyfake.Webhook{Shop: shop, Topic: "orders/create", Payload: body, EventID: "ev-v"})
	if err != nil {
		t.Fatal(err)
	}
	noVersion.Header.Del("X-Shopify-API-Version")
	if got := do(t, noVersion); got != 400 {
		t.Errorf("no X-Shopify-API-Version: %d", got)
	}
	if e.queued() != 0 {
		t.Fatalf("%d tasks queued from refused deliveries", e.queued())
	}
	if _, err := e.db.OrderByID(context.Background(), e.shopID, 1); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatal("a refused delivery stored an order")
	}
	// Unknown topics and unknown shops: acknowledged, ignored.
	if got := e.send("products/update", "ev-p", map[string]any{"id": 1}); got != 200 {
		t.Errorf("unknown topic: %d", got)
	}
	req, err := e.fake.NewWebhookRequest(context.Background(), e.url+"/webhooks", shopifyfake.Webhook{Shop: "stranger.myshopify.com", Topic: "orders/create", Payload: body})
	if err != nil {
		t.Fatal(err)
	}
	if code := do(t, req); code != 200 {
		t.Errorf("unknown shop: %d", code)
	}
	if e.queued() != 0 {
		t.Fatal("ignored deliveries were queued")
	}
}

func TestReDeliveredEventIsProcessedOnce(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine, false)
		ctx := context.Background()
		body := order(2, "#1002", "a@example.com", t0, 7)
		for range 3 { // Shopify retrying before it saw our 200
			if got := e.send("orders/create", "ev-2", body); got != 200 {
				t.Fatalf("delivery: %d", got)
			}
		}
		e.processed("orders/create", "ev-2")
		// One merchant action, several topics, one event id: each topic runs.
		if got := e.send("orders/updated", "ev-2", body); got != 200 {
			t.Fatal(got)
		}
		e.processed("orders/updated", "ev-2")

		// Days later the finished task is gone from Redis; a re-delivery must
		// still change nothing. Mark the stored order to see any rewrite.
		if err := e.db.Gorm().Exec("UPDATE orders SET name = 'kept' WHERE id = 2").Error; err != nil {
			t.Fatal(err)
		}
		tasks, err := e.inspector.ListCompletedTasks(jobs.QueueCritical)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			if err := e.inspector.DeleteTask(jobs.QueueCritical, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.send("orders/create", "ev-2", body); got != 200 {
			t.Fatal(got)
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.queued() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		info, err := e.inspector.GetQueueInfo(jobs.QueueCritical)
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending+info.Active+info.Retry != 0 {
			t.Fatalf("queue not drained: %+v", info)
		}
		time.Sleep(100 * time.Millisecond)
		o, err := e.db.OrderByID(ctx, e.shopID, 2)
		if err != nil || o.Name != "kept" {
			t.Fatalf("re-delivered event was processed again: %+v %v", o, err)
		}
		if info.Processed != 3 {
			t.Fatalf("%d tasks ran, want 3 (create, updated, the late re-delivery as a no-op)", info.Processed)
		}
	})
}

// Shopify gives every delivery one merchant action caused the same event id:
// a bulk action touching two orders is two changes, and both must land. The
// same change delivered twice (two subscriptions: two webhook ids) is one.
func TestOneActionOnManyOrdersAndOneChangeDeliveredTwice(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	for _, id := range []int64{31, 32} {
		if got := e.send("orders/create", "ev-bulk", order(id, fmt.Sprintf("#10%d", id), "a@example.com", t0, 7)); got != 200 {
			t.Fatalf("order %d: %d", id, got)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		_, err31 := e.db.OrderByID(ctx, e.shopID, 31)
		_, err32 := e.db.OrderByID(ctx, e.shopID, 32)
		if err31 == nil && err32 == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range []int64{31, 32} {
		if _, err := e.db.OrderByID(ctx, e.shopID, id); err != nil {
			t.Fatalf("order %d of one bulk action was lost: %v", id, err)
		}
	}

	body := order(33, "#1033", "a@example.com", t0, 7)
	for range 2 { // each delivery has its own X-Shopify-Webhook-Id
		if got := e.send("orders/create", "ev-twice", body); got != 200 {
			t.Fatal(got)
		}
	}
	e.processed("orders/create", "ev-twice")
	for e.queued() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var runs int64
	if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM webhook_events WHERE event_id LIKE 'ev-twice%'").Scan(&runs).Error; err != nil {
		t.Fatal(err)
	}
	tasks, err := e.inspector.ListCompletedTasks(jobs.QueueCritical)
	if err != nil {
		t.Fatal(err)
	}
	twice := 0
	for _, tk := range tasks {
		if strings.Contains(tk.ID, "ev-twice") {
			twice++
		}
	}
	if runs != 1 || twice != 1 {
		t.Fatalf("one change delivered twice ran %d times (%d events logged)", twice, runs)
	}
}

// A title or name with control characters (NUL, which PostgreSQL refuses)
// must not stop the order from being kept.
func TestOrderWithControlCharactersIsKept(t *testing.T) {
	e := newEnv(t, store.Postgres, false)
	o := order(41, "#1041", "a@example.com", t0, 7)
	o["line_items"] = []any{map[string]any{"id": 411, "sku": "MUG\u0000-01", "title": "Taza\u0000\nde cerámica", "quantity": 1, "fulfillable_quantity": 1}}
	if got := e.send("orders/create", "ev-nul", o); got != 200 {
		t.Fatal(got)
	}
	e.processed("orders/create", "ev-nul")
	kept, err := e.db.OrderByID(context.Background(), e.shopID, 41)
	if err != nil || len(kept.LineItems) != 1 || strings.ContainsAny(kept.LineItems[0].Title, "\x00\n") || !strings.HasPrefix(kept.LineItems[0].Title, "Taza") {
		t.Fatalf("order with control characters: %+v %v", kept, err)
	}
}

func TestOrdersUpdatedBeforeOrdersCreate(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine, false)
		newer := order(3, "#1003", "new@example.com", t0.Add(time.Minute), 7)
		newer["line_items"] = []any{map[string]any{"id": 31, "sku": "MUG-01", "title": "Taza", "quantity": 3, "fulfillable_quantity": 1}}
		e.send("orders/updated", "ev-3b", newer)
		e.processed("orders/updated", "ev-3b")
		e.send("orders/create", "ev-3a", order(3, "#1003", "old@example.com", t0, 7))
		e.processed("orders/create", "ev-3a")
		o, err := e.db.OrderByID(context.Background(), e.shopID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if o.Email != "new@example.com" || len(o.LineItems) != 1 || o.LineItems[0].Quantity != 3 || o.LineItems[0].FulfillableQuantity != 1 ||
			!o.ShopifyUpdatedAt.Equal(t0.Add(time.Minute)) || o.CustomerLocale != "es" || o.CustomerFirstName != "Lucía" || o.ShippingCountry != "ES" {
			t.Fatalf("the older create overwrote the newer update: %+v", o)
		}
	})
}

func TestUninstalledShop(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	if got := e.send("app/uninstalled", "ev-u", map[string]any{"id": 1, "domain": shop}); got != 200 {
		t.Fatal(got)
	}
	e.processed("app/uninstalled", "ev-u")
	s, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	if s.UninstalledAt == nil || s.Token.AccessToken != "" || s.Active() {
		t.Fatalf("after app/uninstalled: %+v", s)
	}
	if got := e.send("orders/create", "ev-after", order(4, "#1004", "a@example.com", t0, 7)); got != 200 {
		t.Fatalf("webhook after uninstall: %d, want 200 (acknowledged)", got)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := e.db.OrderByID(ctx, e.shopID, 4); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatal("an order was stored for an uninstalled shop")
	}
	if e.queued() != 0 {
		t.Fatal("a task was queued for an uninstalled shop")
	}
}

func TestFulfillmentsMadeOutsideWaybill(t *testing.T) {
	e := newEnv(t, store.Postgres, false)
	ctx := context.Background()
	e.send("orders/create", "ev-o", order(5, "#1005", "a@example.com", t0, 7))
	e.processed("orders/create", "ev-o")
	f := map[string]any{"id": 900, "order_id": 5, "status": "success", "tracking_company": "Correos", "tracking_number": "PK123456789ES",
		"tracking_url": "https://correos.example/PK123456789ES", "line_items": []any{map[string]any{"id": 51, "sku": "MUG-01", "title": "Taza", "quantity": 2}}}
	e.send("fulfillments/create", "ev-f1", f)
	e.processed("fulfillments/create", "ev-f1")
	f["tracking_number"], f["tracking_company"] = "LX123456785CN", "China Post"
	e.send("fulfillments/update", "ev-f2", f)
	e.processed("fulfillments/update", "ev-f2")
	e.send("fulfillments/create", "ev-f3", map[string]any{"id": 901, "order_id": 5, "status": "success", "tracking_number": nil})
	e.processed("fulfillments/create", "ev-f3")

	shipments, err := e.db.ShipmentsByOrder(ctx, e.shopID, 5)
	if err != nil || len(shipments) != 1 {
		t.Fatalf("shipments = %+v, %v; want one (the untracked fulfillment waits for a number)", shipments, err)
	}
	s := shipments[0]
	if s.TrackingNumber != "LX123456785CN" || s.Carrier != "China Post" || s.Source != app.SourceShopify || s.State != app.ShipmentSynced ||
		s.OrderName != "#1005" || s.ShopifyFulfillmentID != 900 || len(s.LineItems) != 1 || s.LineItems[0].Quantity != 2 {
		t.Fatalf("shipment = %+v", s)
	}
	events, err := e.db.ShipmentEvents(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[1].Kind != app.EventTrackingChanged || !strings.Contains(events[1].Detail, "PK123456789ES") || !strings.Contains(events[1].Detail, "LX123456785CN") {
		t.Fatalf("history = %+v", events)
	}
}

// emails lists the shipment's customer emails recorded so far, by event.
func (e *env) emails(shipmentID string) map[app.NotificationEvent]int {
	e.t.Helper()
	list, err := e.db.ShipmentNotifications(context.Background(), shipmentID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[app.NotificationEvent]int{}
	for _, n := range list {
		out[n.Event]++
	}
	return out
}

// Shopify's fulfillment status decides: only a successful fulfillment is
// shipped (a fulfillment service's pending one is told when it succeeds), a
// cancelled one ends its shipment — no more tracking, no emails — and the
// admin lists it as cancelled.
func TestFulfillmentStatusDecidesWhatTheCustomerHears(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	e.send("orders/create", "ev-o", order(6, "#1006", "a@example.com", t0, 7))
	e.processed("orders/create", "ev-o")
	f := map[string]any{"id": 960, "order_id": 6, "status": "pending", "tracking_company": "Correos", "tracking_number": "PK123456789ES",
		"tracking_numbers": []string{"PK123456789ES"}, "tracking_urls": []string{"https://correos.example/PK123456789ES"},
		"line_items": []any{map[string]any{"id": 61, "sku": "MUG-01", "title": "Taza", "quantity": 2}}}
	e.send("fulfillments/create", "ev-pending", f)
	e.processed("fulfillments/create", "ev-pending")
	shipments, err := e.db.ShipmentsByOrder(ctx, e.shopID, 6)
	if err != nil || len(shipments) != 1 {
		t.Fatalf("a pending fulfillment is recorded: %+v %v", shipments, err)
	}
	id := shipments[0].ID
	if got := e.emails(id); len(got) != 0 {
		t.Fatalf("a pending fulfillment emailed the customer: %v", got)
	}
	f["status"] = "success"
	e.send("fulfillments/update", "ev-success", f)
	e.processed("fulfillments/update", "ev-success")
	e.send("fulfillments/update", "ev-success-again", f) // a later update, same status
	e.processed("fulfillments/update", "ev-success-again")
	if got := e.emails(id); got[app.NotifyShipped] != 1 || len(got) != 1 {
		t.Fatalf("emails once successful: %v, want one shipped", got)
	}

	f["status"] = "cancelled"
	e.send("fulfillments/update", "ev-cancel", f)
	e.processed("fulfillments/update", "ev-cancel")
	s, err := e.db.ShipmentByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != app.ShipmentCancelled {
		t.Fatalf("after the cancellation the shipment is %s", s.State)
	}
	events, err := e.db.ShipmentEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Kind != app.EventCancelled {
		t.Fatalf("history ends with %+v, want the cancellation", last)
	}
	// No more tracking: a carrier's report changes nothing.
	changes, err := e.Shipping.ApplyStatus(ctx, e.Shop(shop), app.StatusUpdate{TrackingNumber: "PK123456789ES", Status: app.StatusDelivered})
	if err != nil || len(changes) != 0 {
		t.Fatalf("a cancelled shipment was tracked: %+v %v", changes, err)
	}
	// The admin lists it as cancelled.
	page, err := e.db.ListShipments(ctx, e.shopID, app.ShipmentFilter{State: app.ShipmentCancelled})
	if err != nil || page.Total != 1 || page.Shipments[0].ID != id {
		t.Fatalf("cancelled list: %+v %v", page, err)
	}

	// A fulfillment that failed for good: its shipment fails, nobody is told.
	e.send("fulfillments/create", "ev-err", map[string]any{"id": 961, "order_id": 6, "status": "success", "tracking_numbers": []string{"LX123456785CN"}})
	e.processed("fulfillments/create", "ev-err")
	e.send("fulfillments/update", "ev-err2", map[string]any{"id": 961, "order_id": 6, "status": "failure", "tracking_numbers": []string{"LX123456785CN"}})
	e.processed("fulfillments/update", "ev-err2")
	shipments, err = e.db.ShipmentsByOrder(ctx, e.shopID, 6)
	if err != nil || len(shipments) != 2 || shipments[1].State != app.ShipmentFailed || !strings.Contains(shipments[1].StateReason, "failure") {
		t.Fatalf("failed fulfillment: %+v %v", shipments, err)
	}
}

// A 3PL's fulfillment with several parcels: each number is a shipment the
// admin lists, tracks and emails about.
func TestSeveralTrackingNumbersOnOneFulfillment(t *testing.T) {
	e := newEnv(t, store.Postgres, false)
	ctx := context.Background()
	e.send("orders/create", "ev-o", order(7, "#1007", "a@example.com", t0, 7))
	e.processed("orders/create", "ev-o")
	numbers := []string{"RB123456785ES", "RB987654324ES", "LX123456785CN"}
	f := map[string]any{"id": 970, "order_id": 7, "status": "success", "tracking_company": "Correos", "tracking_number": numbers[0],
		"tracking_numbers": numbers[:2], "tracking_urls": []string{"https://correos.example/1", "https://correos.example/2"}}
	e.send("fulfillments/create", "ev-multi", f)
	e.processed("fulfillments/create", "ev-multi")
	f["tracking_numbers"] = numbers // a third parcel added later
	e.send("fulfillments/update", "ev-multi2", f)
	e.processed("fulfillments/update", "ev-multi2")
	shipments, err := e.db.ShipmentsByOrder(ctx, e.shopID, 7)
	if err != nil || len(shipments) != 3 {
		t.Fatalf("shipments = %+v, %v; want one per parcel", shipments, err)
	}
	for i, s := range shipments {
		if s.TrackingNumber != numbers[i] || s.ShopifyFulfillmentID != 970 || s.State != app.ShipmentSynced {
			t.Errorf("parcel %d: %+v", i, s)
		}
		if got := e.emails(s.ID); got[app.NotifyShipped] != 1 {
			t.Errorf("parcel %s emails: %v", s.TrackingNumber, got)
		}
	}
	if shipments[1].TrackingURL != "https://correos.example/2" {
		t.Errorf("second parcel's link: %q", shipments[1].TrackingURL)
	}
	changes, err := e.Shipping.ApplyStatus(ctx, e.Shop(shop), app.StatusUpdate{TrackingNumber: numbers[2], Status: app.StatusInTransit})
	if err != nil || len(changes) != 1 || changes[0].Shipment.ID != shipments[2].ID {
		t.Fatalf("the third parcel is not tracked: %+v %v", changes, err)
	}
}

func TestComplianceTopics(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine, false)
		ctx := context.Background()
		e.send("orders/create", "o10", order(10, "#1010", "ana@example.com", t0, 100))
		e.send("orders/create", "o11", order(11, "#1011", "ana@example.com", t0, 100))
		e.send("orders/create", "o12", order(12, "#1012", "bob@example.com", t0, 200))
		e.send("fulfillments/create", "f10", map[string]any{"id": 910, "order_id": 10, "tracking_number": "1Z999AA10123456784", "tracking_company": "UPS"})
		for _, id := range []string{"o10", "o11", "o12"} {
			e.processed("orders/create", id)
		}
		e.processed("fulfillments/create", "f10")

		// Data request: Ana's two orders and her shipment, nothing of Bob's.
		e.send("customers/data_request", "dr", map[string]any{"shop_domain": shop, "customer": map[string]any{"id": 100, "email": "ana@example.com"},
			"orders_requested": []int64{10, 11}, "data_request": map[string]any{"id": 9999}})
		e.processed("customers/data_request", "dr")
		reqs, err := e.db.DataRequests(ctx, e.shopID)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("data requests = %v, %v", reqs, err)
		}
		r := reqs[0]
		if len(r.Report.Orders) != 2 || len(r.Report.Shipments) != 1 || r.Report.Shipments[0].TrackingNumber != "1Z999AA10123456784" {
			t.Fatalf("report = %+v", r.Report)
		}
		for _, o := range r.Report.Orders {
			if o.Email != "ana@example.com" {
				t.Fatalf("report holds someone else's order: %+v", o)
			}
		}

		// Redact Ana: her personal data goes, Bob's stays, the request about her goes.
		e.send("customers/redact", "rd", map[string]any{"shop_domain": shop, "customer": map[string]any{"id": 100, "email": "ana@example.com"},
			"orders_to_redact": []int64{10, 11}})
		e.processed("customers/redact", "rd")
		for _, id := range []int64{10, 11} {
			o, err := e.db.OrderByID(ctx, e.shopID, id)
			if err != nil {
				t.Fatal(err)
			}
			if o.Email != "" || o.CustomerFirstName != "" || o.ShippingCountry != "" || o.CustomerID != 0 || o.RedactedAt == nil {
				t.Fatalf("order %d not redacted: %+v", id, o)
			}
		}
		bob, err := e.db.OrderByID(ctx, e.shopID, 12)
		if err != nil {
			t.Fatal(err)
		}
		if bob.Email != "bob@example.com" || bob.CustomerFirstName != "Lucía" {
			t.Fatalf("Bob's order was touched: %+v", bob)
		}
		if reqs, err = e.db.DataRequests(ctx, e.shopID); err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 0 {
			t.Fatal("the data request about a redacted customer is still there")
		}
		var leftovers int64
		if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM orders WHERE email = 'ana@example.com'").Scan(&leftovers).Error; err != nil {
			t.Fatal(err)
		}
		if leftovers != 0 {
			t.Fatal("Ana's email is still in orders")
		}
		// A later update of a redacted order does not bring the data back.
		e.send("orders/updated", "o10b", order(10, "#1010", "ana@example.com", t0.Add(time.Hour), 100))
		e.processed("orders/updated", "o10b")
		ana, err := e.db.OrderByID(ctx, e.shopID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if ana.Email != "" {
			t.Fatalf("redacted data came back: %+v", ana)
		}

		// Shop redact (after uninstall): everything of the shop goes.
		e.send("app/uninstalled", "un", map[string]any{"id": 1})
		e.processed("app/uninstalled", "un")
		e.send("shop/redact", "sr", map[string]any{"shop_id": 1, "shop_domain": shop})
		e.processed("shop/redact", "sr")
		for _, table := range []string{"shops", "orders", "order_line_items", "shipments", "shipment_line_items", "shipment_events", "data_requests", "api_keys"} {
			var n int64
			if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s still has %d rows after shop/redact", table, n)
			}
		}
	})
}

func TestRedisDownMeansRetryLaterAndNothingProcessed(t *testing.T) {
	e := newEnv(t, store.SQLite, true)
	e.StopRedis() // the queue's Redis does not answer
	if got := e.send("orders/create", "ev-down", order(20, "#1020", "a@example.com", t0, 7)); got != 503 {
		t.Fatalf("with Redis down: %d, want 503 so Shopify retries", got)
	}
	var n int64
	if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM webhook_events").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("an event was recorded as processed while Redis was down")
	}
	if _, err := e.db.OrderByID(context.Background(), e.shopID, 20); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatal("an order was stored while Redis was down")
	}
}

func TestUnprocessableWebhookIsArchivedWithItsReason(t *testing.T) {
	ordersCreate, _ := webhooks.TopicNamed("orders/create")
	e := newEnv(t, store.SQLite, false)
	// Signed and well-formed as a delivery, but not an order Waybill can keep.
	if got := e.send("orders/create", "ev-broken", map[string]any{"id": 99}); got != 200 {
		t.Fatal(got)
	}
	deadline := time.Now().Add(10 * time.Second)
	var archived []*asynq.TaskInfo
	for time.Now().Before(deadline) {
		var err error
		if archived, err = e.inspector.ListArchivedTasks(jobs.QueueCritical); err != nil {
			t.Fatal(err)
		}
		if len(archived) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(archived) != 1 || archived[0].Type != ordersCreate.TaskType || !strings.Contains(archived[0].LastErr, "lacks id, name or updated_at") {
		t.Fatalf("archived = %+v", archived)
	}
	if e.wasProcessed("orders/create", "ev-broken") {
		t.Fatal("a failed event was recorded as processed")
	}
}
