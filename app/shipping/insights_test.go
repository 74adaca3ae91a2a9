package shipping_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// insightsEnv is Waybill (no worker: refreshes stay queued) for two shops
// in Mexico City, at 21:00 on 24 November there (03:00 on the 25th UTC).
type insightsEnv struct {
	*wiringtest.Harness
	clock       *apptest.Clock
	acme, other *app.Shop
	next        int64
}

// newInsightsEnv serves snapshots of any size (INSIGHTS_SNAPSHOT_FROM=1), so
// a handful of shipments exercises them; snapshotFrom "" keeps the default.
func newInsightsEnv(t *testing.T, engine store.Engine, snapshotFrom ...string) *insightsEnv {
	clock := apptest.NewClock(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	env := map[string]string{"INSIGHTS_SNAPSHOT_FROM": "1"}
	if len(snapshotFrom) > 0 {
		env = nil
	}
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 6, Engine: engine, Clock: clock, Env: env, Shops: []string{"acme.myshopify.com", "other.myshopify.com"}})
	for _, d := range []string{"acme.myshopify.com", "other.myshopify.com"} {
		if err := h.DB.UpdateShopProfile(context.Background(), d, app.ShopProfile{Name: "Tienda", Timezone: "America/Mexico_City", Country: "MX"}); err != nil {
			t.Fatal(err)
		}
	}
	return &insightsEnv{Harness: h, clock: clock, acme: h.Shop("acme.myshopify.com"), other: h.Shop("other.myshopify.com"), next: 7000}
}

// ship stores a shipment of the shop created at created, shipped a day
// after its order and delivered transit days later (0: not delivered).
func (e *insightsEnv) ship(shop *app.Shop, carrier, country string, created time.Time, transit float64) {
	e.T.Helper()
	ctx := context.Background()
	e.next++
	name := "#" + strconv.FormatInt(e.next, 10)
	if _, err := e.DB.SaveOrder(ctx, app.Order{ShopID: shop.ID, ID: e.next, Name: name, ShippingCountry: country, ShopifyUpdatedAt: created}); err != nil {
		e.T.Fatal(err)
	}
	out, err := e.DB.CreateShipments(ctx, []*app.Shipment{{ShopID: shop.ID, OrderRef: name, OrderName: name, TrackingNumber: "RB" + name[1:] + "ES",
		Carrier: carrier, Source: app.SourceCSV, State: app.ShipmentSynced}}, "test")
	if err != nil {
		e.T.Fatal(err)
	}
	shipped := created.Add(24 * time.Hour)
	status, statusAt := app.StatusInTransit, shipped
	if transit > 0 {
		status, statusAt = app.StatusDelivered, shipped.Add(time.Duration(transit*float64(24*time.Hour)))
	}
	g := e.DB.Gorm()
	if err := g.Exec("UPDATE orders SET created_at = ? WHERE shop_id = ? AND id = ?", created, shop.ID, e.next).Error; err != nil {
		e.T.Fatal(err)
	}
	if err := g.Exec("UPDATE shipments SET order_id = ?, created_at = ?, shipped_at = ?, status = ?, status_at = ?, estimated_delivery_at = ? WHERE id = ?",
		e.next, created, shipped, string(status), statusAt, shipped.Add(4*24*time.Hour), out[0].ShipmentID).Error; err != nil {
		e.T.Fatal(err)
	}
}

// query is the admin's period from and to (dates, to inclusive), as the
// server reads them.
func query(from, to string, by app.InsightGrouping) app.InsightQuery {
	f, _ := time.Parse(time.DateOnly, from)
	t, _ := time.Parse(time.DateOnly, to)
	return app.InsightQuery{From: f, To: t.AddDate(0, 0, 1), By: by}
}

// refreshQueued reports (and clears) the shop's queued snapshot refresh.
func (e *insightsEnv) refreshQueued(shop *app.Shop) bool {
	e.T.Helper()
	id := jobs.TypeInsightsRefreshShop + ":" + shop.Domain
	info, err := e.Inspect.GetTaskInfo(jobs.QueueLow, id)
	if err != nil {
		return false
	}
	if info.State != asynq.TaskStatePending {
		e.T.Fatalf("refresh of %s %s, want pending", shop.Domain, info.State)
	}
	if err := e.Inspect.DeleteTask(jobs.QueueLow, id); err != nil {
		e.T.Fatal(err)
	}
	return true
}

