package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/statusfeed"
	"github.com/waybill-app/waybill/app/statusfeed/providerfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/webhooks"
)

// newLiveEnv is a mail environment whose shop is in Spain (Madrid's time
// zone) and whose 17TRACK is a fake on loopback.
func newLiveEnv(t *testing.T, clock *apptest.Clock) (*mailEnv, *providerfake.SeventeenTrack) {
	t.Helper()
	st := providerfake.New17Track()
	t.Cleanup(st.Close)
	pit := mailpittest.Start(t, `@(example\.com|tienda\.example)$`)
	opts := wiringtest.Options{SMTPURL: pit.URL(), Env: map[string]string{"SEVENTEENTRACK_API_URL": st.URL}}
	if clock != nil {
		opts.Clock = clock
	}
	e := newPushEnvWith(t, opts)
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example",
		Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		t.Fatal(err)
	}
	e.shop = e.Shop(shop)
	// Shopify's webhooks as the shop's set-up subscribes them: its own
	// tracking, and its echoes of what Waybill publishes.
	if _, err := e.Shopify.EnsureWebhookSubscriptions(context.Background(), e.shop, e.URL+"/webhooks", webhooks.SubscribedTopics()); err != nil {
		t.Fatal(err)
	}
	return &mailEnv{pushEnv: e, pit: pit, app: e.URL}, st
}

// shipped waits until the shipment is in Shopify and its tracking has
// started: the push records the fulfillment, then (a moment later) the
// parcel's shipped status, window and registration.
func (e *pushEnv) shipped(id string) *app.Shipment {
	e.t.Helper()
	e.settled(id)
	var s *app.Shipment
	wiringtest.Eventually(e.t, "tracking started", func() bool {
		got, err := e.db.ShipmentByID(context.Background(), id)
		s = got
		return err == nil && got.ShippedAt != nil
	})
	return s
}

// orderTo is a Spanish customer's order shipped to country.
func (e *mailEnv) orderTo(country string) shopifyfake.Order {
	e.t.Helper()
	o := e.spanishOrder()
	lo, err := e.db.OrderByID(context.Background(), e.shop.ID, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	lo.ShippingCountry = country
	lo.ShopifyUpdatedAt = lo.ShopifyUpdatedAt.Add(time.Second)
	if _, err := e.db.SaveOrder(context.Background(), *lo); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *mailEnv) shipment(id string) *app.Shipment {
	e.t.Helper()
	s, err := e.db.ShipmentByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// subjects are the subjects of the emails mailpit received, sorted.
func subjects(msgs []mailpittest.Summary) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Subject)
	}
	slices.Sort(out)
	return out
}

func (e *mailEnv) fulfillmentEvents(orderID int64) []string {
	got, _ := e.fake.Order(shop, orderID)
	var out []string
	for _, f := range got.Fulfillments {
		for _, ev := range f.Events {
			out = append(out, ev.Status)
		}
	}
	return out
}

// A merchant with no set-up at all: the parcel is "shipped" the moment it is
// a fulfillment, and Shopify's own carrier tracking moves it — each step
// told to the customer once, and nothing published back to Shopify.
func TestShopifysOwnTrackingMovesTheParcelWithoutSetUp(t *testing.T) {
	e, _ := newLiveEnv(t, nil)
	o := e.orderTo("ES")
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "PK123456789ES", Carrier: "Correos"})[0].ShipmentID
	s := e.shipped(id)
	if s.State != app.ShipmentSynced || s.Status != app.StatusShipped || s.ShippedAt == nil {
		t.Fatalf("a fulfillment is at least shipped: %+v", s)
	}
	e.notification(id, app.NotifyShipped)
	t0 := time.Now().UTC().Truncate(time.Second)
	for i, step := range []struct {
		shopify string
		want    app.ParcelStatus
	}{{"IN_TRANSIT", app.StatusInTransit}, {"OUT_FOR_DELIVERY", app.StatusOutForDelivery}, {"DELIVERED", app.StatusDelivered}} {
		if err := e.fake.TrackFulfillment(shop, s.ShopifyFulfillmentID, step.shopify, t0.Add(time.Duration(i)*time.Hour), "", nil); err != nil {
			t.Fatal(err)
		}
		wiringtest.Eventually(t, "status "+string(step.want), func() bool { return e.shipment(id).Status == step.want })
		// Hours pass between scans: each step is told before the next
		// (a status already overtaken when its task runs is not told).
		if ev, ok := step.want.Notification(); ok {
			e.notification(id, ev)
		}
	}
	if got := e.shipment(id); got.StatusSource != app.ProviderShopify {
		t.Fatalf("source %q", got.StatusSource)
	}
	msgs := e.pit.Wait(3, 500*time.Millisecond)
	want := []string{"Tu pedido #1001 está en camino", "Tu pedido #1001 está en reparto", "Tu pedido #1001 fue entregado"}
	if got := subjects(msgs); !slices.Equal(got, want) {
		t.Fatalf("emails %v, want %v", got, want)
	}
	// Shopify's three events, and none of Waybill's on top.
	e.fake.Wait()
	if got := e.fulfillmentEvents(o.ID); strings.Join(got, ",") != "IN_TRANSIT,OUT_FOR_DELIVERY,DELIVERED" {
		t.Fatalf("fulfillment events %v: Waybill published Shopify's own statuses back", got)
	}
}

