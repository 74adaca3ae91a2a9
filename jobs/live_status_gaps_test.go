package jobs_test

// Behaviours of live parcel status (issue 12) that no other test would catch
// if they broke: Shopify's shipment_status alone, EasyPost end to end, the
// provider's window and the 60-day end of polling, the attempted-delivery
// and pickup emails, and checkpoint labels in the customer's language.

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/statusfeed/providerfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// newGapsEnv is newMailEnv on engine, with the test's options (a clock, a
// provider fake's URL).
func newGapsEnv(t *testing.T, engine store.Engine, opts wiringtest.Options) *mailEnv {
	t.Helper()
	pit := mailpittest.Start(t, `@example\.com$`)
	opts.Engine, opts.SMTPURL = engine, pit.URL()
	e := newPushEnvWith(t, opts)
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example"}); err != nil {
		t.Fatal(err)
	}
	e.shop = e.Shop(shop)
	return &mailEnv{pushEnv: e, pit: pit, app: e.URL}
}

// fulfillmentUpdate sends Shopify's signed fulfillments/update for the
// order's first fulfillment as the fake has it, with shipmentStatus as its
// shipment_status at updatedAt, and waits until the worker processed it.
func (e *mailEnv) fulfillmentUpdate(orderID int64, shipmentStatus string, updatedAt time.Time) {
	e.t.Helper()
	var order struct {
		Fulfillments []map[string]any `json:"fulfillments"`
	}
	if err := json.Unmarshal(e.fake.RESTOrder(shop, orderID), &order); err != nil {
		e.t.Fatal(err)
	}
	if len(order.Fulfillments) != 1 {
		e.t.Fatalf("%d fulfillments in Shopify", len(order.Fulfillments))
	}
	body := order.Fulfillments[0]
	body["shipment_status"], body["updated_at"] = shipmentStatus, updatedAt.UTC().Format(time.RFC3339)
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	eventID := app.NewID()
	req, err := e.fake.NewWebhookRequest(context.Background(), e.URL+"/webhooks",
		shopifyfake.Webhook{Shop: shop, Topic: "fulfillments/update", Payload: b, EventID: eventID})
	if err != nil {
		e.t.Fatal(err)
	}
	if code, answer := do(e.t, req); code != 200 {
		e.t.Fatalf("fulfillments/update: HTTP %d %s", code, answer)
	}
	wiringtest.Eventually(e.t, "fulfillments/update processed", func() bool {
		var n int64
		if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM webhook_events WHERE topic = ? AND (event_id = ? OR event_id LIKE ?)",
			"fulfillments/update", eventID, eventID+":%").Scan(&n).Error; err != nil {
			e.t.Fatal(err)
		}
		return n > 0
	})
}

// notificationsOf counts the shipment's emails of event (sent, skipped…).
func (e *mailEnv) notificationsOf(shipmentID string, event app.NotificationEvent) []app.Notification {
	e.t.Helper()
	list, _, err := e.db.ListNotifications(context.Background(), e.shop.ID, 1, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []app.Notification
	for _, n := range list {
		if n.ShipmentID == shipmentID && n.Event == event {
			out = append(out, n)
		}
	}
	return out
}

// Shopify's own tracking reaches some shops only as the fulfillment's
// shipment_status (no fulfillment_events/create): that alone moves the
// parcel forward, tells the customer once, and is not published back; a
// lower status after it — later or older — moves nothing and tells nothing.
func TestShopifyShipmentStatusAloneMovesTheParcel(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newGapsEnv(t, engine, wiringtest.Options{})
		o := e.spanishOrder()
		id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES", Carrier: "Correos"})[0].ShipmentID
		e.shipped(id)
		e.notification(id, app.NotifyShipped)
		events := e.fake.Calls("fulfillmentEventCreate")

		t0 := time.Now().UTC().Truncate(time.Second)
		e.fulfillmentUpdate(o.ID, "out_for_delivery", t0)
		s := e.shipment(id)
		if s.Status != app.StatusOutForDelivery || s.StatusSource != app.ProviderShopify {
			t.Fatalf("after shipment_status out_for_delivery: %s from %q", s.Status, s.StatusSource)
		}
		if n := e.notification(id, app.NotifyOutForDelivery); n.Status != app.NotificationSent || n.Locale != "es" {
			t.Fatalf("out for delivery email: %+v", n)
		}
		// A lower status, reported later (the fulfillment touched again)
		// and reported as of before.
		e.fulfillmentUpdate(o.ID, "in_transit", t0.Add(time.Hour))
		e.fulfillmentUpdate(o.ID, "in_transit", t0.Add(-time.Hour))
		if s := e.shipment(id); s.Status != app.StatusOutForDelivery {
			t.Fatalf("a lower shipment_status moved the parcel back to %s", s.Status)
		}
		msgs := e.pit.Wait(2, 500*time.Millisecond)
		if got := subjects(msgs); strings.Join(got, "|") != "Tu pedido #1001 está en camino|Tu pedido #1001 está en reparto" {
			t.Fatalf("emails %v", got)
		}
		if n := len(e.notificationsOf(id, app.NotifyOutForDelivery)); n != 1 {
			t.Fatalf("%d out-for-delivery emails recorded", n)
		}
		e.fake.Wait()
		if got := e.fake.Calls("fulfillmentEventCreate"); got != events {
			t.Fatalf("Shopify's own status was published back to it (%d events)", got-events)
		}
	})
}

