package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// Orders placed before install reach no webhook: shop set-up reads them
// (two pages here, one order with more lines than a page carries), with
// the day each was placed, and a second run adds nothing.
func TestShopSetupBackfillsOrdersPlacedBeforeInstall(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := apptest.NewClock(now)
	var logs apptest.Logs
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 3, Clock: clock, Shops: []string{shop}, Log: &logs})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	ctx := context.Background()

	// 55 orders placed 60 to 6 days ago, a fulfilled one, and one with 12 lines.
	// #1001 has a phone only on its shipping address, as Mexican buyers
	// write it, and a customer with another phone who ticked the SMS box:
	// the consent is for the customer's phone, not the one kept. #1002's
	// only phone is its subscribed customer's: kept with the consent.
	for i := range 55 {
		clock.Set(now.Add(-time.Duration(60-i) * 24 * time.Hour))
		n := shopifyfake.NewOrder{Name: fmt.Sprintf("#%d", 1001+i), ShippingCountry: "MX", Email: "ana@example.com", CustomerFirstName: "Ana",
			LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 2}}}
		switch i {
		case 0:
			n.ShippingPhone, n.CustomerPhone, n.SMSConsent = "55 1234 5678", "+52 55 8765 4321", "SUBSCRIBED"
		case 1:
			n.CustomerPhone, n.SMSConsent = "55 8765 4321", "SUBSCRIBED"
		}
		h.Fake.CreateOrder(shop, n)
	}
	clock.Set(now.Add(-5 * 24 * time.Hour))
	done := h.Fake.CreateOrder(shop, shopifyfake.NewOrder{Name: "#2000", LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
	if _, err := h.Fake.CreateFulfillment(shop, done.ID, shopifyfake.NewFulfillment{}); err != nil {
		t.Fatal(err)
	}
	var many []shopifyfake.NewLineItem
	for i := range 12 {
		many = append(many, shopifyfake.NewLineItem{SKU: fmt.Sprintf("SKU-%02d", i), Title: "Pieza", Quantity: i + 1})
	}
	clock.Set(now.Add(-4 * 24 * time.Hour))
	h.Fake.CreateOrder(shop, shopifyfake.NewOrder{Name: "#2001", LineItems: many})
	clock.Set(now)

	installed := h.Shop(shop)
	if p, err := h.DB.AwaitingOrders(ctx, installed.ID, 1, 50); err != nil || p.Total != 0 {
		t.Fatalf("before set-up: %+v %v", p, err)
	}
	// Time moves (a second every 20 ms) so the fake's cost bucket refills:
	// 40 orders ask for 682 points and the pages come quicker than 50 a second.
	stopClock := make(chan struct{})
	t.Cleanup(func() { close(stopClock) })
	go func() {
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(20 * time.Millisecond):
				clock.Advance(time.Second)
			}
		}
	}()
	h.StartWorker(wiringtest.TestWorker(4))
	if err := h.Queue.QueueShopSetup(ctx, shop); err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(h.RDB)
	drained := func() bool {
		for _, q := range []string{jobs.QueueDefault, jobs.QueueLow} {
			info, err := inspector.GetQueueInfo(q)
			if err != nil || info.Pending+info.Active+info.Scheduled+info.Retry > 0 {
				return false
			}
		}
		return true
	}
	wiringtest.Eventually(t, "56 orders awaiting", func() bool {
		p, err := h.DB.AwaitingOrders(ctx, installed.ID, 1, 50)
		return err == nil && p.Total == 56
	})
	wiringtest.Eventually(t, "the backfill to finish", drained)

	check := func(when string) {
		t.Helper()
		p, err := h.DB.AwaitingOrders(ctx, installed.ID, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		o := p.Orders[0]
		if p.Total != 56 || o.Name != "#1001" || o.AgeDays != 60 || o.ShippingCountry != "MX" || len(o.LineItems) != 1 ||
			o.LineItems[0].Quantity != 2 || o.LineItems[0].FulfillableQuantity != 2 || p.Orders[49].Name != "#1050" {
			t.Fatalf("%s: total %d, first %+v", when, p.Total, o)
		}
		p2, err := h.DB.AwaitingOrders(ctx, installed.ID, 2, 50)
		if err != nil || len(p2.Orders) != 6 {
			t.Fatalf("%s: page 2 %+v %v", when, p2, err)
		}
		last := p2.Orders[5]
		if last.Name != "#2001" || last.AgeDays != 4 || len(last.LineItems) != 12 || last.LineItems[11].SKU != "SKU-11" || last.LineItems[11].FulfillableQuantity != 12 {
			t.Fatalf("%s: the 12-line order %+v", when, last)
		}
		var rows int64
		if err := h.DB.Gorm().Table("orders").Where("shop_id = ?", installed.ID).Count(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if rows != 56 { // the fulfilled order is not read
			t.Fatalf("%s: %d orders stored, want 56", when, rows)
		}
		if got, err := h.DB.OrderByName(ctx, installed.ID, "#1001"); err != nil || got.Email != "ana@example.com" || got.CustomerFirstName != "Ana" ||
			got.Phone != "+525512345678" || got.SMSConsent {
			t.Fatalf("%s: #1001 (the shipping phone, not the subscribed customer's) %+v %v", when, got, err)
		}
		if got, err := h.DB.OrderByName(ctx, installed.ID, "#1002"); err != nil || got.Phone != "+525587654321" || !got.SMSConsent {
			t.Fatalf("%s: #1002 (the subscribed customer's phone) %+v %v", when, got, err)
		}
	}
	check("first run")

	// A second run (a reinstall): the same orders, once each.
	if err := h.Queue.QueueOrderBackfill(ctx, shop, ""); err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "the second backfill to finish", func() bool {
		return h.Fake.Calls("orders") >= 4 && drained()
	})
	check("second run")
}