// With 17TRACK connected: each synced number is registered once, 17TRACK's
// signed pushes move it, Waybill publishes each status to Shopify once, and
// Shopify showing those events back neither loops nor repeats an email.
// Delivered ends the registration.
func TestSeventeenTrackRegistersPushesAndStops(t *testing.T) {
	e, st := newLiveEnv(t, nil)
	const key = "17TRACK-SECURITY-KEY-0123456789"
	st.AddKey(key)
	src := &app.StatusSource{ShopID: e.shop.ID, Provider: app.Provider17Track, Name: "17TRACK", APIKey: key, Secret: key}
	if err := e.db.CreateStatusSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	st.SetWebhook(e.app+"/carriers/17track/"+src.ID, key)

	o := e.orderTo("MX")
	const number = "LX123456785CN"
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: number})[0].ShipmentID
	e.shipped(id)
	wiringtest.Eventually(t, "registered with 17TRACK", func() bool { return e.shipment(id).TrackerState == app.TrackerRegistered })
	// A second push of the same shipment registers nothing more.
	if err := e.shipping.RegisterTracker(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	if n := st.Registrations(number); n != 1 {
		t.Fatalf("%d registrations", n)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i, step := range []struct {
		status string
		want   app.ParcelStatus
	}{{"InTransit", app.StatusInTransit}, {"OutForDelivery", app.StatusOutForDelivery}, {"Delivered", app.StatusDelivered}} {
		code, err := st.Advance(number, step.status, t0.Add(time.Duration(i)*10*time.Minute), "Ciudad de México, MX", step.status)
		if err != nil || code != 200 {
			t.Fatalf("push %s: %d %v", step.status, code, err)
		}
		if got := e.shipment(id).Status; got != step.want {
			t.Fatalf("after %s: %s", step.status, got)
		}
		if ev, ok := step.want.Notification(); ok {
			e.notification(id, ev)
		}
		// Waybill's event reaches Shopify, which shows it back.
		wiringtest.Eventually(t, "published "+step.status, func() bool { return len(e.fulfillmentEvents(o.ID)) == i+1 })
		e.fake.Wait()
	}
	wiringtest.Eventually(t, "17TRACK told to stop", func() bool { return st.Stops(number) == 1 })
	if got := e.shipment(id); got.TrackerState != app.TrackerStopped || got.Status != app.StatusDelivered {
		t.Fatalf("after delivery: %+v", got)
	}
	if got := e.fulfillmentEvents(o.ID); strings.Join(got, ",") != "IN_TRANSIT,OUT_FOR_DELIVERY,DELIVERED" {
		t.Fatalf("fulfillment events %v: an echo looped", got)
	}
	history, err := e.db.ShipmentEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	statusLines := 0
	for _, h := range history {
		if h.Kind == "status" {
			statusLines++
			if strings.Contains(h.Detail, "(shopify)") {
				t.Errorf("Shopify's echo moved the shipment: %s", h.Detail)
			}
		}
	}
	if statusLines != 3 {
		t.Fatalf("%d status changes, want 3", statusLines)
	}
	e.notification(id, app.NotifyDelivered)
	msgs := e.pit.Wait(3, 500*time.Millisecond)
	if len(msgs) != 3 {
		t.Fatalf("%d emails: %v", len(msgs), subjects(msgs))
	}
}

// A parcel whose pushes never come is polled: the provider's current state
// is applied like a push, and an empty look backs off.
func TestPollingFallbackFindsWhatPushesMissed(t *testing.T) {
	clock := apptest.NewClock(time.Now().UTC().Truncate(time.Second))
	e, st := newLiveEnv(t, clock)
	const key = "17TRACK-SECURITY-KEY-POLL-0000"
	st.AddKey(key)
	st.SetClock(clock.Now)
	src := &app.StatusSource{ShopID: e.shop.ID, Provider: app.Provider17Track, Name: "17TRACK", APIKey: key, Secret: key}
	if err := e.db.CreateStatusSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	o := e.orderTo("ES")
	const number = "RR123456785CN"
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: number})[0].ShipmentID
	e.shipped(id)
	wiringtest.Eventually(t, "registered", func() bool { return e.shipment(id).TrackerState == app.TrackerRegistered })
	// 17TRACK learns of a scan but has no webhook to push to.
	if _, err := st.Advance(number, "InTransit", clock.Now().Add(-time.Hour), "Shenzhen, CN", "Departed"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := e.shipping.PollDue(ctx); err != nil || n != 0 {
		t.Fatalf("polled %d before any was due: %v", n, err)
	}
	clock.Advance(13 * time.Hour)
	if n, err := e.shipping.PollDue(ctx); err != nil || n != 1 {
		t.Fatalf("polled %d: %v", n, err)
	}
	s := e.shipment(id)
	if s.Status != app.StatusInTransit || s.StatusSource != app.Provider17Track {
		t.Fatalf("after the poll: %s from %q", s.Status, s.StatusSource)
	}
	// No news since: the next look waits longer than the first.
	first := s.NextPollAt.Sub(clock.Now())
	clock.Advance(first + time.Minute)
	if _, err := e.shipping.PollDue(ctx); err != nil {
		t.Fatal(err)
	}
	if second := e.shipment(id).NextPollAt.Sub(clock.Now()); second <= first {
		t.Fatalf("no backoff: %v then %v", first, second)
	}
}

