// Command scaleload pushes many shops' tracking numbers through N worker
// processes: for each N, a fresh PostgreSQL database and Redis database, the
// shops installed in the fake store (each with Shopify's cost bucket: 1,000
// points, 50 restored per second), -web `serve --worker=false` processes and
// N `worker` processes of the binary built from this checkout, and mailpit.
// The numbers are posted to POST /api/v1/tracking in batches per shop (a
// supplier key each), as suppliers do, and it waits until every shipment is
// synced and every customer emailed. It reports per N: shipments/s, each
// shop's completion (fairness), p50/p99 from received to fulfillment created
// and to email queued, Redis and PostgreSQL load, CPU, THROTTLED answers,
// and checks every order got exactly one fulfillment and every customer
// exactly one email.
//
//	WAYBILL_TEST_REDIS_URL=redis://127.0.0.1:6379/0 go run ./app/wiring/processtest/scaleload \
//	  [-shops 200] [-n 10000] [-workers 1,2,4] [-web 1] [-concurrency 10] [-pushes-per-shop 4] \
//	  [-batch 50] [-latency 100ms] [-redis-db 9]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/processtest"
)

type config struct {
	shops, n, web, concurrency, pushes, batch, posters, redisDB int
	latency, timeout                                            time.Duration
}

func main() {
	var cfg config
	flag.IntVar(&cfg.shops, "shops", 200, "shops")
	flag.IntVar(&cfg.n, "n", 10000, "shipments in all (spread evenly over the shops)")
	workers := flag.String("workers", "1,2,4", "worker process counts to run, one fresh cluster each")
	flag.IntVar(&cfg.web, "web", 1, "web processes (serve --worker=false); batches go round-robin")
	flag.IntVar(&cfg.concurrency, "concurrency", 10, "each worker's --concurrency")
	flag.IntVar(&cfg.pushes, "pushes-per-shop", shipping.DefaultPushesPerShop, "each worker's --pushes-per-shop")
	flag.IntVar(&cfg.batch, "batch", 50, "numbers per POST /api/v1/tracking")
	flag.IntVar(&cfg.posters, "posters", 8, "POSTs in flight at once")
	flag.DurationVar(&cfg.latency, "latency", 100*time.Millisecond, "the fake store's answer time (Shopify is not on loopback)")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "longest wait for one N's shipments")
	flag.IntVar(&cfg.redisDB, "redis-db", 9, "Redis database to use (of WAYBILL_TEST_REDIS_URL's server); it is emptied")
	flag.Parse()
	var ns []int
	for f := range strings.SplitSeq(*workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "scaleload: -workers %q: want counts like 1,2,4\n", *workers)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if cfg.shops < 1 || cfg.n < cfg.shops || cfg.web < 1 || cfg.batch < 1 || cfg.posters < 1 {
		fmt.Fprintln(os.Stderr, "scaleload: want -shops ≥ 1, -n ≥ -shops, -web, -batch and -posters ≥ 1")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "waybill-scaleload-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleload:", err)
		os.Exit(1)
	}
	code := 0
	bin, err := processtest.BuildBinary(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleload:", err)
		code = 1
	}
	fmt.Printf("scaleload: %d shipments over %d shops, %d web process(es), workers --concurrency %d --pushes-per-shop %d, batches of %d, fake store answering in %s, %d cores\n",
		cfg.n, cfg.shops, cfg.web, cfg.concurrency, cfg.pushes, cfg.batch, cfg.latency, numCPU())
	for _, n := range ns {
		if code != 0 {
			break
		}
		if err := apptest.RunProgram(func(t *apptest.Program) error { return run(t, bin, cfg, n) }); err != nil {
			fmt.Fprintf(os.Stderr, "scaleload: %d worker(s): %v\n", n, err)
			code = 1
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "scaleload: removing the binary:", err)
	}
	os.Exit(code)
}