// The last 30, 90 and 365 days (the shop's calendar) are served from their
// snapshot, with the live query's very numbers, while it is under an hour
// old and of today; otherwise — no snapshot, an old one, a new day on the
// shop's calendar, another period — the figures are computed live, and for
// a preset period a refresh is queued. The sweep queues the shops whose
// shipments changed since their snapshot, and only those.
func TestInsightsSnapshotsServedWhenFresh(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newInsightsEnv(t, engine)
		ctx := context.Background()
		svc := e.Shipping
		e.ship(e.acme, "Correos", "ES", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), 2)
		e.ship(e.acme, "Correos", "MX", time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC), 3.5)
		e.ship(e.acme, "Correos", "MX", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 7)
		e.ship(e.acme, "DHL", "MX", time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), 0)
		e.ship(e.acme, "DHL", "US", time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC), 5.25) // 90 days only
		e.ship(e.acme, "UPS", "US", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 9)     // 365 days only
		e.ship(e.other, "GLS", "ES", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), 1)
		// Today is 24 November in Mexico City (the 25th in UTC).
		last30 := query("2026-10-26", "2026-11-24", app.ByCarrier)

		// No snapshot: live, and a refresh queued.
		rep, err := svc.ShopInsights(ctx, e.acme, last30)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Live || rep.ComputedAt != nil || len(rep.Rows) != 2 || rep.Rows[0].Key != "Correos" || rep.Rows[0].Shipments != 3 {
			t.Fatalf("without a snapshot: %+v, want live figures (Correos 3, DHL 1)", rep)
		}
		if !e.refreshQueued(e.acme) {
			t.Error("no refresh queued after a live answer for the last 30 days")
		}

		if err := svc.RefreshInsights(ctx, e.acme.Domain); err != nil {
			t.Fatal(err)
		}
		computed := e.clock.Now()
		e.clock.Advance(59 * time.Minute) // 21:59 in Mexico City
		periods := map[int]string{30: "2026-10-26", 90: "2026-08-27", 365: "2025-11-25"}
		for days, from := range periods {
			for _, by := range app.InsightGroupings {
				q := query(from, "2026-11-24", by)
				rep, err := svc.ShopInsights(ctx, e.acme, q)
				if err != nil {
					t.Fatal(err)
				}
				live, err := e.DB.ShipmentInsights(ctx, e.acme.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Live || rep.ComputedAt == nil || !rep.ComputedAt.Equal(computed) {
					t.Errorf("%d days by %s: live %v computed at %v, want the snapshot of %s", days, by, rep.Live, rep.ComputedAt, computed)
				}
				if !reflect.DeepEqual(rep.Rows, live) {
					t.Errorf("%d days by %s: the snapshot's rows\n%s\ndiffer from the live query's\n%s", days, by, rowsText(rep.Rows), rowsText(live))
				}
			}
		}
		if rep, _ := svc.ShopInsights(ctx, e.acme, query(periods[365], "2026-11-24", app.ByCarrier)); len(rep.Rows) != 3 || rep.Rows[0].FulfillmentToDeliveryDays.Median == nil {
			t.Errorf("365 days by carrier: %+v, want Correos, DHL and UPS with their durations", rep.Rows)
		}
		if e.refreshQueued(e.acme) {
			t.Error("a refresh queued while the snapshots are fresh")
		}

		// A new shipment within the hour: the snapshot is still what is
		// served (its time tells the merchant), and the sweep queues acme.
		e.ship(e.acme, "Correos", "ES", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), 1)
		if rep, _ := svc.ShopInsights(ctx, e.acme, last30); rep.Live || rep.Rows[0].Shipments != 3 {
			t.Errorf("after a change within the hour: %+v, want the snapshot (Correos 3)", rep)
		}
		if err := svc.RefreshInsights(ctx, e.other.Domain); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.QueueInsightRefreshes(ctx); err != nil || n != 1 {
			t.Errorf("sweep queued %d (%v), want acme only", n, err)
		}
		if !e.refreshQueued(e.acme) || e.refreshQueued(e.other) {
			t.Error("the sweep should queue acme (changed) and not other (unchanged)")
		}

		// Another period (UTC's calendar, a week): live, nothing queued.
		for _, q := range []app.InsightQuery{query("2026-10-27", "2026-11-25", app.ByCarrier), query("2026-11-18", "2026-11-24", app.ByCarrier)} {
			rep, err := svc.ShopInsights(ctx, e.acme, q)
			if err != nil || !rep.Live || rep.ComputedAt != nil {
				t.Errorf("%s–%s: %+v %v, want live", q.From, q.To, rep, err)
			}
		}
		if e.refreshQueued(e.acme) {
			t.Error("a refresh queued for another period than the presets")
		}

		// An hour old: live (Correos now 4), refresh queued.
		e.clock.Set(computed.Add(time.Hour))
		if rep, _ := svc.ShopInsights(ctx, e.acme, last30); !rep.Live || rep.Rows[0].Shipments != 4 {
			t.Errorf("an hour old: %+v, want live figures (Correos 4)", rep)
		}
		if !e.refreshQueued(e.acme) {
			t.Error("no refresh queued for an hour-old snapshot")
		}

		// Refreshed at 23:30 in Mexico City; at 00:10 the next day (under an
		// hour later) the last 30 days end on the 25th: live.
		e.clock.Set(time.Date(2026, 11, 25, 5, 30, 0, 0, time.UTC))
		if err := svc.RefreshInsights(ctx, e.acme.Domain); err != nil {
			t.Fatal(err)
		}
		if rep, _ := svc.ShopInsights(ctx, e.acme, last30); rep.Live {
			t.Error("a fresh snapshot of today not served")
		}
		e.clock.Set(time.Date(2026, 11, 25, 6, 10, 0, 0, time.UTC))
		if rep, _ := svc.ShopInsights(ctx, e.acme, query("2026-10-27", "2026-11-25", app.ByCarrier)); !rep.Live {
			t.Error("yesterday's snapshot served for today's last 30 days")
		}
		if !e.refreshQueued(e.acme) {
			t.Error("no refresh queued on a new day")
		}
	})
}

