// Command loadtest measures tracking intake at scale: a CSV of -rows rows
// (one per order, S10 and YunExpress numbers, carriers detected) is parsed,
// validated, matched to orders Waybill knows, stored and queued for push.
//
//	go run ./app/tracking/loadtest [-rows 50000] [-database postgres://…] [-redis-db 9]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/tracking"
	"github.com/waybill-app/waybill/jobs"
)

var profile string

func main() {
	rows := flag.Int("rows", 50000, "CSV rows (one order each)")
	databaseURL := flag.String("database", "", "database URL (default: a temporary SQLite file)")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379", "Redis server")
	redisDB := flag.Int("redis-db", 9, "Redis database to use; it is emptied")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the import to this file")
	flag.Parse()
	profile = *cpuProfile
	if err := run(*rows, *databaseURL, fmt.Sprintf("%s/%d", *redisURL, *redisDB)); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// s10 makes a valid UPU S10 number from a serial.
func s10(serial int, country string) string {
	digits := fmt.Sprintf("%08d", serial%100_000_000)
	check, _ := carrier.S10CheckDigit(digits)
	return fmt.Sprintf("RB%s%d%s", digits, check, country)
}

func run(n int, databaseURL, redisURL string) error {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if databaseURL == "" {
		dir, err := os.MkdirTemp("", "waybill-csv-load")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		databaseURL = "sqlite://" + filepath.Join(dir, "waybill.db")
	}
	sealer, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	db, err := store.Open(ctx, databaseURL, sealer, app.SystemClock{})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	shop, err := db.SaveInstall(ctx, "load.myshopify.com", app.OfflineToken{AccessToken: "shpat_load"})
	if err != nil {
		return err
	}
	opts, _ := goredis.ParseURL(redisURL)
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return err
	}
	defer rdb.FlushDB(context.Background())

	fmt.Printf("seeding %d orders… ", n)
	seedStart := time.Now()
	for i := 0; i < n; i++ {
		if _, err := db.SaveOrder(ctx, app.Order{ID: int64(100000 + i), ShopID: shop.ID, Name: fmt.Sprintf("#%d", 1001+i), ShopifyUpdatedAt: time.Now(),
			LineItems: []app.LineItem{{ID: int64(9000000 + i), SKU: "SKU-" + fmt.Sprint(i%50), Title: "Item", Quantity: 2, FulfillableQuantity: 2}}}); err != nil {
			return err
		}
	}
	fmt.Printf("%.1fs\n", time.Since(seedStart).Seconds())

	var csv bytes.Buffer
	csv.WriteString("order,tracking_number,carrier,tracking_url,sku,quantity\n")
	for i := 0; i < n; i++ {
		number := s10(i, "ES")
		if i%2 == 1 {
			number = fmt.Sprintf("YT%016d", i)
		}
		fmt.Fprintf(&csv, "#%d,%s,,,SKU-%d,1\n", 1001+i, number, i%50)
	}
	detector, err := carrier.New()
	if err != nil {
		return err
	}
	client := jobs.NewClient(rdb)
	defer client.Close()
	svc := &tracking.Service{Orders: db, Shipments: db, Dispatch: client, Carriers: detector, Log: log}

	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	report, err := svc.ImportCSV(ctx, shop, app.SourceCSV, bytes.NewReader(csv.Bytes()))
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	queued, _ := rdb.LLen(ctx, "asynq:{default}:pending").Result()
	fmt.Printf("CSV import: %d rows (%d KB), %s, GOMAXPROCS %d\n", n, csv.Len()/1024, db.Engine(), runtime.GOMAXPROCS(0))
	fmt.Printf("  %d accepted, %d duplicate, %d rejected; %d pushes queued\n", report.Accepted, report.Duplicate, report.Rejected, queued)
	fmt.Printf("  parsed, validated, matched, stored and queued in %.2fs (%.0f rows/s)\n", elapsed.Seconds(), float64(n)/elapsed.Seconds())
	if report.Accepted != n || int(queued) != n {
		return fmt.Errorf("expected %d accepted and queued", n)
	}
	return nil
}