// Shopify's own tracking missed (the merchant had it off): the poll reads
// the fulfillment's displayStatus and events once it is on.
func TestShopifyTrackingIsPolledWhenItsWebhooksWereMissed(t *testing.T) {
	clock := apptest.NewClock(time.Now().UTC().Truncate(time.Second))
	e, _ := newLiveEnv(t, clock)
	ctx := context.Background()
	settings := app.DefaultTrackingSettings(e.shop.ID)
	settings.ShopifyTracking = false
	if err := e.db.SaveTrackingSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	o := e.orderTo("ES")
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "PK123456789ES", Carrier: "Correos"})[0].ShipmentID
	s := e.shipped(id)
	if err := e.fake.TrackFulfillment(shop, s.ShopifyFulfillmentID, "IN_TRANSIT", clock.Now().Add(-time.Hour), "En tránsito", nil); err != nil {
		t.Fatal(err)
	}
	e.fake.Wait()
	if got := e.shipment(id).Status; got != app.StatusShipped {
		t.Fatalf("Shopify's tracking was off, yet the status is %s", got)
	}
	settings.ShopifyTracking = true
	if err := e.db.SaveTrackingSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7 * time.Hour)
	if n, err := e.shipping.PollDue(ctx); err != nil || n != 1 {
		t.Fatalf("polled %d: %v", n, err)
	}
	if got := e.shipment(id); got.Status != app.StatusInTransit || got.StatusSource != app.ProviderShopify {
		t.Fatalf("after the poll: %s from %q", got.Status, got.StatusSource)
	}
}

