package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// liveShipment stores a synced shipment of the shop, shipped at t0, and
// starts its tracking as a push would.
func liveShipment(t *testing.T, db *store.DB, shopID, number string, fulfillmentID int64, t0 time.Time) string {
	t.Helper()
	ctx := context.Background()
	out, err := db.CreateShipments(ctx, []*app.Shipment{{ShopID: shopID, OrderRef: "#" + number, OrderName: "#1001", TrackingNumber: number,
		Source: app.SourceAPI, State: app.ShipmentPending, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := out[0].ShipmentID
	if ok, err := db.MarkShipmentSynced(ctx, id, number, fulfillmentID, "test"); err != nil || !ok {
		t.Fatalf("synced %v %v", ok, err)
	}
	if err := db.StartTracking(ctx, id, app.TrackingStart{ShippedAt: t0, NextPollAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return id
}

func get(t *testing.T, db *store.DB, id string) *app.Shipment {
	t.Helper()
	s, err := db.ShipmentByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The echo rule: Shopify showing back the event Waybill published (same
// status, same time) is no news; Shopify's own later scan with a status
// Waybill once published is news — its checkpoint is kept.
func TestShopifyEchoesAreRecognisedAndItsOwnNewsKept(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		ctx := context.Background()
		shop, err := db.SaveInstall(ctx, "echo.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		id := liveShipment(t, db, shop.ID, "LX123456785CN", 501, t0)
		at := t0.Add(time.Hour)
		if _, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.Provider17Track, TrackingNumber: "LX123456785CN",
			Status: app.StatusInTransit, StatusAt: at, Checkpoints: []app.Checkpoint{{HappenedAt: at, Status: app.StatusInTransit, Message: "Departed"}}}); err != nil {
			t.Fatal(err)
		}
		// The echo: the same status at the same time, by fulfillment.
		changes, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 501,
			Status: app.StatusInTransit, StatusAt: at, Checkpoints: []app.Checkpoint{{HappenedAt: at, Status: app.StatusInTransit}}})
		if err != nil || len(changes) != 1 || changes[0].Changed || changes[0].NewCheckpoints != 0 {
			t.Fatalf("echo: %+v %v", changes, err)
		}
		// 17TRACK moves on; then Shopify's own carrier tracking scans it in
		// transit again, later: news, with its checkpoint.
		if _, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.Provider17Track, TrackingNumber: "LX123456785CN",
			Status: app.StatusAttemptedDelivery, StatusAt: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		later := at.Add(26 * time.Hour)
		changes, err = db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 501,
			Status: app.StatusInTransit, StatusAt: later, Checkpoints: []app.Checkpoint{{HappenedAt: later, Status: app.StatusInTransit, Message: "Back at the depot"}}})
		if err != nil || !changes[0].Changed || changes[0].NewCheckpoints != 1 {
			t.Fatalf("Shopify's own news: %+v %v", changes, err)
		}
		if s := get(t, db, id); s.Status != app.StatusInTransit || s.StatusSource != app.ProviderShopify || !s.LastEventAt.Equal(later) {
			t.Fatalf("%+v", s)
		}
	})
}

// A status without the carrier's time (a fulfillment's updated_at) only
// moves a parcel forward; after a number change, Shopify's reports from
// before the change are the old parcel's.
func TestForwardOnlyAndReportsOfTheOldNumber(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		ctx := context.Background()
		shop, err := db.SaveInstall(ctx, "fwd.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		id := liveShipment(t, db, shop.ID, "RB123456785ES", 601, t0)
		if _, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.Provider17Track, TrackingNumber: "RB123456785ES",
			Status: app.StatusOutForDelivery, StatusAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// fulfillments/update: in_transit, "updated" later than the carrier's out_for_delivery.
		changes, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 601,
			Status: app.StatusInTransit, StatusAt: t0.Add(3 * time.Hour), ForwardOnly: true})
		if err != nil || changes[0].Changed {
			t.Fatalf("a forward-only report moved the parcel back: %+v %v", changes, err)
		}
		// The merchant changes the number; Shopify still reports the old parcel delivered.
		clock.Advance(4 * time.Hour)
		if _, err := db.EditShipmentTracking(ctx, id, "RB123456799ES", "Correos", ""); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.MarkShipmentSynced(ctx, id, "RB123456799ES", 601, "test"); err != nil || !ok {
			t.Fatal(ok, err)
		}
		changes, err = db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 601,
			Status: app.StatusDelivered, StatusAt: t0.Add(2 * time.Hour), Checkpoints: []app.Checkpoint{{HappenedAt: t0.Add(2 * time.Hour), Status: app.StatusDelivered}}})
		if err != nil || changes[0].Changed || changes[0].NewCheckpoints != 0 {
			t.Fatalf("the old number's delivery applied to the new one: %+v %v", changes, err)
		}
		if s := get(t, db, id); s.Status == app.StatusDelivered {
			t.Fatalf("%+v", s)
		}
	})
}

