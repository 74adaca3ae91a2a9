// Command insightsload measures the admin's analytics and the shipments CSV
// export at scale: it seeds -n shipments (each with its order, about one
// sent email each, some tracking page visits and stalls) for one shop over a
// year, then times the insights query per grouping — for the whole year
// and for the last 30 days — and the export, and prints a Markdown table.
//
//	go run ./app/store/insightsload [-n 1000000] [-engine sqlite|postgres] [-runs 3] [-db URL]
//
// With -db the data set is kept in that database (postgres://… or
// sqlite://PATH) and seeded only when it holds no load shop yet, so the
// queries can be timed again after a change without seeding again.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

func main() {
	n := flag.Int("n", 1_000_000, "shipments to seed (one order each)")
	engine := flag.String("engine", "sqlite", "database: sqlite (a temporary file) or postgres (a new database on WAYBILL_TEST_POSTGRES_URL's server)")
	runs := flag.Int("runs", 3, "timed runs of each query (the median is reported)")
	keep := flag.String("db", "", "an existing database to seed once and keep (postgres://… or sqlite://PATH); -engine is then ignored")
	flag.Parse()
	if *keep == "" && *engine != string(store.SQLite) && *engine != string(store.Postgres) {
		fmt.Fprintln(os.Stderr, "insightsload: -engine must be sqlite or postgres")
		os.Exit(2)
	}
	if *n < 1 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "insightsload: -n and -runs must be at least 1")
		os.Exit(2)
	}
	err := apptest.RunProgram(func(t *apptest.Program) error {
		return run(t, *n, store.Engine(*engine), *runs, *keep)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "insightsload:", err)
		os.Exit(1)
	}
}

var (
	carriers  = []string{"Correos", "Correos Express", "SEUR", "GLS", "DHL Express", "UPS", "FedEx", "Correos de México", "Estafeta", "Cainiao", "YunExpress", "4PX"}
	countries = []string{"ES", "ES", "ES", "MX", "MX", "AR", "CO", "CL", "PE", "US", "FR", "PT"}
	sources   = []string{"api", "api", "csv", "manual", "shopify"}
)

// end is the end of the seeded year (the load's "now").
var end = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func run(t *apptest.Program, n int, engine store.Engine, runs int, keep string) error {
	ctx := context.Background()
	db, err := open(ctx, t, engine, keep)
	if err != nil {
		return err
	}
	engine = db.Engine()
	var seeded int64
	if shop, err := db.ShopByDomain(ctx, "load.myshopify.com"); err == nil {
		if err := db.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE shop_id = ?", shop.ID).Scan(&seeded).Error; err != nil {
			return err
		}
	} else if app.ErrorCodeOf(err) != app.ErrNotFound {
		return err
	}
	if _, err := db.SaveInstall(ctx, "load.myshopify.com", app.OfflineToken{AccessToken: "load"}); err != nil {
		return err
	}
	shop, err := db.ShopByDomain(ctx, "load.myshopify.com")
	if err != nil {
		return err
	}
	if err := db.UpdateShopProfile(ctx, shop.Domain, app.ShopProfile{Name: "Load", Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		return err
	}
	if seeded > 0 {
		n = int(seeded)
		fmt.Printf("%d shipments already seeded on %s\n", n, engine)
	} else {
		fmt.Printf("seeding %d shipments on %s… ", n, engine)
		start := time.Now()
		counts, err := seed(ctx, db.Gorm(), shop.ID, n)
		if err != nil {
			return err
		}
		fmt.Printf("%.1f s (%s)\n", time.Since(start).Seconds(), counts)
	}
	if engine == store.Postgres {
		// What autovacuum does after a bulk load: statistics and the
		// visibility map (index-only scans).
		if err := db.Gorm().Exec("VACUUM ANALYZE").Error; err != nil {
			return err
		}
	}

	type result struct {
		what   string
		rows   int64
		median time.Duration
	}
	var results []result
	timeIt := func(fn func() (int64, error)) (time.Duration, int64, error) {
		var ds []time.Duration
		var rows int64
		for range runs {
			s := time.Now()
			r, err := fn()
			if err != nil {
				return 0, 0, err
			}
			ds, rows = append(ds, time.Since(s)), r
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], rows, nil
	}
	for _, period := range []struct {
		name     string
		from, to time.Time
	}{{"365 days", end.AddDate(-1, 0, 0), end}, {"30 days", end.AddDate(0, 0, -30), end}} {
		for _, by := range app.InsightGroupings {
			var groups int
			d, shipments, err := timeIt(func() (int64, error) {
				rows, err := db.ShipmentInsights(ctx, shop.ID, app.InsightQuery{From: period.from, To: period.to, By: by})
				var total int64
				for _, r := range rows {
					total += r.Shipments
				}
				groups = len(rows)
				return total, err
			})
			if err != nil {
				return err
			}
			results = append(results, result{fmt.Sprintf("insights by %s, %s (%d groups)", by, period.name, groups), shipments, d})
		}
	}
	for _, f := range []struct {
		name string
		f    app.ShipmentFilter
	}{{"export, every shipment", app.ShipmentFilter{}}, {"export, one carrier, last 30 days", app.ShipmentFilter{Carrier: "Correos", From: end.AddDate(0, 0, -30), To: end}}} {
		d, rows, err := timeIt(func() (int64, error) {
			w := csv.NewWriter(io.Discard)
			var rows int64
			err := db.ExportShipments(ctx, shop.ID, f.f, func(r app.ShipmentExportRow) error {
				rows++
				return w.Write([]string{r.OrderName, r.TrackingNumber, r.Carrier, string(r.State), string(r.Status), string(r.Source),
					r.CreatedAt.Format(time.RFC3339), fmtTime(r.ShippedAt), fmtTime(r.DeliveredAt), fmtTime(r.StalledAt), r.Country})
			})
			w.Flush()
			return rows, err
		})
		if err != nil {
			return err
		}
		results = append(results, result{f.name, rows, d})
	}

	fmt.Printf("\n%d shipments, %s, %d CPUs, median of %d runs:\n\n", n, engine, runtime.NumCPU(), runs)
	fmt.Println("| query | shipments read | time | shipments/s |")
	fmt.Println("|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | %s |\n", r.what, thousands(r.rows), r.median.Round(time.Millisecond), thousands(int64(float64(r.rows)/r.median.Seconds())))
	}
	return nil
}

