// Command insightsload measures the admin's analytics and the shipments CSV
// export at scale: it seeds -n shipments (each with its order, about one
// sent email each, some tracking page visits and stalls) for one shop over a
// year, then times the insights query per grouping — for the whole year
// and for the last 30 days — and the export, and prints a Markdown table.
// With -snapshots it also times what the admin is served instead: a
// refresh of the shop's snapshots (shipping.RefreshInsights: every preset
// period and grouping), a snapshot served (shipping.ShopInsights, p50 and
// p99) and the sweep's look for shops with changes.
//
//	go run ./app/store/insightsload [-n 1000000] [-engine sqlite|postgres] [-runs 3] [-db URL] [-snapshots] [-live=false]
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
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

func main() {
	n := flag.Int("n", 1_000_000, "shipments to seed (one order each)")
	engine := flag.String("engine", "sqlite", "database: sqlite (a temporary file) or postgres (a new database on WAYBILL_TEST_POSTGRES_URL's server)")
	runs := flag.Int("runs", 3, "timed runs of each query (the median is reported)")
	keep := flag.String("db", "", "an existing database to seed once and keep (postgres://… or sqlite://PATH); -engine is then ignored")
	snapshots := flag.Bool("snapshots", false, "also time a snapshot refresh, snapshots served and the sweep's look for changes")
	live := flag.Bool("live", true, "time the live queries and the export")
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
		return run(t, *n, store.Engine(*engine), *runs, *keep, *live, *snapshots)
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

func run(t *apptest.Program, n int, engine store.Engine, runs int, keep string, live, snapshots bool) error {
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
	periods := []struct {
		name     string
		from, to time.Time
	}{{"365 days", end.AddDate(-1, 0, 0), end}, {"30 days", end.AddDate(0, 0, -30), end}}
	exports := []struct {
		name string
		f    app.ShipmentFilter
	}{{"export, every shipment", app.ShipmentFilter{}}, {"export, one carrier, last 30 days", app.ShipmentFilter{Carrier: "Correos", From: end.AddDate(0, 0, -30), To: end}}}
	if !live {
		periods, exports = nil, nil
	}
	for _, period := range periods {
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
	for _, f := range exports {
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

	if len(results) > 0 {
		fmt.Printf("\n%d shipments, %s, %d CPUs, median of %d runs:\n\n", n, engine, runtime.NumCPU(), runs)
		fmt.Println("| query | shipments read | time | shipments/s |")
		fmt.Println("|---|---|---|---|")
		for _, r := range results {
			fmt.Printf("| %s | %s | %s | %s |\n", r.what, thousands(r.rows), r.median.Round(time.Millisecond), thousands(int64(float64(r.rows)/r.median.Seconds())))
		}
	}
	if snapshots {
		return timeSnapshots(ctx, db, shop, n, runs)
	}
	return nil
}

// timeSnapshots times the snapshot path through the workflow itself (the
// part of shipping.Service it uses): the refresh the worker runs, the
// snapshots served to the admin, and the sweep's look for changed shops.
func timeSnapshots(ctx context.Context, db *store.DB, shop *app.Shop, n, runs int) error {
	// Just after the last change (the seed's latest shipments are up to
	// three days past end), so that no shipment is newer than the snapshots.
	var last struct{ UpdatedAt time.Time }
	if err := db.Gorm().Raw("SELECT updated_at FROM shipments WHERE shop_id = ? ORDER BY updated_at DESC LIMIT 1", shop.ID).Scan(&last).Error; err != nil {
		return err
	}
	clock := apptest.NewClock(last.UpdatedAt.Add(time.Second))
	svc := &shipping.Service{Shops: db, Insights: db, Dispatch: noDispatch{}, Clock: clock, Log: slog.New(slog.DiscardHandler)}
	var refreshes []time.Duration
	for range runs {
		s := time.Now()
		if err := svc.RefreshInsights(ctx, shop.Domain); err != nil {
			return err
		}
		refreshes = append(refreshes, time.Since(s))
	}
	sort.Slice(refreshes, func(i, j int) bool { return refreshes[i] < refreshes[j] })

	// Served: the admin's three presets and three groupings in turn.
	const reads = 900
	var served []time.Duration
	for i := range reads {
		days := app.InsightPeriods[i%len(app.InsightPeriods)]
		by := app.InsightGroupings[(i/len(app.InsightPeriods))%len(app.InsightGroupings)]
		y, m, d := clock.Now().In(shop.Location()).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		q := app.InsightQuery{From: today.AddDate(0, 0, -(days - 1)), To: today.AddDate(0, 0, 1), By: by}
		s := time.Now()
		rep, err := svc.ShopInsights(ctx, shop, q)
		if err != nil {
			return err
		}
		served = append(served, time.Since(s))
		if rep.Live {
			return fmt.Errorf("%d days by %s computed live, not served from its snapshot", days, by)
		}
	}
	sort.Slice(served, func(i, j int) bool { return served[i] < served[j] })

	// The sweep's look: nothing changed since the snapshots, then one
	// shipment changed.
	var touched struct {
		ID        string
		UpdatedAt time.Time
	}
	if err := db.Gorm().Raw("SELECT id, updated_at FROM shipments WHERE shop_id = ? ORDER BY created_at DESC LIMIT 1", shop.ID).Scan(&touched).Error; err != nil {
		return err
	}
	var sweeps [2]time.Duration
	for i := range sweeps {
		if i == 1 {
			if err := db.Gorm().Exec("UPDATE shipments SET updated_at = ? WHERE id = ?", clock.Now().Add(time.Minute), touched.ID).Error; err != nil {
				return err
			}
			defer func() {
				// Put it back, so the data set is the same for the next run.
				if err := db.Gorm().Exec("UPDATE shipments SET updated_at = ? WHERE id = ?", touched.UpdatedAt, touched.ID).Error; err != nil {
					fmt.Fprintln(os.Stderr, "insightsload: restoring the touched shipment:", err)
				}
			}()
		}
		s := time.Now()
		due, err := db.ShopsWithInsightChanges(ctx, 50)
		if err != nil {
			return err
		}
		sweeps[i] = time.Since(s)
		if len(due) != i {
			return fmt.Errorf("sweep %d found %d shops due", i, len(due))
		}
	}

	fmt.Printf("\nsnapshots, %d shipments, %s, %d CPUs:\n\n", n, db.Engine(), runtime.NumCPU())
	fmt.Println("| what | time |")
	fmt.Println("|---|---|")
	fmt.Printf("| refresh: 3 periods × 3 groupings, computed and saved (median of %d) | %s |\n", runs, refreshes[len(refreshes)/2].Round(time.Millisecond))
	fmt.Printf("| served from a snapshot, p50 (%d reads) | %s |\n", reads, served[len(served)/2].Round(time.Microsecond))
	fmt.Printf("| served from a snapshot, p99 | %s |\n", served[len(served)*99/100].Round(time.Microsecond))
	fmt.Printf("| sweep's look for changed shops, none changed | %s |\n", sweeps[0].Round(time.Microsecond))
	fmt.Printf("| sweep's look for changed shops, one changed | %s |\n", sweeps[1].Round(time.Microsecond))
	return nil
}

// noDispatch: a snapshot served queues nothing; a live answer here is an
// error of the load anyway.
type noDispatch struct{ app.Dispatcher }

func (noDispatch) QueueInsightRefresh(context.Context, string) error { return nil }

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