// Two sources racing on one shipment never lose the further-along status.
func TestConcurrentUpdatesNeverLoseTheNewerStatus(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		ctx := context.Background()
		shop, err := db.SaveInstall(ctx, "race.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for round := range 10 {
			number := "LX1000000" + string(rune('0'+round)) + "0CN"
			id := liveShipment(t, db, shop.ID, number, int64(700+round), t0)
			var wg sync.WaitGroup
			for i, u := range []app.StatusUpdate{
				{Source: app.Provider17Track, TrackingNumber: number, Status: app.StatusDelivered, StatusAt: t0.Add(3 * time.Hour)},
				{Source: app.ProviderShopify, FulfillmentID: int64(700 + round), Status: app.StatusOutForDelivery, StatusAt: t0.Add(2 * time.Hour)},
				{Source: app.ProviderPush, TrackingNumber: number, Status: app.StatusInTransit, StatusAt: t0.Add(time.Hour)},
			} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for try := 0; ; try++ {
						_, err := db.ApplyStatusUpdate(ctx, shop.ID, u)
						if err == nil {
							return
						}
						// SQLite: one writer at a time; a busy database is retried, as a job would be.
						if try > 20 {
							t.Errorf("update %d: %v", i, err)
							return
						}
						time.Sleep(10 * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			if s := get(t, db, id); s.Status != app.StatusDelivered {
				t.Fatalf("round %d: %s, want delivered", round, s.Status)
			}
		}
	})
}

// The sweeps' queries: due polls bounded per shop, stalls marked only when
// no news came since the read, digests claimed once a day.
func TestSweepQueriesOnBothEngines(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		ctx := context.Background()
		big, err := db.SaveInstall(ctx, "big.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		small, err := db.SaveInstall(ctx, "small.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			liveShipment(t, db, big.ID, "BIG00000"+string(rune('0'+i)), int64(800+i), t0)
		}
		smallID := liveShipment(t, db, small.ID, "SMALL0001", 900, t0)
		due, err := db.ShipmentsToPoll(ctx, t0.Add(2*time.Hour), 3, 100)
		if err != nil {
			t.Fatal(err)
		}
		perShop := map[string]int{}
		for _, s := range due {
			perShop[s.ShopID]++
		}
		if perShop[big.ID] != 3 || perShop[small.ID] != 1 {
			t.Fatalf("due per shop: %v", perShop)
		}
		if due, _ := db.ShipmentsToPoll(ctx, t0, 3, 100); len(due) != 0 {
			t.Fatalf("%d due before their time", len(due))
		}
		// A stall decided on a read that news has overtaken is not marked.
		s := get(t, db, smallID)
		if _, err := db.ApplyStatusUpdate(ctx, small.ID, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "SMALL0001",
			Status: app.StatusInTransit, Checkpoints: []app.Checkpoint{{HappenedAt: t0.Add(time.Hour), Status: app.StatusInTransit}}}); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.MarkStalled(ctx, smallID, app.StallNoEvents, t0.Add(5*24*time.Hour), s.LastEventAt); err != nil || ok {
			t.Fatalf("stalled over news: %v %v", ok, err)
		}
		s = get(t, db, smallID)
		if ok, err := db.MarkStalled(ctx, smallID, app.StallNoEvents, t0.Add(5*24*time.Hour), s.LastEventAt); err != nil || !ok {
			t.Fatalf("not stalled: %v %v", ok, err)
		}
		if ids, err := db.ShopsWithStalledShipments(ctx); err != nil || len(ids) != 1 || ids[0] != small.ID {
			t.Fatalf("shops with stalls: %v %v", ids, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := db.ClaimDigest(ctx, small.ID, "2026-12-06"); err != nil || ok != want {
				t.Fatalf("claim %d: %v %v", i, ok, err)
			}
		}
		if err := db.ReleaseDigest(ctx, small.ID, "2026-12-06"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.ClaimDigest(ctx, small.ID, "2026-12-06"); !ok {
			t.Fatal("a released digest cannot be claimed again")
		}
		// Parcels already on their way, queued for a new source: only recent ones, once.
		ids, err := db.QueueTrackers(ctx, big.ID, "src-1", t0.Add(-time.Hour), 100)
		if err != nil || len(ids) != 6 {
			t.Fatalf("queued %d: %v", len(ids), err)
		}
		if ids, _ := db.QueueTrackers(ctx, big.ID, "src-1", t0.Add(-time.Hour), 100); len(ids) != 0 {
			t.Fatalf("queued again: %d", len(ids))
		}
	})
}

// Shopify's event for a fulfillment with two parcels says nothing of which
// moved: checkpoints only, no status for either.
func TestShopifyEventsOfAMultiParcelFulfillmentMoveNoParcel(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		ctx := context.Background()
		shop, err := db.SaveInstall(ctx, "boxes.myshopify.com", app.OfflineToken{AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		a := liveShipment(t, db, shop.ID, "BOX1", 950, t0)
		b := liveShipment(t, db, shop.ID, "BOX2", 950, t0)
		changes, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: 950,
			Status: app.StatusDelivered, StatusAt: t0.Add(time.Hour), Checkpoints: []app.Checkpoint{{HappenedAt: t0.Add(time.Hour), Status: app.StatusDelivered}}})
		if err != nil || len(changes) != 2 {
			t.Fatalf("%+v %v", changes, err)
		}
		for _, id := range []string{a, b} {
			if s := get(t, db, id); s.Status != app.StatusShipped {
				t.Fatalf("%s moved to %s on its box-mate's event", s.TrackingNumber, s.Status)
			}
		}
		// Named by number, the same status moves that parcel only.
		if _, err := db.ApplyStatusUpdate(ctx, shop.ID, app.StatusUpdate{Source: app.Provider17Track, TrackingNumber: "BOX1",
			Status: app.StatusDelivered, StatusAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if get(t, db, a).Status != app.StatusDelivered || get(t, db, b).Status != app.StatusShipped {
			t.Fatal("a number's update moved the wrong parcel")
		}
	})
}