// rowsText shows rows with their spreads' values (not pointers).
func rowsText(rows []app.InsightRow) string {
	var b strings.Builder
	v := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "%+v o2f=%v/%v f2d=%v/%v on_time=%v\n", r, v(r.OrderToFulfillmentDays.Median), v(r.OrderToFulfillmentDays.P90),
			v(r.FulfillmentToDeliveryDays.Median), v(r.FulfillmentToDeliveryDays.P90), v(r.DeliveredOnTimeShare))
	}
	return b.String()
}

// A shop below INSIGHTS_SNAPSHOT_FROM (10,000 shipments by default) always
// gets live figures, even with a fresh snapshot: what the merchant just did
// shows at once, and the live query is fast at that size. No refresh is
// queued for it.
func TestSmallShopsInsightsAreAlwaysLive(t *testing.T) {
	e := newInsightsEnv(t, store.SQLite, "default")
	ctx := context.Background()
	svc := e.Shipping
	e.ship(e.acme, "Correos", "ES", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), 2)
	last30 := query("2026-10-26", "2026-11-24", app.ByCarrier)
	if err := svc.RefreshInsights(ctx, e.acme.Domain); err != nil {
		t.Fatal(err)
	}
	// Too small for snapshots even over a year: one is computed (the sweep
	// sees the shop refreshed), the rest would never be read.
	if _, err := e.DB.InsightSnapshot(ctx, e.acme.ID, 30, app.ByCarrier); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Errorf("a small shop's 30-day snapshot: %v, want none", err)
	}
	e.ship(e.acme, "Royal Mail", "GB", time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC), 0) // after the snapshot
	rep, err := svc.ShopInsights(ctx, e.acme, last30)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Live || len(rep.Rows) != 2 {
		t.Fatalf("a small shop's last 30 days: %s (live %v), want both carriers, live", rowsText(rep.Rows), rep.Live)
	}
	if e.refreshQueued(e.acme) {
		t.Error("a refresh was queued for a small shop")
	}
}
