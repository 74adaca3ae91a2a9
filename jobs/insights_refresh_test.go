package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// The scheduler's sweep queues the refresh of a shop whose shipments
// changed, the worker computes its snapshots, and the admin's Insights
// page is then served the snapshot (live false, its time) with the numbers
// the live query gives.
func TestInsightsRefreshSnapshotServedByTheAPI(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 3, Clock: clock, Shops: []string{shop},
		Env: map[string]string{"INSIGHTS_SNAPSHOT_FROM": "1"}}) // snapshots of a handful of shipments served too
	e := &env{Harness: h, fake: h.Fake, db: h.DB, rdb: h.RDB, client: h.Queue, clock: clock}
	e.startWorker(5 * time.Second)
	ctx := context.Background()
	if err := e.db.UpdateShopProfile(ctx, shop, app.ShopProfile{Name: "Acme", Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		t.Fatal(err)
	}
	acme, err := e.db.ShopByDomain(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	for i, c := range []struct {
		carrier string
		age     time.Duration // created this long ago
		transit time.Duration // shipped → delivered, 0: on its way
	}{{"Correos", 5 * 24 * time.Hour, 50 * time.Hour}, {"Correos", 3 * 24 * time.Hour, 30 * time.Hour}, {"SEUR", 2 * 24 * time.Hour, 0}} {
		id := int64(8000 + i)
		name := "#" + strconv.FormatInt(id, 10)
		created := now.Add(-c.age)
		if _, err := e.db.SaveOrder(ctx, app.Order{ShopID: acme.ID, ID: id, Name: name, ShippingCountry: "ES", ShopifyUpdatedAt: created}); err != nil {
			t.Fatal(err)
		}
		out, err := e.db.CreateShipments(ctx, []*app.Shipment{{ShopID: acme.ID, OrderRef: name, OrderName: name, TrackingNumber: "RB" + name[1:] + "ES",
			Carrier: c.carrier, Source: app.SourceCSV, State: app.ShipmentSynced}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		shipped := created.Add(20 * time.Hour)
		status, statusAt := app.StatusInTransit, shipped
		if c.transit > 0 {
			status, statusAt = app.StatusDelivered, shipped.Add(c.transit)
		}
		if err := e.db.Gorm().Exec("UPDATE shipments SET order_id = ?, created_at = ?, shipped_at = ?, status = ?, status_at = ? WHERE id = ?",
			id, created, shipped, string(status), statusAt, out[0].ShipmentID).Error; err != nil {
			t.Fatal(err)
		}
	}

	client := asynq.NewClientFromRedisClient(e.rdb)
	if _, err := client.Enqueue(jobs.NewInsightsRefreshTask()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refresh to save every snapshot", func() bool {
		_, err := e.db.InsightSnapshot(ctx, acme.ID, 365, app.ByCountry) // the last one computed
		return err == nil
	})

	today := now.In(acme.Location())
	from, to := today.AddDate(0, 0, -29).Format(time.DateOnly), today.Format(time.DateOnly)
	req := newRequest(t, "GET", e.URL+"/api/admin/insights?by=carrier&from="+from+"&to="+to, nil)
	req.Header.Set("Authorization", "Bearer "+e.fake.SessionToken(shop, time.Minute))
	code, body := do(t, req)
	var got struct {
		Live       bool            `json:"live"`
		ComputedAt *time.Time      `json:"computed_at"`
		Rows       json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("insights: %d %s (%v)", code, body, err)
	}
	if got.Live || got.ComputedAt == nil || got.ComputedAt.Sub(now).Abs() > time.Second {
		t.Errorf("insights: live %v computed at %v, want the snapshot computed now (%s)", got.Live, got.ComputedAt, now)
	}
	f, _ := time.Parse(time.DateOnly, from)
	u, _ := time.Parse(time.DateOnly, to)
	live, err := e.db.ShipmentInsights(ctx, acme.ID, app.InsightQuery{From: f, To: u.AddDate(0, 0, 1), By: app.ByCarrier})
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(live)
	if err != nil {
		t.Fatal(err)
	}
	var served bytes.Buffer
	if err := json.Compact(&served, got.Rows); err != nil {
		t.Fatal(err)
	}
	if served.String() != string(want) {
		t.Errorf("served rows\n%s\nwant the live query's\n%s", served.String(), want)
	}
	if len(live) != 2 || live[0].Key != "Correos" || live[0].Delivered != 2 || live[0].FulfillmentToDeliveryDays.Median == nil {
		t.Errorf("live rows: %s, want Correos (2 delivered) and SEUR", want)
	}
}
