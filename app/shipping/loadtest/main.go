// Command loadtest measures tracking intake at scale: a CSV of -rows rows
// (one per order, S10 and YunExpress numbers, carriers detected) is parsed,
// validated, matched to orders Waybill knows, stored and queued for push.
//
//	go run ./app/shipping/loadtest [-rows 50000] [-engine sqlite|postgres] [-redis-db 9]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

func main() {
	rows := flag.Int("rows", 50000, "CSV rows (one order each)")
	engine := flag.String("engine", "sqlite", "database: sqlite (a temporary file) or postgres (a new database on WAYBILL_TEST_POSTGRES_URL's server)")
	redisDB := flag.Int("redis-db", 9, "Redis database to use (of WAYBILL_TEST_REDIS_URL's server); it is emptied")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the import to this file")
	flag.Parse()
	err := apptest.RunProgram(func(t *apptest.Program) error {
		return run(t, *rows, store.Engine(*engine), *redisDB, *cpuProfile)
	})
	if err != nil {
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

func run(t *apptest.Program, n int, engine store.Engine, redisDB int, profile string) error {
	ctx := context.Background()
	// Waybill as main assembles it; no worker, so every push stays queued.
	h := wiringtest.New(t, wiringtest.Options{RedisDB: redisDB, Engine: engine, Shops: []string{"load.myshopify.com"}})
	shop, db, rdb := h.Shop("load.myshopify.com"), h.DB, h.RDB

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
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				t.Errorf("writing the profile: %v", err)
			}
		}()
	}
	start := time.Now()
	report, err := h.Shipping.ImportCSV(ctx, shop, app.SourceCSV, bytes.NewReader(csv.Bytes()))
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	queued, err := rdb.LLen(ctx, "asynq:{default}:pending").Result()
	if err != nil {
		return err
	}
	fmt.Printf("CSV import: %d rows (%d KB), %s, GOMAXPROCS %d\n", n, csv.Len()/1024, db.Engine(), runtime.GOMAXPROCS(0))
	fmt.Printf("  %d accepted, %d duplicate, %d rejected; %d pushes queued\n", report.Accepted, report.Duplicate, report.Rejected, queued)
	fmt.Printf("  parsed, validated, matched, stored and queued in %.2fs (%.0f rows/s)\n", elapsed.Seconds(), float64(n)/elapsed.Seconds())
	if report.Accepted != n || int(queued) != n {
		return fmt.Errorf("expected %d accepted and queued", n)
	}
	return nil
}
