// Command loadtest measures pushing shipments to Shopify: -n shipments, one
// order each (with a customer and -lines lines, Waybill holding its copy as
// the webhooks leave it), are submitted at once and pushed by the real worker
// to the fake store enforcing Shopify's GraphQL cost bucket (1,000 points, 50
// restored per second, 10 points a mutation). It reports how much of the
// bucket's restore rate the pushes used, the points each shipment requested
// and was charged (per GraphQL operation, from the fake's accounting), and
// checks every order got exactly one fulfillment.
//
//	go run ./jobs/loadtest [-n 1000] [-lines 1] [-concurrency 10] [-pushes-per-shop 4] [-redis-db 9]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

const shopDomain = "push-load.myshopify.com"

func main() {
	n := flag.Int("n", 1000, "shipments")
	lines := flag.Int("lines", 1, "line items per order (each shipment takes the whole order)")
	concurrency := flag.Int("concurrency", 10, "worker concurrency")
	pushes := flag.Int("pushes-per-shop", shipping.DefaultPushesPerShop, "concurrent pushes for the shop")
	redisDB := flag.Int("redis-db", 9, "Redis database to use (of WAYBILL_TEST_REDIS_URL's server); it is emptied")
	flag.Parse()
	err := apptest.RunProgram(func(t *apptest.Program) error { return run(t, *n, max(1, *lines), *concurrency, *pushes, *redisDB) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(t *apptest.Program, n, lines, concurrency, pushes, redisDB int) error {
	ctx := context.Background()
	// Waybill as main assembles it, on SQLite, against the fake store with
	// Shopify's standard bucket.
	h := wiringtest.New(t, wiringtest.Options{RedisDB: redisDB, PushesPerShop: pushes, Shops: []string{shopDomain}})
	shop := h.Shop(shopDomain)
	subs := make([]shipping.Submission, n)
	for i := range subs {
		items := make([]shopifyfake.NewLineItem, lines)
		for j := range items {
			items[j] = shopifyfake.NewLineItem{SKU: fmt.Sprintf("MUG-%02d", j+1), Title: "Taza", Quantity: 1}
		}
		email := fmt.Sprintf("customer%d@example.com", i)
		o := h.Fake.CreateOrder(shopDomain, shopifyfake.NewOrder{Email: email, CustomerFirstName: "Lucía", CustomerLocale: "es", LineItems: items})
		// Waybill's copy, as the orders/create webhook leaves it.
		copied := make([]app.LineItem, lines)
		for j, li := range o.LineItems {
			copied[j] = app.LineItem{ID: li.ID, SKU: li.SKU, Title: li.Title, Quantity: 1, FulfillableQuantity: 1}
		}
		if _, err := h.DB.SaveOrder(ctx, app.Order{ID: o.ID, ShopID: shop.ID, Name: o.Name, Email: email, CustomerFirstName: "Lucía", CustomerLocale: "es",
			ShopifyUpdatedAt: o.UpdatedAt, LineItems: copied}); err != nil {
			return err
		}
		subs[i] = shipping.Submission{OrderID: o.ID, TrackingNumber: fmt.Sprintf("YT%016d", i)}
	}
	h.StartWorker(jobs.WorkerOptions{Concurrency: concurrency})

	pointsBefore := h.Fake.PointsCharged(shopDomain)
	costsBefore := h.Fake.Costs(shopDomain)
	start := time.Now()
	if _, err := h.Shipping.Submit(ctx, shop, app.SourceAPI, subs); err != nil {
		return err
	}
	fmt.Printf("push load: %d shipments of %d line(s), worker concurrency %d, %d pushes per shop, bucket 1,000 points restoring 50/s\n", n, lines, concurrency, pushes)
	var synced, failed int64
	for {
		if err := h.DB.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state = 'synced'").Scan(&synced).Error; err != nil {
			return err
		}
		if err := h.DB.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state IN ('failed', 'needs_attention')").Scan(&failed).Error; err != nil {
			return err
		}
		if synced+failed >= int64(n) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	points := h.Fake.PointsCharged(shopDomain) - pointsBefore
	// What the bucket could give in that time: its 1,000 points plus 50/s.
	available := 1000 + 50*elapsed
	one := 0
	for _, o := range h.Fake.Orders(shopDomain) {
		if len(o.Fulfillments) == 1 {
			one++
		}
	}
	fmt.Printf("  %.1fs: %d synced, %d failed; %d of %d orders have exactly one fulfillment\n", elapsed, synced, failed, one, n)
	fmt.Printf("  %.2f shipments/s; %.0f points charged (%.1f per shipment), %.1f points/s\n", float64(synced)/elapsed, points, points/float64(n), points/elapsed)
	fmt.Printf("  bucket use: %.1f%% of what it could give (1,000 + 50/s × %.0fs); THROTTLED answers: %d\n", 100*points/available, elapsed, h.Fake.Calls("throttled"))
	// Points per shipment, requested and charged, by operation.
	costs := h.Fake.Costs(shopDomain)
	ops := make([]string, 0, len(costs))
	for op := range costs {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var requested, actual float64
	for _, op := range ops {
		c, b := costs[op], costsBefore[op]
		calls, req, act := c.Calls-b.Calls, c.Requested-b.Requested, c.Actual-b.Actual
		if calls == 0 {
			continue
		}
		requested, actual = requested+req, actual+act
		fmt.Printf("  %-24s %5d calls: %6.1f requested, %5.1f charged per call; %6.1f requested, %5.1f charged per shipment\n",
			op, calls, req/float64(calls), act/float64(calls), req/float64(n), act/float64(n))
	}
	fmt.Printf("  per shipment: %.1f points requested, %.1f charged\n", requested/float64(n), actual/float64(n))
	if failed > 0 || one != n {
		return fmt.Errorf("%d failed, %d orders with one fulfillment", failed, one)
	}
	return nil
}