// Delays caught before the customer asks: no carrier news for the shop's
// number of days stalls a parcel (once), the customer who opted in hears
// once, in Spanish, the merchant's count and list show it, the morning
// digest goes out once a day, and news un-stalls it.
func TestStalledParcelsAreCaughtToldAndDigested(t *testing.T) {
	// Monday 7 December 2026, 10:00 in Madrid.
	clock := apptest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	e, _ := newLiveEnv(t, clock)
	ctx := context.Background()
	ns, err := e.db.NotificationSettings(ctx, e.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ns.Disabled[app.NotifyDelayed] {
		t.Fatal("the delayed email is opt-in")
	}
	ns.Disabled[app.NotifyDelayed] = false
	if err := e.db.SaveNotificationSettings(ctx, ns); err != nil {
		t.Fatal(err)
	}
	settings := app.DefaultTrackingSettings(e.shop.ID)
	settings.StallDaysDomestic, settings.StallDaysCrossBorder = 3, 8
	if err := e.db.SaveTrackingSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	domestic := e.orderTo("ES")
	id := e.submit(shipping.Submission{OrderID: domestic.ID, TrackingNumber: "PK123456789ES", Carrier: "Correos"})[0].ShipmentID
	e.shipped(id)
	e.notification(id, app.NotifyShipped)

	clock.Advance(2 * 24 * time.Hour)
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 0 {
		t.Fatalf("stalled %d after 2 days: %v", n, err)
	}
	clock.Advance(24*time.Hour + time.Minute)
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 1 {
		t.Fatalf("stalled %d after 3 days: %v", n, err)
	}
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 0 {
		t.Fatalf("stalled again: %d %v", n, err)
	}
	s := e.shipment(id)
	if s.StalledAt == nil || s.StalledReason != app.StallNoEvents {
		t.Fatalf("%+v", s)
	}
	n := e.notification(id, app.NotifyDelayed)
	if n.Status != app.NotificationSent || n.Locale != "es" {
		t.Fatalf("delayed email: %+v", n)
	}
	counts, err := e.db.DashboardCounts(ctx, e.shop.ID, clock.Now().Add(-30*24*time.Hour))
	if err != nil || counts.Stalled != 1 {
		t.Fatalf("dashboard stalled %d: %v", counts.Stalled, err)
	}
	page, err := e.db.ListShipments(ctx, e.shop.ID, app.ShipmentFilter{Stalled: true})
	if err != nil || page.Total != 1 || page.Shipments[0].ID != id {
		t.Fatalf("stalled list: %+v %v", page, err)
	}

	// The digest: not before 8:00 in Madrid, then once that day.
	clock.Set(time.Date(2026, 12, 10, 6, 30, 0, 0, time.UTC)) // 7:30 in Madrid
	if q, err := e.shipping.QueueDigests(ctx); err != nil || q != 0 {
		t.Fatalf("queued %d digests before 8:00: %v", q, err)
	}
	clock.Set(time.Date(2026, 12, 10, 7, 5, 0, 0, time.UTC))
	for range 2 {
		if err := e.shipping.SendDigest(ctx, shop, "2026-12-10"); err != nil {
			t.Fatal(err)
		}
	}
	if q, err := e.shipping.QueueDigests(ctx); err != nil || q != 1 {
		t.Fatalf("queued %d digests: %v", q, err)
	}
	msgs := e.pit.Wait(3, 700*time.Millisecond) // shipped, delayed, one digest
	var digests []mailpittest.Summary
	for _, m := range msgs {
		if m.To[0].Address == "hola@tienda.example" {
			digests = append(digests, m)
		}
	}
	if len(digests) != 1 {
		t.Fatalf("%d digests: %v", len(digests), subjects(msgs))
	}
	body := e.pit.Read(digests[0].ID)
	if !strings.Contains(body.Text, "#1001") || !strings.Contains(body.Text, "PK123456789ES") || !strings.Contains(body.HTML, "shipments?stalled=true") {
		t.Fatalf("digest: %s\n%s", digests[0].Subject, body.Text)
	}

	// News: the parcel moves again and is no longer stalled.
	if _, err := e.shipping.ApplyStatus(ctx, e.shop, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "PK123456789ES",
		Status: app.StatusInTransit, Checkpoints: []app.Checkpoint{{HappenedAt: clock.Now(), Status: app.StatusInTransit, Message: "Clasificado"}}}); err != nil {
		t.Fatal(err)
	}
	if s := e.shipment(id); s.StalledAt != nil {
		t.Fatalf("still stalled after news: %+v", s)
	}
}