// EasyPost end to end: connected in the admin, each shipped parcel gets one
// tracker (its trk_ id kept), EasyPost's signed pushes move it, and delivery
// ends the registration without a call: EasyPost trackers cannot be deleted.
func TestEasyPostRegistersPushesAndStopsWithoutACall(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ep := providerfake.NewEasyPost()
		t.Cleanup(ep.Close)
		e := newGapsEnv(t, engine, wiringtest.Options{Env: map[string]string{"EASYPOST_API_URL": ep.URL}})
		const key, secret = "EZTK0123456789abcdef0123456789abcdef", "easypost-webhook-secret"
		ep.AddKey(key)
		tok := e.Fake.SessionToken(shop, time.Minute)
		connect := newRequest(t, "POST", e.URL+"/api/admin/status-sources", strings.NewReader(
			`{"provider":"easypost","name":"EasyPost","api_key":"`+key+`","webhook_secret":"`+secret+`"}`))
		connect.Header.Set("Content-Type", "application/json")
		connect.Header.Set("Authorization", "Bearer "+tok)
		code, body := do(t, connect)
		if code != 201 {
			t.Fatalf("connect: %d %s", code, body)
		}
		var created struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal([]byte(body), &created); err != nil || !strings.Contains(created.URL, "/carriers/easypost/") {
			t.Fatalf("webhook URL %q: %v", created.URL, err)
		}
		ep.SetWebhook(created.URL, secret)

		o := e.spanishOrder()
		const number = "1Z5R89390357567127"
		id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: number, Carrier: "UPS"})[0].ShipmentID
		e.shipped(id)
		wiringtest.Eventually(t, "registered with EasyPost", func() bool { return e.shipment(id).TrackerState == app.TrackerRegistered })
		if err := e.shipping.RegisterTracker(context.Background(), id, false); err != nil {
			t.Fatal(err)
		}
		s := e.shipment(id)
		if n := ep.Registrations(number); n != 1 {
			t.Fatalf("%d trackers created", n)
		}
		if !strings.HasPrefix(s.TrackerID, "trk_") || s.TrackerRegisteredAt == nil {
			t.Fatalf("tracker id %q, registered at %v", s.TrackerID, s.TrackerRegisteredAt)
		}
		t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		if code, err := ep.Advance(number, "out_for_delivery", t0, "Madrid, M, ES", "Out for delivery"); err != nil || code != 200 {
			t.Fatalf("push: %d %v", code, err)
		}
		if got := e.shipment(id); got.Status != app.StatusOutForDelivery || got.StatusSource != app.ProviderEasyPost {
			t.Fatalf("after the push: %s from %q", got.Status, got.StatusSource)
		}
		e.notification(id, app.NotifyOutForDelivery)
		calls := ep.Requests()
		if code, err := ep.Advance(number, "delivered", t0.Add(30*time.Minute), "Madrid, M, ES", "Delivered"); err != nil || code != 200 {
			t.Fatalf("push: %d %v", code, err)
		}
		wiringtest.Eventually(t, "the tracker marked stopped", func() bool { return e.shipment(id).TrackerState == app.TrackerStopped })
		if got := e.shipment(id); got.Status != app.StatusDelivered || got.TrackerID != s.TrackerID {
			t.Fatalf("after delivery: %s, tracker %q", got.Status, got.TrackerID)
		}
		e.notification(id, app.NotifyDelivered)
		if got := ep.Requests(); got != calls {
			t.Fatalf("%d calls to EasyPost after delivery: its trackers cannot be deleted", got-calls)
		}
		e.pit.Wait(3, 300*time.Millisecond) // shipped, out for delivery, delivered
	})
}

