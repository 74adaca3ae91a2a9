// Command loadtest measures pushing shipments to Shopify: -n shipments, one
// order each, are submitted at once and pushed by the real worker to the
// fake store enforcing Shopify's GraphQL cost bucket (1,000 points, 50
// restored per second, 10 points a mutation). It reports how much of the
// bucket's restore rate the pushes used, and checks every order got exactly
// one fulfillment.
//
//	go run ./jobs/loadtest [-n 1000] [-concurrency 10] [-pushes-per-shop 4]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/tracking"
	"github.com/waybill-app/waybill/jobs"
)

const shopDomain = "push-load.myshopify.com"

func main() {
	n := flag.Int("n", 1000, "shipments")
	concurrency := flag.Int("concurrency", 10, "worker concurrency")
	pushes := flag.Int("pushes-per-shop", jobs.DefaultPushesPerShop, "concurrent pushes for the shop")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379", "Redis server")
	redisDB := flag.Int("redis-db", 9, "Redis database to use; it is emptied")
	flag.Parse()
	if err := run(*n, *concurrency, *pushes, fmt.Sprintf("%s/%d", *redisURL, *redisDB)); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(n, concurrency, pushes int, redisURL string) error {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fake := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "secret"}) // Shopify's standard bucket
	fake.AddShop(shopifyfake.Shop{Domain: shopDomain})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()

	dir, err := os.MkdirTemp("", "waybill-push-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sealer, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "waybill.db"), sealer, app.SystemClock{})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	opts, _ := goredis.ParseURL(redisURL)
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return err
	}
	defer rdb.FlushDB(context.Background())
	r := redis.New(rdb)
	svc := shopify.New(shopify.Config{APIKey: "key", APISecret: "secret", AppURL: "https://app.example", AdminOrigin: srv.URL}, db, r, app.SystemClock{}, log, nil)
	shop, err := db.SaveInstall(ctx, shopDomain, fake.IssueOfflineToken(shopDomain))
	if err != nil {
		return err
	}

	subs := make([]tracking.Submission, n)
	for i := range subs {
		o := fake.CreateOrder(shopDomain, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
		db.SaveOrder(ctx, app.Order{ID: o.ID, ShopID: shop.ID, Name: o.Name, ShopifyUpdatedAt: o.UpdatedAt,
			LineItems: []app.LineItem{{ID: o.LineItems[0].ID, SKU: "MUG-01", Title: "Taza", Quantity: 1, FulfillableQuantity: 1}}})
		subs[i] = tracking.Submission{OrderID: o.ID, TrackingNumber: fmt.Sprintf("YT%016d", i)}
	}
	detector, _ := carrier.New()
	client := jobs.NewClient(rdb)
	defer client.Close()
	deps := jobs.Deps{Shops: db, Orders: db, Shipments: db, Privacy: db, Webhooks: db, Admin: svc, Limiter: r, Dispatch: client,
		PushesPerShop: pushes, AppURL: "https://app.example", Clock: app.SystemClock{}, Log: log}
	workerCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- jobs.Run(workerCtx, rdb, deps, jobs.WorkerOptions{Concurrency: concurrency}) }()
	defer func() { stop(); <-done }()

	trk := &tracking.Service{Orders: db, Shipments: db, Dispatch: client, Carriers: detector, Log: log}
	pointsBefore := fake.PointsCharged(shopDomain)
	start := time.Now()
	if _, err := trk.Submit(ctx, shop, app.SourceAPI, subs); err != nil {
		return err
	}
	fmt.Printf("push load: %d shipments, worker concurrency %d, %d pushes per shop, bucket 1,000 points restoring 50/s\n", n, concurrency, pushes)
	var synced, failed int64
	for {
		db.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state = 'synced'").Scan(&synced)
		db.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state IN ('failed', 'needs_attention')").Scan(&failed)
		if synced+failed >= int64(n) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	points := fake.PointsCharged(shopDomain) - pointsBefore
	// What the bucket could give in that time: its 1,000 points plus 50/s.
	available := 1000 + 50*elapsed
	one := 0
	for _, o := range fake.Orders(shopDomain) {
		if len(o.Fulfillments) == 1 {
			one++
		}
	}
	fmt.Printf("  %.1fs: %d synced, %d failed; %d of %d orders have exactly one fulfillment\n", elapsed, synced, failed, one, n)
	fmt.Printf("  %.2f shipments/s; %.0f points charged (%.1f per shipment), %.1f points/s\n", float64(synced)/elapsed, points, points/float64(n), points/elapsed)
	fmt.Printf("  bucket use: %.1f%% of what it could give (1,000 + 50/s × %.0fs); THROTTLED answers: %d\n", 100*points/available, elapsed, fake.Calls("throttled"))
	if failed > 0 || one != n {
		return fmt.Errorf("%d failed, %d orders with one fulfillment", failed, one)
	}
	return nil
}