// The merchant's transit window is the estimate until the carrier gives
// one: in the shipped email, in business days in the shop's time zone; and
// past it, the parcel stalls as late.
func TestTransitWindowEstimatesAndLateParcels(t *testing.T) {
	// Monday 7 December 2026, 10:00 in Madrid.
	clock := apptest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	e, _ := newLiveEnv(t, clock)
	ctx := context.Background()
	settings := app.DefaultTrackingSettings(e.shop.ID)
	settings.TransitWindows = []app.TransitWindow{{Country: "ES", MinDays: 3, MaxDays: 5}, {Country: "MX", MinDays: 10, MaxDays: 20}}
	if err := e.db.SaveTrackingSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	o := e.orderTo("ES")
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "PK123456789ES", Carrier: "Correos"})[0].ShipmentID
	e.shipped(id)
	s := e.shipment(id)
	madrid, _ := time.LoadLocation("Europe/Madrid")
	if s.DeliveryWindowFrom == nil || s.DeliveryWindowFrom.In(madrid).Format(time.DateOnly) != "2026-12-10" ||
		s.DeliveryWindowTo.In(madrid).Format(time.DateOnly) != "2026-12-14" {
		t.Fatalf("window %v – %v, want Thursday 10 to Monday 14 December", s.DeliveryWindowFrom, s.DeliveryWindowTo)
	}
	e.notification(id, app.NotifyShipped)
	msgs := e.pit.Wait(1, 0)
	m := e.pit.Read(msgs[0].ID)
	if !strings.Contains(m.Text, "Entrega estimada") || !strings.Contains(m.Text, "10–14 de diciembre") {
		t.Fatalf("the shipped email gives no estimate:\n%s", m.Text)
	}
	// Scans keep coming, but the window passes: late.
	clock.Set(time.Date(2026, 12, 14, 20, 0, 0, 0, time.UTC))
	if _, err := e.shipping.ApplyStatus(ctx, e.shop, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "PK123456789ES",
		Status: app.StatusInTransit, Checkpoints: []app.Checkpoint{{HappenedAt: clock.Now(), Status: app.StatusInTransit}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.shipping.CheckStalls(ctx); n != 0 {
		t.Fatal("stalled before the window ended")
	}
	clock.Set(time.Date(2026, 12, 15, 0, 30, 0, 0, time.UTC)) // 1:30 on Tuesday in Madrid
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 1 {
		t.Fatalf("stalled %d: %v", n, err)
	}
	if got := e.shipment(id); got.StalledReason != app.StallPastEstimate {
		t.Fatalf("reason %q", got.StalledReason)
	}
}

// Registrations stay within the provider's published rate: a burst of
// synced parcels is registered, each once, with 17TRACK never answering
// "too many requests" more than a throttled retry can absorb.
func TestRegistrationsArePacedAndDeduplicated(t *testing.T) {
	e, st := newLiveEnv(t, nil)
	const key = "17TRACK-SECURITY-KEY-BURST-000"
	st.AddKey(key)
	src := &app.StatusSource{ShopID: e.shop.ID, Provider: app.Provider17Track, Name: "17TRACK", APIKey: key, Secret: key}
	if err := e.db.CreateStatusSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	numbers := []string{"LX100000003CN", "LX100000017CN", "LX100000025CN", "LX100000034CN", "LX100000048CN", "LX100000051CN",
		"LX100000065CN", "LX100000079CN", "LX100000082CN", "LX100000096CN"}
	var ids []string
	for _, n := range numbers {
		o := e.orderTo("ES")
		ids = append(ids, e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: n})[0].ShipmentID)
	}
	for _, id := range ids {
		e.shipped(id)
	}
	wiringtest.Eventually(t, "all registered", func() bool {
		for _, id := range ids {
			if e.shipment(id).TrackerState != app.TrackerRegistered {
				return false
			}
		}
		return true
	})
	for _, n := range numbers {
		if got := st.Registrations(n); got != 1 {
			t.Errorf("%s registered %d times", n, got)
		}
	}
	if st.RateLimited() > 0 {
		t.Errorf("17TRACK answered 429 %d times: the pacing exceeds its published rate", st.RateLimited())
	}
}