// A registration lasts the provider's window (17TRACK: 30 days from the
// registration): the first poll after it stops the number at 17TRACK, once,
// and Shopify's own tracking goes on; 60 days after shipping nobody waits
// any more and polling ends.
func TestTrackerEndsWithTheWindowAndPollingAfter60Days(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		clock := apptest.NewClock(time.Now().UTC().Truncate(time.Second))
		st := providerfake.New17Track()
		t.Cleanup(st.Close)
		e := newGapsEnv(t, engine, wiringtest.Options{Clock: clock, Env: map[string]string{"SEVENTEENTRACK_API_URL": st.URL}})
		ctx := context.Background()
		const key = "17TRACK-SECURITY-KEY-WINDOW-00"
		st.AddKey(key)
		if err := e.db.CreateStatusSource(ctx, &app.StatusSource{ShopID: e.shop.ID, Provider: app.Provider17Track, Name: "17TRACK", APIKey: key, Secret: key}); err != nil {
			t.Fatal(err)
		}
		o := e.spanishOrder()
		const number = "LX123456785CN"
		id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: number})[0].ShipmentID
		shippedAt := *e.shipped(id).ShippedAt
		wiringtest.Eventually(t, "registered", func() bool { return e.shipment(id).TrackerState == app.TrackerRegistered })
		registeredAt := *e.shipment(id).TrackerRegisteredAt

		// Within the window: polled, not stopped.
		clock.Set(registeredAt.Add(30*24*time.Hour - time.Hour))
		if n, err := e.shipping.PollDue(ctx); err != nil || n != 1 {
			t.Fatalf("polled %d within the window: %v", n, err)
		}
		s := e.shipment(id)
		if s.TrackerState != app.TrackerRegistered || st.Stops(number) != 0 {
			t.Fatalf("stopped within the window: %q, %d stops", s.TrackerState, st.Stops(number))
		}
		// Past it, at the next look: stopped once, and Shopify's tracking
		// polled instead.
		if s.NextPollAt == nil || !s.NextPollAt.After(registeredAt.Add(30*24*time.Hour)) {
			t.Fatalf("next poll %v, not past the window", s.NextPollAt)
		}
		clock.Set(*s.NextPollAt)
		asked := e.fake.Calls("fulfillment")
		if n, err := e.shipping.PollDue(ctx); err != nil || n != 1 {
			t.Fatalf("polled %d past the window: %v", n, err)
		}
		s = e.shipment(id)
		if st.Stops(number) != 1 || s.TrackerState != app.TrackerStopped {
			t.Fatalf("past the window: %d stops, tracker %q", st.Stops(number), s.TrackerState)
		}
		if e.fake.Calls("fulfillment") != asked+1 || s.NextPollAt == nil {
			t.Fatalf("Shopify's tracking not polled after the window (next poll %v)", s.NextPollAt)
		}
		requests := st.Requests()

		// Still followed just before 60 days since shipping…
		clock.Set(shippedAt.Add(60*24*time.Hour - time.Hour))
		asked = e.fake.Calls("fulfillment")
		if n, err := e.shipping.PollDue(ctx); err != nil || n != 1 || e.fake.Calls("fulfillment") != asked+1 {
			t.Fatalf("polled %d before 60 days: %v", n, err)
		}
		// …and no longer after: nothing asked, nothing scheduled.
		clock.Set(shippedAt.Add(60*24*time.Hour + 3*24*time.Hour))
		asked = e.fake.Calls("fulfillment")
		if _, err := e.shipping.PollDue(ctx); err != nil {
			t.Fatal(err)
		}
		if s := e.shipment(id); s.NextPollAt != nil {
			t.Fatalf("polled again at %v, 60 days after shipping", s.NextPollAt)
		}
		clock.Advance(30 * 24 * time.Hour)
		if n, err := e.shipping.PollDue(ctx); err != nil || n != 0 {
			t.Fatalf("polled %d after the end: %v", n, err)
		}
		if e.fake.Calls("fulfillment") != asked || st.Requests() != requests || st.Stops(number) != 1 {
			t.Fatalf("asked after 60 days: Shopify %d, 17TRACK %d more", e.fake.Calls("fulfillment")-asked, st.Requests()-requests)
		}
	})
}