func run(t *apptest.Program, bin string, cfg config, workers int) error {
	ctx := context.Background()
	shops := make([]string, cfg.shops)
	for i := range shops {
		shops[i] = fmt.Sprintf("scale%03d.myshopify.com", i)
	}
	setupStart := time.Now()
	c := processtest.NewCluster(t, processtest.Options{Bin: bin, RedisDB: cfg.redisDB, Shops: shops})
	c.H.Fake.InjectFaults(shopifyfake.Faults{Latency: cfg.latency})
	for range cfg.web {
		c.StartWeb()
	}

	// The orders, in the fake and in Waybill, and a supplier key per shop.
	byShop := make([][]processtest.Parcel, len(shops))
	keys := make([]string, len(shops))
	errs := make([]error, len(shops))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, domain := range shops {
		count := cfg.n / len(shops)
		if i < cfg.n%len(shops) {
			count++
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := c.H.DB.ShopByDomain(ctx, domain)
			if err != nil {
				errs[i] = err
				return
			}
			key, _, err := c.H.DB.CreateAPIKey(ctx, domain, "Proveedor")
			if err != nil {
				errs[i] = err
				return
			}
			keys[i] = key
			for j := range count {
				p, err := c.Order(ctx, s, j)
				if err != nil {
					errs[i] = err
					return
				}
				byShop[i] = append(byShop[i], p)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var procs []*processtest.Proc
	for range workers {
		procs = append(procs, c.StartWorker("--concurrency", strconv.Itoa(cfg.concurrency), "--pushes-per-shop", strconv.Itoa(cfg.pushes)))
	}
	fmt.Printf("\n%d worker process(es): set up in %.1f s\n", workers, time.Since(setupStart).Seconds())

	// Batches go round by round over the shops (every shop's first batch,
	// then every shop's second…), as suppliers' systems send them.
	type batch struct {
		shop    int
		parcels []processtest.Parcel
	}
	var batches []batch
	for round := 0; ; round++ {
		added := false
		for i, ps := range byShop {
			if lo := round * cfg.batch; lo < len(ps) {
				batches = append(batches, batch{i, ps[lo:min(lo+cfg.batch, len(ps))]})
				added = true
			}
		}
		if !added {
			break
		}
	}

	before := snapshot(ctx, t, c, procs)
	start := time.Now()
	queue := make(chan batch)
	postErrs := make(chan error, cfg.posters)
	for p := range cfg.posters {
		wg.Go(func() {
			var first error
			for b := range queue {
				if first == nil {
					first = processtest.Post(c.Web[(p+b.shop)%len(c.Web)], keys[b.shop], b.parcels)
				}
			}
			postErrs <- first
		})
	}
	for _, b := range batches {
		queue <- b
	}
	close(queue)
	wg.Wait()
	close(postErrs)
	for err := range postErrs {
		if err != nil {
			return err
		}
	}
	posted := time.Since(start)

	// Every shipment synced (or given up on).
	deadline := start.Add(cfg.timeout)
	var states map[string]int
	for {
		states = shipmentStates(t, c)
		if states["synced"]+states["failed"]+states["needs_attention"] >= cfg.n {
			break
		}
		if time.Now().After(deadline) {
			c.DumpLogs()
			return fmt.Errorf("after %s: shipments by state %v", cfg.timeout, states)
		}
		time.Sleep(500 * time.Millisecond)
	}
	after := snapshot(ctx, t, c, procs)

	// Every email sent (the worker sends them after the pushes).
	var sent int
	for emailsBy := time.Now().Add(2 * time.Minute); ; {
		if err := c.H.DB.Gorm().Raw("SELECT COUNT(*) FROM notifications WHERE status = 'sent'").Scan(&sent).Error; err != nil {
			return err
		}
		if sent >= states["synced"] || time.Now().After(emailsBy) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return report(t, c, cfg, workers, shops, byShop, start, posted, states, sent, before, after)
}

// snap is the load counters at one moment.
type snap struct {
	at                             time.Time
	redisCmds                      int64
	redisByCmd                     map[string]int64
	pgXacts, pgInserted, pgUpdated int64
	pgFetched                      int64
	cpuBusy, cpuAll                int64 // the machine's, in ticks
	workerTicks                    int64 // the worker processes' user+system time
	webTicks, mailTicks, selfTicks int64
	pgTicks                        map[int]int64 // this database's PostgreSQL backends', by pid
	redisCPU                       float64       // the Redis server's user+system seconds
}

func snapshot(ctx context.Context, t *apptest.Program, c *processtest.Cluster, workers []*processtest.Proc) snap {
	s := snap{at: time.Now(), redisByCmd: map[string]int64{}}
	info, err := c.H.RDB.Info(ctx, "stats", "commandstats", "cpu").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			s.redisCmds, _ = strconv.ParseInt(v, 10, 64) // INFO's own format
		}
		for _, f := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(line, f); ok {
				secs, _ := strconv.ParseFloat(v, 64) // INFO's own format
				s.redisCPU += secs
			}
		}
		if name, rest, ok := strings.Cut(line, ":calls="); ok {
			calls, _, _ := strings.Cut(rest, ",")
			s.redisByCmd[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.ParseInt(calls, 10, 64)
		}
	}
	// The backends report their counters about once a second.
	var pg struct{ Xacts, Inserted, Updated, Fetched int64 }
	if err := c.H.DB.Gorm().Raw(`SELECT xact_commit + xact_rollback AS xacts, tup_inserted AS inserted, tup_updated AS updated, tup_fetched AS fetched
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&pg).Error; err != nil {
		t.Fatal(err)
	}
	s.pgXacts, s.pgInserted, s.pgUpdated, s.pgFetched = pg.Xacts, pg.Inserted, pg.Updated, pg.Fetched
	// Backends are pooled, so mostly the same between two snapshots.
	var pids []int
	if err := c.H.DB.Gorm().Raw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(&pids).Error; err != nil {
		t.Fatal(err)
	}
	s.pgTicks = map[int]int64{}
	for _, pid := range pids {
		s.pgTicks[pid] = procTicks(pid)
	}
	s.cpuBusy, s.cpuAll = machineTicks()
	for _, p := range workers {
		s.workerTicks += procTicks(p.Cmd.Process.Pid)
	}
	for _, p := range c.Procs {
		if p.Name == "web" {
			s.webTicks += procTicks(p.Cmd.Process.Pid)
		}
	}
	s.mailTicks = procTicks(c.Mail.PID())
	s.selfTicks = procTicks(os.Getpid())
	return s
}

func shipmentStates(t *apptest.Program, c *processtest.Cluster) map[string]int {
	var rows []struct {
		State string
		N     int
	}
	if err := c.H.DB.Gorm().Raw("SELECT state, COUNT(*) AS n FROM shipments GROUP BY state").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out
}

func report(t *apptest.Program, c *processtest.Cluster, cfg config, workers int, shops []string, byShop [][]processtest.Parcel,
	start time.Time, posted time.Duration, states map[string]int, sent int, before, after snap) error {
	// When each shipment was received, and when its email was queued.
	var rows []struct {
		OrderID   int64
		CreatedAt time.Time
		QueuedAt  *time.Time
	}
	if err := c.H.DB.Gorm().Raw(`SELECT s.order_id, s.created_at, n.queued_at FROM shipments s
		LEFT JOIN notifications n ON n.shipment_id = s.id`).Scan(&rows).Error; err != nil {
		return err
	}
	received := map[int64]time.Time{}
	var toEmail []time.Duration
	for _, r := range rows {
		received[r.OrderID] = r.CreatedAt
		if r.QueuedAt != nil {
			toEmail = append(toEmail, r.QueuedAt.Sub(r.CreatedAt))
		}
	}
	// Fulfillments, from the fake store: exactly one per order, and when.
	var toFulfillment []time.Duration
	var last time.Time
	notOne := 0
	completion := make([]float64, len(shops)) // seconds from the start to the shop's last fulfillment
	throughput := make([]float64, len(shops))
	for i, shop := range shops {
		var shopLast time.Time
		for _, o := range c.H.Fake.Orders(shop) {
			if len(o.Fulfillments) != 1 {
				notOne++
				continue
			}
			at := o.Fulfillments[0].CreatedAt
			toFulfillment = append(toFulfillment, at.Sub(received[o.ID]))
			if at.After(shopLast) {
				shopLast = at
			}
		}
		if shopLast.After(last) {
			last = shopLast
		}
		completion[i] = shopLast.Sub(start).Seconds()
		throughput[i] = float64(len(byShop[i])) / completion[i]
	}
	wall := last.Sub(start).Seconds()
	var points float64
	for _, s := range shops {
		points += c.H.Fake.PointsCharged(s)
	}
	// Every customer exactly one email.
	emails := c.Mail.Recipients()
	once, repeated, missing := 0, 0, 0
	for _, ps := range byShop {
		for _, p := range ps {
			switch n := emails[p.Email]; {
			case n == 1:
				once++
			case n > 1:
				repeated += n - 1
			default:
				missing++
			}
		}
	}

	d := after.at.Sub(before.at).Seconds()
	rate := func(a, b int64) float64 { return float64(b-a) / d }
	fmt.Printf("  posted in %.1f s; all %d synced %.1f s after the first POST: %.1f shipments/s (%.1f points/s over %d buckets)\n",
		posted.Seconds(), states["synced"], wall, float64(states["synced"])/wall, points/wall, len(shops))
	fmt.Printf("  received → fulfillment created: p50 %s, p99 %s, max %s\n", pct(toFulfillment, 50), pct(toFulfillment, 99), pct(toFulfillment, 100))
	fmt.Printf("  received → email queued:        p50 %s, p99 %s, max %s (%d queued)\n", pct(toEmail, 50), pct(toEmail, 99), pct(toEmail, 100), len(toEmail))
	sorted := slices.Sorted(slices.Values(completion))
	fmt.Printf("  per shop, done after: min %.1f s, median %.1f s, max %.1f s; Jain's index of per-shop shipments/s %.3f\n",
		sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1], jain(throughput))
	fmt.Printf("  Redis: %.0f commands/s", rate(before.redisCmds, after.redisCmds))
	type cmd struct {
		name string
		n    int64
	}
	var cmds []cmd
	for name, n := range after.redisByCmd {
		cmds = append(cmds, cmd{name, n - before.redisByCmd[name]})
	}
	slices.SortFunc(cmds, func(a, b cmd) int { return int(b.n - a.n) })
	for i, x := range cmds[:min(5, len(cmds))] {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Printf("%s%s %.0f/s", sep, x.name, float64(x.n)/d)
	}
	fmt.Printf("); %.0f per shipment\n", float64(after.redisCmds-before.redisCmds)/float64(cfg.n))
	fmt.Printf("  PostgreSQL: %.0f transactions/s, %.0f rows inserted/s, %.0f updated/s, %.0f fetched/s; %.1f transactions per shipment\n",
		rate(before.pgXacts, after.pgXacts), rate(before.pgInserted, after.pgInserted), rate(before.pgUpdated, after.pgUpdated),
		rate(before.pgFetched, after.pgFetched), float64(after.pgXacts-before.pgXacts)/float64(cfg.n))
	ticks := func(a, b int64) float64 { return 100 * float64(b-a) / clockTicks / d } // % of one core
	fmt.Printf("  CPU: machine %.0f%% busy of %d cores; workers %.0f%% of a core in all, web %.0f%%, mailpit %.0f%%, Redis %.0f%%, PostgreSQL (this database's backends) %.0f%%, this command (fake store, posting) %.0f%%; load average %s\n",
		100*float64(after.cpuBusy-before.cpuBusy)/float64(after.cpuAll-before.cpuAll), numCPU(),
		ticks(before.workerTicks, after.workerTicks), ticks(before.webTicks, after.webTicks), ticks(before.mailTicks, after.mailTicks),
		100*(after.redisCPU-before.redisCPU)/d, ticks(0, pgTicks(before, after)), ticks(before.selfTicks, after.selfTicks), loadAvg())
	fmt.Printf("  THROTTLED answers %d; shipments by state %v; orders without exactly one fulfillment %d; emails: %d sent, %d customers exactly one, %d repeated, %d missing\n",
		c.H.Fake.Calls("throttled"), states, notOne, sent, once, repeated, missing)
	if notOne > 0 || states["synced"] != cfg.n || missing > 0 || repeated > 0 {
		return fmt.Errorf("%d orders without exactly one fulfillment, %d of %d synced, %d emails missing, %d repeated", notOne, states["synced"], cfg.n, missing, repeated)
	}
	return nil
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "—"
	}
	s := slices.Sorted(slices.Values(ds))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Millisecond).String()
}

// jain is Jain's fairness index: 1 when all xs are equal, 1/len(xs) when
// one takes everything.
func jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	return sum * sum / (float64(len(xs)) * sq)
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// machineTicks reads /proc/stat's first line: busy and all CPU ticks.
func machineTicks() (busy, all int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64) // the kernel's own numbers
		all += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, all
}

// procTicks is a process's user+system CPU time so far, in ticks.
func procTicks(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 14th and 15th of the whole line.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func numCPU() int { return runtime.NumCPU() }

// pgTicks is the CPU the backends alive at both snapshots used between them,
// plus what backends started since used in all.
func pgTicks(before, after snap) int64 {
	var n int64
	for pid, t := range after.pgTicks {
		n += t - before.pgTicks[pid]
	}
	return n
}
