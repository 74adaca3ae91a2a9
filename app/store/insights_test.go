package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// insightShipment is one hand-made shipment of the insights data set.
type insightShipment struct {
	shop            *app.Shop
	order           int64
	country         string
	carrier         string
	source          app.ShipmentSource
	created         time.Time
	orderAt         time.Time
	shippedAt       *time.Time
	status          app.ParcelStatus
	statusAt        *time.Time
	eta, windowTo   *time.Time
	stalledNow      bool
	stalledBefore   bool // stalled once, cleared since (the history line stays)
	statusesSeen    string
	emailsSent      int
	emailsFailed    int
	visitsOnDays    []time.Time
	trackingNumber  string
	orderNamePrefix string
	apiKeyID        string
}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func seedInsight(t *testing.T, db *store.DB, s insightShipment) string {
	t.Helper()
	ctx := context.Background()
	name := s.orderNamePrefix
	if name == "" {
		name = "#" + strings.TrimPrefix(s.trackingNumber, "RB")[:4]
	}
	if _, err := db.SaveOrder(ctx, app.Order{ShopID: s.shop.ID, ID: s.order, Name: name, ShippingCountry: s.country, ShopifyUpdatedAt: s.orderAt}); err != nil {
		t.Fatal(err)
	}
	g := db.Gorm()
	if err := g.Exec("UPDATE orders SET created_at = ? WHERE shop_id = ? AND id = ?", s.orderAt, s.shop.ID, s.order).Error; err != nil {
		t.Fatal(err)
	}
	out, err := db.CreateShipments(ctx, []*app.Shipment{{ShopID: s.shop.ID, OrderRef: name, OrderName: name, TrackingNumber: s.trackingNumber,
		Carrier: s.carrier, Source: s.source, State: app.ShipmentSynced}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := out[0].ShipmentID
	status := s.status
	if status == "" {
		status = app.StatusPending
	}
	if err := g.Exec(`UPDATE shipments SET order_id = ?, created_at = ?, shipped_at = ?, status = ?, status_at = ?, estimated_delivery_at = ?,
		delivery_window_to = ?, statuses_seen = ? WHERE id = ?`, s.order, s.created, s.shippedAt, string(status), s.statusAt, s.eta, s.windowTo, s.statusesSeen, id).Error; err != nil {
		t.Fatal(err)
	}
	if s.apiKeyID != "" {
		if err := g.Exec("UPDATE shipments SET api_key_id = ? WHERE id = ?", s.apiKeyID, id).Error; err != nil {
			t.Fatal(err)
		}
	}
	if s.stalledNow || s.stalledBefore {
		if marked, err := db.MarkStalled(ctx, id, app.StallNoEvents, s.created.Add(24*time.Hour), nil); err != nil || !marked {
			t.Fatalf("stall: %v %v", marked, err)
		}
	}
	if s.stalledBefore {
		if err := g.Exec("UPDATE shipments SET stalled_at = NULL, stalled_reason = '' WHERE id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
	}
	events := []app.NotificationEvent{app.NotifyShipped, app.NotifyOutForDelivery, app.NotifyDelivered, app.NotifyDeliveryException}
	for i := 0; i < s.emailsSent+s.emailsFailed; i++ {
		n, _, err := db.QueueNotification(ctx, &app.Notification{ShopID: s.shop.ID, ShipmentID: id, Event: events[i], EventKey: string(events[i])})
		if err != nil {
			t.Fatal(err)
		}
		st := app.NotificationSent
		if i >= s.emailsSent {
			st = app.NotificationFailed
		}
		if err := g.Exec("UPDATE notifications SET status = ?, sent_at = ? WHERE id = ?", string(st), s.created, n.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, day := range s.visitsOnDays {
		if err := db.RecordTrackingVisits(ctx, s.shop.ID, []string{id}, day); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// The analytics' numbers on a data set small enough to compute by hand:
// medians and 90th percentiles in days, the on-time share on the shop's
// calendar (Madrid), stalls now and before, emails sent (not failed),
// tracking page visits; another shop's and another period's shipments left
// out.
func TestShipmentInsightsByHand(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		acme := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "b"})
		if err := db.UpdateShopProfile(ctx, acme.Domain, app.ShopProfile{Name: "Acme", Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
			t.Fatal(err)
		}
		_, key, err := db.CreateAPIKey(ctx, acme.Domain, "Proveedor Shenzhen")
		if err != nil {
			t.Fatal(err)
		}
		ordered := *at("2026-11-02T10:00:00Z")
		created := *at("2026-11-03T09:00:00Z")
		day := func(n float64) *time.Time { x := ordered.Add(time.Duration(n * 24 * float64(time.Hour))); return &x }
		after := func(base *time.Time, n float64) *time.Time {
			x := base.Add(time.Duration(n * 24 * float64(time.Hour)))
			return &x
		}
		// Correos: shipped 1, 2, 3 and 10 days after the order; three
		// delivered 2, 4 and 5 days after shipping.
		c1 := day(1)
		seedInsight(t, db, insightShipment{shop: acme, order: 1, country: "ES", carrier: "Correos", source: app.SourceAPI, created: created, orderAt: ordered,
			trackingNumber: "RB100000001ES", apiKeyID: key.ID, shippedAt: c1, status: app.StatusDelivered, statusAt: at("2026-11-05T22:30:00Z"), // 23:30 in Madrid, 5 Nov
			eta:        at("2026-11-05T08:00:00Z"), // the ETA day: 5 Nov → on time
			emailsSent: 2, emailsFailed: 1, visitsOnDays: []time.Time{*c1, *c1, *after(c1, 1)}})
		c2 := day(2)
		seedInsight(t, db, insightShipment{shop: acme, order: 2, country: "ES", carrier: "Correos", source: app.SourceAPI, created: created, orderAt: ordered,
			trackingNumber: "RB100000002ES", apiKeyID: key.ID, shippedAt: c2, status: app.StatusDelivered, statusAt: at("2026-11-07T23:30:00Z"), // 00:30 on 8 Nov in Madrid
			windowTo:   at("2026-11-07T10:00:00Z"), // window ends 7 Nov → late (on time only on UTC's calendar)
			emailsSent: 1, visitsOnDays: []time.Time{*c2}})
		c3 := day(3)
		seedInsight(t, db, insightShipment{shop: acme, order: 3, country: "ES", carrier: "Correos", source: app.SourceAPI, created: created, orderAt: ordered,
			trackingNumber: "RB100000003ES", shippedAt: c3, status: app.StatusDelivered, statusAt: after(c3, 5), stalledBefore: true})
		c4 := day(10)
		seedInsight(t, db, insightShipment{shop: acme, order: 4, country: "MX", carrier: "Correos", source: app.SourceCSV, created: created, orderAt: ordered,
			trackingNumber: "RB100000004ES", shippedAt: c4, status: app.StatusException, statusAt: after(c4, 3), stalledNow: true, statusesSeen: "in_transit,exception"})
		// DHL: not shipped yet.
		seedInsight(t, db, insightShipment{shop: acme, order: 5, country: "MX", carrier: "DHL", source: app.SourceCSV, created: created, orderAt: ordered,
			trackingNumber: "RB100000005ES"})
		// Left out: another shop, and before the period.
		seedInsight(t, db, insightShipment{shop: other, order: 6, country: "ES", carrier: "Correos", source: app.SourceAPI, created: created, orderAt: ordered,
			trackingNumber: "RB100000006ES", shippedAt: day(30), status: app.StatusDelivered, statusAt: day(60), emailsSent: 3, visitsOnDays: []time.Time{*c1}})
		seedInsight(t, db, insightShipment{shop: acme, order: 7, country: "ES", carrier: "Correos", source: app.SourceAPI, created: *at("2026-10-20T09:00:00Z"),
			orderAt: *at("2026-10-19T09:00:00Z"), trackingNumber: "RB100000007ES", shippedAt: at("2026-10-29T09:00:00Z"), status: app.StatusDelivered,
			statusAt: at("2026-11-20T09:00:00Z"), emailsSent: 1})

		period := app.InsightQuery{From: *at("2026-11-01T00:00:00Z"), To: *at("2026-12-01T00:00:00Z"), By: app.ByCarrier}
		rows, err := db.ShipmentInsights(ctx, acme.ID, period)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Key != "Correos" || rows[1].Key != "DHL" {
			t.Fatalf("rows: %+v", rows)
		}
		c := rows[0]
		near := func(what string, got *float64, want float64) {
			t.Helper()
			if got == nil || *got < want-1e-6 || *got > want+1e-6 {
				t.Errorf("%s: %v, want %v", what, show(got), want)
			}
		}
		near("Correos order→fulfillment median (1, 2, 3, 10 days)", c.OrderToFulfillmentDays.Median, 2.5)
		near("Correos order→fulfillment p90", c.OrderToFulfillmentDays.P90, 10)
		// Delivered 2026-11-05T22:30 − shipped 2026-11-03T10:00 = 2.52083 days; 3.5625 (7 Nov 23:30 − 4 Nov 10:00); 5.
		near("Correos fulfillment→delivery median", c.FulfillmentToDeliveryDays.Median, 3.5625)
		near("Correos fulfillment→delivery p90", c.FulfillmentToDeliveryDays.P90, 5)
		near("Correos on-time share (1 of the 2 delivered with an estimate)", c.DeliveredOnTimeShare, 0.5)
		if c.Shipments != 4 || c.Delivered != 3 || c.Exceptions != 1 || c.Stalled != 2 || c.EmailsSent != 3 || c.TrackingPageVisits != 4 {
			t.Errorf("Correos counts: shipments %d delivered %d exceptions %d stalled %d emails %d visits %d, want 4 3 1 2 3 4",
				c.Shipments, c.Delivered, c.Exceptions, c.Stalled, c.EmailsSent, c.TrackingPageVisits)
		}
		d := rows[1]
		if d.Shipments != 1 || d.OrderToFulfillmentDays.Median != nil || d.FulfillmentToDeliveryDays.P90 != nil || d.DeliveredOnTimeShare != nil {
			t.Errorf("DHL: %+v, want one shipment and no durations", d)
		}

		period.By = app.ByCountry
		rows, err = db.ShipmentInsights(ctx, acme.ID, period)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Key != "ES" || rows[0].Shipments != 3 || rows[1].Key != "MX" || rows[1].Shipments != 2 {
			t.Fatalf("by country: %+v", rows)
		}
		near("ES order→fulfillment median (1, 2, 3)", rows[0].OrderToFulfillmentDays.Median, 2)
		near("ES order→fulfillment p90", rows[0].OrderToFulfillmentDays.P90, 3)
		near("MX order→fulfillment median (10)", rows[1].OrderToFulfillmentDays.Median, 10)
		if rows[0].TrackingPageVisits != 4 || rows[1].Stalled != 1 || rows[1].Exceptions != 1 {
			t.Errorf("by country: %+v", rows)
		}

		period.By = app.BySupplier
		rows, err = db.ShipmentInsights(ctx, acme.ID, period)
		if err != nil {
			t.Fatal(err)
		}
		// Two numbers from the key, two from CSV, one from the API before
		// keys were recorded.
		if len(rows) != 3 || rows[0].Key != "Proveedor Shenzhen" || rows[0].KeyIsSource || rows[0].Shipments != 2 || rows[0].EmailsSent != 3 ||
			rows[1].Key != "csv" || !rows[1].KeyIsSource || rows[1].Shipments != 2 || rows[2].Key != "api" || !rows[2].KeyIsSource || rows[2].Shipments != 1 {
			t.Fatalf("by supplier: %+v", rows)
		}
		near("the key's order→fulfillment median (1, 2)", rows[0].OrderToFulfillmentDays.Median, 1.5)

		// The other shop sees only its own.
		rows, err = db.ShipmentInsights(ctx, other.ID, app.InsightQuery{From: period.From, To: period.To, By: app.ByCarrier})
		if err != nil || len(rows) != 1 || rows[0].Shipments != 1 || rows[0].EmailsSent != 3 || rows[0].TrackingPageVisits != 1 {
			t.Fatalf("other shop: %+v %v", rows, err)
		}
		// A period with nothing is an empty list, not null.
		rows, err = db.ShipmentInsights(ctx, acme.ID, app.InsightQuery{From: *at("2025-01-01T00:00:00Z"), To: *at("2025-02-01T00:00:00Z"), By: app.ByCarrier})
		if err != nil || rows == nil || len(rows) != 0 {
			t.Fatalf("empty period: %+v %v", rows, err)
		}
		if _, err := db.ShipmentInsights(ctx, acme.ID, app.InsightQuery{From: period.From, To: period.To, By: "weekday"}); app.ErrorCodeOf(err) != app.ErrInvalid {
			t.Errorf("by=weekday: %v, want a refusal", err)
		}
	})
}

func show(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// The medians and 90th percentiles stay exact — to the second — when the
// durations spread over days, crowd into a few hours, repeat, and
// some fulfillments predate the order (negative days): what a merchant sees
// is what sorting every duration gives.
func TestShipmentInsightsPercentilesExact(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		acme := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		ordered := *at("2026-11-02T10:00:00Z")
		created := *at("2026-11-03T09:00:00Z")
		rng := rand.New(rand.NewPCG(7, 13))
		want := map[string][2][]float64{}
		for i := range 61 {
			carrier := []string{"Correos", "SEUR"}[i%2]
			// Seconds: most within 8 hours from −2 h (several to an hour),
			// the rest up to 9 days; every fifth a repeat.
			ship := time.Duration(rng.Int64N(8*3600)-2*3600) * time.Second
			transit := time.Duration(2*86400+rng.Int64N(4*3600)) * time.Second
			if i%3 == 0 {
				ship = time.Duration(rng.Int64N(9*86400)) * time.Second
				transit = time.Duration(3600+rng.Int64N(12*86400)) * time.Second
			}
			if i%5 == 4 {
				ship = time.Duration(i%3) * time.Second
			}
			shipped := ordered.Add(ship)
			s := insightShipment{shop: acme, order: int64(100 + i), country: "ES", carrier: carrier, source: app.SourceCSV, created: created,
				orderAt: ordered, trackingNumber: fmt.Sprintf("RB%09dES", 200000000+i), shippedAt: &shipped, status: app.StatusInTransit}
			w := want[carrier]
			w[0] = append(w[0], ship.Hours()/24)
			if i%4 != 3 {
				delivered := shipped.Add(transit)
				s.status, s.statusAt = app.StatusDelivered, &delivered
				w[1] = append(w[1], transit.Hours()/24)
			}
			want[carrier] = w
			seedInsight(t, db, s)
		}
		rows, err := db.ShipmentInsights(ctx, acme.ID, app.InsightQuery{From: *at("2026-11-01T00:00:00Z"), To: *at("2026-12-01T00:00:00Z"), By: app.ByCarrier})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("rows: %+v", rows)
		}
		for _, r := range rows {
			for i, got := range []app.DaysSpread{r.OrderToFulfillmentDays, r.FulfillmentToDeliveryDays} {
				v := append([]float64{}, want[r.Key][i]...)
				sort.Float64s(v)
				n := len(v)
				median, p90 := (v[(n+1)/2-1]+v[(n+2)/2-1])/2, v[(9*n+9)/10-1]
				what := fmt.Sprintf("%s %s of %d", r.Key, []string{"order→fulfillment", "fulfillment→delivery"}[i], n)
				if got.Median == nil || math.Abs(*got.Median-median) > 1e-6 || got.P90 == nil || math.Abs(*got.P90-p90) > 1e-6 {
					t.Errorf("%s: median %v p90 %v, want %v and %v days", what, show(got.Median), show(got.P90), median, p90)
				}
			}
		}
	})
}

// Snapshots: saved and read back as they were (a later save replaces
// one), and the shops due a refresh are those with a shipment changed since
// their oldest snapshot or with shipments and none — not the others, not
// the uninstalled, the longest waiting first.
func TestInsightSnapshots(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		acme := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "b"})
		gone := install(t, db, "gone.myshopify.com", app.OfflineToken{AccessToken: "c"})
		install(t, db, "empty.myshopify.com", app.OfflineToken{AccessToken: "d"})
		due := func(limit int) []string {
			t.Helper()
			d, err := db.ShopsWithInsightChanges(ctx, limit)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := due(50); len(d) != 0 {
			t.Fatalf("no shipments anywhere, due: %v", d)
		}
		ship := func(shop *app.Shop, number string) string {
			t.Helper()
			out, err := db.CreateShipments(ctx, []*app.Shipment{{ShopID: shop.ID, OrderRef: "#1", OrderName: "#1", TrackingNumber: number,
				Carrier: "Correos", Source: app.SourceAPI, State: app.ShipmentPending}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return out[0].ShipmentID
		}
		acmeShipment := ship(acme, "RB100000001ES")
		ship(other, "RB100000002ES")
		ship(gone, "RB100000003ES")
		if err := db.MarkUninstalled(ctx, gone.Domain); err != nil {
			t.Fatal(err)
		}
		if d := due(50); fmt.Sprint(d) != fmt.Sprint([]string{acme.Domain, other.Domain}) {
			t.Errorf("due with shipments and no snapshot: %v, want acme and other (not the uninstalled, not the empty)", d)
		}

		median, p90, share := 2.5, 10.0, 0.875
		rows := []app.InsightRow{
			{Key: "Correos", Shipments: 4, OrderToFulfillmentDays: app.DaysSpread{Median: &median, P90: &p90}, Delivered: 3,
				DeliveredOnTimeShare: &share, Exceptions: 1, Stalled: 2, EmailsSent: 3, TrackingPageVisits: 4},
			{Key: "csv", KeyIsSource: true, Shipments: 1},
		}
		clock.Advance(time.Minute)
		computed := clock.Now()
		for _, days := range app.InsightPeriods {
			for _, by := range app.InsightGroupings {
				if err := db.SaveInsightSnapshot(ctx, app.InsightSnapshot{ShopID: acme.ID, PeriodDays: days, By: by, ComputedAt: computed, Rows: rows}); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := db.InsightSnapshot(ctx, acme.ID, 90, app.BySupplier)
		if err != nil {
			t.Fatal(err)
		}
		want := &app.InsightSnapshot{ShopID: acme.ID, PeriodDays: 90, By: app.BySupplier, ComputedAt: computed, Rows: rows}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back:\n%+v\nwant\n%+v", got, want)
		}
		if _, err := db.InsightSnapshot(ctx, other.ID, 30, app.ByCarrier); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Errorf("no snapshot: %v, want not found", err)
		}
		if d := due(50); fmt.Sprint(d) != fmt.Sprint([]string{other.Domain}) {
			t.Errorf("due after acme's snapshot: %v, want other only", d)
		}

		// acme's shipment changes after its snapshot: due again, after the
		// shop that has none.
		clock.Advance(10 * time.Minute)
		if err := db.SetShipmentState(ctx, acmeShipment, app.ShipmentFailed, "test", "", ""); err != nil {
			t.Fatal(err)
		}
		if d := due(50); fmt.Sprint(d) != fmt.Sprint([]string{other.Domain, acme.Domain}) {
			t.Errorf("due after acme's change: %v, want other then acme", d)
		}
		if d := due(1); fmt.Sprint(d) != fmt.Sprint([]string{other.Domain}) {
			t.Errorf("due, one at most: %v, want other", d)
		}

		// A later save replaces the snapshot; while one of acme's
		// snapshots is older than the change, acme stays due.
		clock.Advance(time.Minute)
		later := clock.Now()
		if err := db.SaveInsightSnapshot(ctx, app.InsightSnapshot{ShopID: acme.ID, PeriodDays: 90, By: app.BySupplier, ComputedAt: later}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.InsightSnapshot(ctx, acme.ID, 90, app.BySupplier); err != nil || !got.ComputedAt.Equal(later) || got.Rows == nil || len(got.Rows) != 0 {
			t.Errorf("replaced: %+v %v, want no rows computed at %s", got, err, later)
		}
		if d := due(50); fmt.Sprint(d) != fmt.Sprint([]string{other.Domain, acme.Domain}) {
			t.Errorf("due with one snapshot refreshed: %v, want other then acme", d)
		}
		for _, days := range app.InsightPeriods {
			for _, by := range app.InsightGroupings {
				if err := db.SaveInsightSnapshot(ctx, app.InsightSnapshot{ShopID: acme.ID, PeriodDays: days, By: by, ComputedAt: later, Rows: rows}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if d := due(50); fmt.Sprint(d) != fmt.Sprint([]string{other.Domain}) {
			t.Errorf("due with all of acme's snapshots refreshed: %v, want other only", d)
		}
	})
}