// A merchant connects AfterShip in the admin while a parcel is on its way:
// that parcel is registered too, AfterShip's signed pushes move it (a
// tampered one is refused), and delivery deletes the tracking at AfterShip.
func TestAfterShipConnectedLaterFollowsParcelsOnTheirWay(t *testing.T) {
	as := providerfake.NewAfterShip()
	t.Cleanup(as.Close)
	pit := mailpittest.Start(t, `@example\.com$`)
	e := newPushEnvWith(t, wiringtest.Options{SMTPURL: pit.URL(), Env: map[string]string{"AFTERSHIP_API_URL": as.URL}})
	env := &mailEnv{pushEnv: e, pit: pit, app: e.URL}
	const key, secret = "asat_0123456789abcdef0123456789abcdef", "aftership-webhook-secret"
	as.AddKey(key)

	o := env.spanishOrder()
	const number = "1Z5R89390357567127"
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: number, Carrier: "UPS"})[0].ShipmentID
	e.shipped(id)
	if got := env.shipment(id); got.TrackerState != app.TrackerNone {
		t.Fatalf("registered before any aggregator was connected: %+v", got)
	}
	tok := e.Fake.SessionToken(shop, time.Minute)
	connect := newRequest(t, "POST", e.URL+"/api/admin/status-sources", strings.NewReader(
		`{"provider":"aftership","name":"AfterShip","api_key":"`+key+`","webhook_secret":"`+secret+`"}`))
	connect.Header.Set("Content-Type", "application/json")
	connect.Header.Set("Authorization", "Bearer "+tok)
	code, body := do(t, connect)
	if code != 201 {
		t.Fatalf("connect: %d %s", code, body)
	}
	var created struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	as.SetWebhook(created.URL, secret)
	wiringtest.Eventually(t, "the parcel on its way registered", func() bool { return env.shipment(id).TrackerState == app.TrackerRegistered })
	if n := as.Registrations(number); n != 1 {
		t.Fatalf("%d registrations", n)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	if code, err := as.Advance(number, "OutForDelivery", t0, "Madrid, ES", "Out for delivery"); err != nil || code != 200 {
		t.Fatalf("push: %d %v", code, err)
	}
	if got := env.shipment(id); got.Status != app.StatusOutForDelivery || got.StatusSource != app.ProviderAfterShip {
		t.Fatalf("after the push: %s from %q", got.Status, got.StatusSource)
	}
	env.notification(id, app.NotifyOutForDelivery)
	// A push signed with another secret changes nothing.
	doc := []byte(`{"event":"tracking_update","msg":{"tracking_number":"` + number + `","tag":"Exception"}}`)
	req := newRequest(t, "POST", created.URL, bytes.NewReader(doc))
	req.Header.Set("aftership-hmac-sha256", statusfeed.SignAfterShip(doc, "not-the-secret"))
	if code, _ := do(t, req); code != 401 {
		t.Fatalf("a forged push: %d", code)
	}
	if code, err := as.Advance(number, "Delivered", t0.Add(30*time.Minute), "Madrid, ES", "Delivered"); err != nil || code != 200 {
		t.Fatalf("push: %d %v", code, err)
	}
	wiringtest.Eventually(t, "AfterShip tracking deleted", func() bool { return as.Stops(number) == 1 })
	env.notification(id, app.NotifyDelivered)
}