// open is a new temporary database on engine, or the one at keep (migrated).
func open(ctx context.Context, t *apptest.Program, engine store.Engine, keep string) (*store.DB, error) {
	if keep == "" {
		return storetest.Open(t, engine, app.SystemClock{}), nil
	}
	db, err := store.Open(ctx, keep, apptest.Sealer(), app.SystemClock{})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func thousands(v int64) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// seed bulk-inserts n orders and shipments with their emails, visits and
// stall history lines: multi-row INSERTs, a transaction per batch.
func seed(ctx context.Context, g *gorm.DB, shopID string, n int) (string, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 500
	var emails, visits, stalls int
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var orders, shipments, notes, visitRows, events inserter
		orders.init("orders", "shop_id, id, name, email, shipping_country, shopify_updated_at, created_at, updated_at")
		shipments.init("shipments", "id, shop_id, order_ref, order_id, order_name, tracking_number, carrier, source, state, status, status_at, "+
			"estimated_delivery_at, delivery_window_to, shipped_at, stalled_at, stalled_reason, statuses_seen, created_at, updated_at")
		notes.init("notifications", "id, shop_id, shipment_id, event, event_key, status, queued_at, sent_at, updated_at")
		visitRows.init("tracking_visits", "shop_id, shipment_id, day, visits")
		events.init("shipment_events", "id, shipment_id, kind, detail, created_at")
		for i := lo; i < hi; i++ {
			orderID := int64(5_000_000_000 + i)
			name := fmt.Sprintf("#%d", 1001+i)
			ordered := end.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
			created := ordered.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
			orders.add(shopID, orderID, name, "", countries[rng.IntN(len(countries))], ordered, ordered, ordered)
			id := app.NewID()
			var status = "pending"
			var statusAt, eta, windowTo, shipped, stalledAt any
			stalledReason, seen := "", ""
			if created.Before(end.Add(-24 * time.Hour)) {
				s := created.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
				shipped, status, statusAt = s, "in_transit", s
				// To the second, as carriers report times: the percentiles
				// are not helped by values that repeat.
				transit := 24*time.Hour + time.Duration(rng.Int64N(int64(20*24*time.Hour)))/time.Second*time.Second
				switch r := rng.IntN(10); {
				case r < 6:
					eta = s.Add(time.Duration(3+rng.IntN(10)) * 24 * time.Hour)
				case r < 9:
					windowTo = s.Add(time.Duration(4+rng.IntN(12)) * 24 * time.Hour)
				}
				switch r := rng.IntN(100); {
				case r < 80 && s.Add(transit).Before(end):
					status, statusAt = "delivered", s.Add(transit)
				case r < 83:
					status, seen = "exception", "in_transit,exception"
				case r < 85:
					stalledAt, stalledReason = s.Add(5*24*time.Hour), app.StallNoEvents
				}
				if r := rng.IntN(100); r < 4 || stalledAt != nil {
					events.add(app.NewID(), id, app.EventStalled, app.StallNoEvents, s.Add(5*24*time.Hour))
					stalls++
				}
				for k, ev := range []string{"shipped", "delivered"}[:rng.IntN(3)] {
					notes.add(app.NewID(), shopID, id, ev, ev, "sent", s, s.Add(time.Duration(k)*time.Minute), s)
					emails++
				}
				if rng.IntN(10) < 3 {
					visitRows.add(shopID, id, s.Add(48*time.Hour).Format(time.DateOnly), 1+rng.IntN(4))
					visits++
				}
			}
			shipments.add(id, shopID, name, orderID, name, fmt.Sprintf("LD%010dES", i), carriers[rng.IntN(len(carriers))], sources[rng.IntN(len(sources))],
				"synced", status, statusAt, eta, windowTo, shipped, stalledAt, stalledReason, seen, created, created)
		}
		err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, in := range []*inserter{&orders, &shipments, &notes, &visitRows, &events} {
				if err := in.exec(tx); err != nil {
					return fmt.Errorf("%s: %w", in.table, err)
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d sent emails, %d visited shipments, %d stalls", emails, visits, stalls), nil
}

// inserter builds one multi-row INSERT.
type inserter struct {
	table, cols string
	width       int
	rows        []string
	args        []any
}

func (in *inserter) init(table, cols string) {
	in.table, in.cols, in.width = table, cols, strings.Count(cols, ",")+1
}

func (in *inserter) add(values ...any) {
	in.rows = append(in.rows, "("+strings.TrimSuffix(strings.Repeat("?,", in.width), ",")+")")
	in.args = append(in.args, values...)
}

func (in *inserter) exec(tx *gorm.DB) error {
	if len(in.rows) == 0 {
		return nil
	}
	return tx.Exec("INSERT INTO "+in.table+" ("+in.cols+") VALUES "+strings.Join(in.rows, ","), in.args...).Error
}