// "We tried to deliver" and "ready for pickup" reach a Spanish customer in
// Spanish, once each however often the carrier repeats them, and not at all
// (recorded as switched off) when the merchant turned them off.
func TestAttemptedDeliveryAndPickupEmailsOnceInSpanish(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newGapsEnv(t, engine, wiringtest.Options{})
		src := e.statusSource("push")
		doc := func(number, status string, h int, msg string) map[string]any {
			return map[string]any{"tracking_number": number, "status": status,
				"checkpoints": []any{map[string]any{"time": at(h), "status": status, "location": "Sevilla, ES", "message": msg}}}
		}
		steps := []struct {
			status string
			h      int
			event  app.NotificationEvent
		}{
			{"attempted_delivery", 9, app.NotifyAttemptedDelivery}, {"attempted_delivery", 10, app.NotifyAttemptedDelivery},
			{"available_for_pickup", 11, app.NotifyReadyForPickup}, {"available_for_pickup", 11, app.NotifyReadyForPickup},
		}
		o := e.spanishOrder()
		id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
		e.shipped(id)
		e.notification(id, app.NotifyShipped)
		for i, st := range steps {
			if code := e.push(src, doc("RB123456785ES", st.status, st.h, "Aviso")); code != 200 {
				t.Fatalf("step %d: HTTP %d", i, code)
			}
			if n := e.notification(id, st.event); n.Status != app.NotificationSent || n.Locale != "es" {
				t.Fatalf("step %d: %s email %+v", i, st.event, n)
			}
		}
		msgs := e.pit.Wait(3, 500*time.Millisecond)
		want := "Intentamos entregar tu pedido #1001|Tu pedido #1001 está en camino|Tu pedido #1001 está listo para recoger"
		if got := subjects(msgs); strings.Join(got, "|") != want {
			t.Fatalf("emails %v", got)
		}
		for _, ev := range []app.NotificationEvent{app.NotifyAttemptedDelivery, app.NotifyReadyForPickup} {
			if n := len(e.notificationsOf(id, ev)); n != 1 {
				t.Fatalf("%d %s emails recorded", n, ev)
			}
		}

		settings, err := e.db.NotificationSettings(context.Background(), e.shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		settings.Disabled[app.NotifyAttemptedDelivery], settings.Disabled[app.NotifyReadyForPickup] = true, true
		if err := e.db.SaveNotificationSettings(context.Background(), settings); err != nil {
			t.Fatal(err)
		}
		o2 := e.spanishOrder()
		id2 := e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "RB987654326ES"})[0].ShipmentID
		e.shipped(id2)
		e.notification(id2, app.NotifyShipped)
		for i, st := range steps {
			if code := e.push(src, doc("RB987654326ES", st.status, st.h, "Aviso")); code != 200 {
				t.Fatalf("switched off, step %d: HTTP %d", i, code)
			}
			if n := e.notification(id2, st.event); n.Status != app.NotificationSkipped || n.Reason != app.ReasonSwitchedOff {
				t.Fatalf("switched off, step %d: %s email %+v", i, st.event, n)
			}
		}
		e.pit.Wait(4, 300*time.Millisecond) // the second order's shipped email only
	})
}

// The tracking page labels each checkpoint in the customer's language,
// whatever language the carrier wrote in (and whatever the browser asks):
// an English scan of a parcel in transit reads "En tránsito" to a Spanish
// customer and "In transit" to an English one.
func TestCheckpointLabelsInTheCustomersLanguage(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newGapsEnv(t, engine, wiringtest.Options{})
		src := e.statusSource("push")
		// The parcel is out for delivery now: "in transit" shows only as
		// the older checkpoint's label.
		doc := func(number string) map[string]any {
			return map[string]any{"tracking_number": number, "status": "out_for_delivery", "checkpoints": []any{
				map[string]any{"time": at(8), "status": "in_transit", "location": "Newark, NJ, US", "message": "Departed facility"},
				map[string]any{"time": at(10), "status": "out_for_delivery", "location": "Madrid, ES", "message": "With courier"}}}
		}
		es := e.spanishOrder()
		e.shipped(e.submit(shipping.Submission{OrderID: es.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID)
		en := e.order(shopifyfake.NewOrder{Email: "emma@example.com", CustomerLocale: "en", CustomerFirstName: "Emma",
			LineItems: []shopifyfake.NewLineItem{{SKU: "TEE-M", Title: "T-shirt (M)", Quantity: 1}}}, false)
		e.shipped(e.submit(shipping.Submission{OrderID: en.ID, TrackingNumber: "LX123456785CN"})[0].ShipmentID)
		for _, n := range []string{"RB123456785ES", "LX123456785CN"} {
			if code := e.push(src, doc(n)); code != 200 {
				t.Fatalf("push %s: HTTP %d", n, code)
			}
		}
		for _, c := range []struct {
			order                 shopifyfake.Order
			browser, want, absent string
		}{
			{es, "en-GB,en;q=0.9", "En tránsito — Departed facility", "In transit"},
			{en, "es-ES,es;q=0.9", "In transit — Departed facility", "En tránsito"},
		} {
			code, page := get(t, e.proxyURL(url.Values{"order": {c.order.Name}, "email": {c.order.Email}}), c.browser)
			if code != 200 || !strings.Contains(page, c.want) || strings.Contains(page, c.absent) {
				timeline := page
				if i := strings.Index(page, "<ol>"); i >= 0 {
					timeline = page[i:]
				}
				t.Errorf("%s's page (HTTP %d) lacks %q or shows %q; its timeline:\n%s", c.order.Email, code, c.want, c.absent, timeline)
			}
		}
	})
}