// A parcel to another country gets the cross-border patience; a late one
// whose carrier gives a new, later estimate is no longer late.
func TestCrossBorderPatienceAndANewEstimateUnstalls(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	e, _ := newLiveEnv(t, clock)
	ctx := context.Background()
	settings := app.DefaultTrackingSettings(e.shop.ID)
	settings.StallDaysDomestic, settings.StallDaysCrossBorder = 3, 8
	if err := e.db.SaveTrackingSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	mx := e.orderTo("MX")
	id := e.submit(shipping.Submission{OrderID: mx.ID, TrackingNumber: "LX123456785CN"})[0].ShipmentID
	e.shipped(id)
	clock.Advance(5 * 24 * time.Hour)
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 0 {
		t.Fatalf("a cross-border parcel stalled after 5 days: %d %v", n, err)
	}
	// The carrier's estimate passes: late.
	eta := clock.Now().Add(-36 * time.Hour)
	if _, err := e.shipping.ApplyStatus(ctx, e.shop, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "LX123456785CN",
		Status: app.StatusInTransit, EstimatedDelivery: &eta, Checkpoints: []app.Checkpoint{{HappenedAt: clock.Now(), Status: app.StatusInTransit}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.shipping.CheckStalls(ctx); err != nil || n != 1 {
		t.Fatalf("stalled %d: %v", n, err)
	}
	if s := e.shipment(id); s.StalledReason != app.StallPastEstimate {
		t.Fatalf("%+v", s)
	}
	// A new estimate, days ahead: not late any more.
	later := clock.Now().Add(72 * time.Hour)
	if _, err := e.shipping.ApplyStatus(ctx, e.shop, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "LX123456785CN",
		Status: app.StatusInTransit, EstimatedDelivery: &later}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.shipping.CheckStalls(ctx); n != 0 {
		t.Fatal("stalled again before the new estimate")
	}
	if s := e.shipment(id); s.StalledAt != nil {
		t.Fatalf("still stalled after a new estimate: %+v", s)
	}
}

// A provider that cannot be reached: each attempt is an error worth a
// retry, and the last one gives up — the parcel is left to Shopify's own
// tracking with the reason, never queued for ever.
func TestRegistrationGivesUpOnTheLastTry(t *testing.T) {
	e := newPushEnvWith(t, wiringtest.Options{Env: map[string]string{"SEVENTEENTRACK_API_URL": "http://127.0.0.1:9"}})
	ctx := context.Background()
	const key = "17TRACK-SECURITY-KEY-DOWN-0000"
	if err := e.db.CreateStatusSource(ctx, &app.StatusSource{ShopID: e.shop.ID, Provider: app.Provider17Track, Name: "17TRACK", APIKey: key, Secret: key}); err != nil {
		t.Fatal(err)
	}
	o := e.order(shopifyfake.NewOrder{Email: "lucia@example.com", LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}}, false)
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})[0].ShipmentID
	e.shipped(id)
	if err := e.shipping.RegisterTracker(ctx, id, false); app.ErrorCodeOf(err) != app.ErrUnavailable {
		t.Fatalf("an unreachable provider: %v, want unavailable (retried)", err)
	}
	if s, _ := e.db.ShipmentByID(ctx, id); s.TrackerState != app.TrackerQueued {
		t.Fatalf("after a failed attempt: %q", s.TrackerState)
	}
	if err := e.shipping.RegisterTracker(ctx, id, true); err != nil {
		t.Fatalf("last try: %v", err)
	}
	if s, _ := e.db.ShipmentByID(ctx, id); s.TrackerState != app.TrackerRejected || s.TrackerDetail != app.TrackerGaveUp {
		t.Fatalf("after the last try: %q %q", s.TrackerState, s.TrackerDetail)
	}
}

// A digest the mail server would not take is not counted as sent: its
// claim is released, so the retry sends it.
func TestDigestClaimIsReleasedWhenTheSendFails(t *testing.T) {
	e := newPushEnvWith(t, wiringtest.Options{SMTPURL: "smtp://127.0.0.1:9"})
	ctx := context.Background()
	if err := e.db.UpdateShopProfile(ctx, shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example", Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		t.Fatal(err)
	}
	o := e.order(shopifyfake.NewOrder{Email: "lucia@example.com", LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}}, false)
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "PK123456789ES", Carrier: "Correos"})[0].ShipmentID
	s := e.shipped(id)
	if ok, err := e.db.MarkStalled(ctx, id, app.StallNoEvents, time.Now(), s.LastEventAt); err != nil || !ok {
		t.Fatalf("stall: %v %v", ok, err)
	}
	if err := e.shipping.SendDigest(ctx, shop, "2026-12-10"); err == nil {
		t.Fatal("a digest the mail server never took was reported sent")
	}
	if ok, err := e.db.ClaimDigest(ctx, e.shop.ID, "2026-12-10"); err != nil || !ok {
		t.Fatalf("the failed digest still holds the day's claim: %v %v", ok, err)
	}
}
