// Command statusload measures live carrier status end to end: shipments made
// in Shopify are registered with each shop's aggregator (17TRACK, or
// AfterShip for every other shop), the aggregators push in_transit,
// out_for_delivery and delivered for every parcel, and Waybill turns each
// push into a customer email and a Shopify fulfillment event.
//
//	go run ./app/shipping/statusload [-shipments 10000] [-shops 50] [-engine sqlite|postgres] [-concurrency 10]
//	                                 [-rate 200] [-senders 32] [-waves] [-intake webhook|direct] [-echo=false] [-redis-db 9]
//
// Waybill is built by the test harness (app/wiring/wiringtest) on a
// temporary SQLite file (or a new PostgreSQL database), Redis database
// -redis-db (emptied), the fake Shopify store (1,000-point bucket restoring
// 50/s per shop) and one provider fake per shop behind a router that sends
// each API key to its account. No SMTP_URL: emails are rendered and
// recorded as skipped; what is measured is the decision, "email queued".
//
// Three phases:
//
//  1. seed: orders (in the fake and Waybill's copy) and a fulfillment with
//     an S10 number each, made in the fake as a merchant or 3PL would;
//  2. registration: the signed fulfillments/create webhooks (or, with
//     -intake direct, Shipping.RecordFulfillment), all at once, with the
//     worker running, until every shipment's tracker is registered; each
//     number must be registered exactly once. Registration that makes no
//     progress for -stall is a violation and ends the run; -waves sends
//     the fulfillments in waves of one second's registrations per key
//     instead, each after the last is registered, so the pushes can be
//     measured at full size;
//  3. pushes: -senders concurrent senders push each parcel's three
//     statuses in order (parcels interleaved, so one parcel's statuses are
//     about shipments/rate seconds apart) at -rate pushes a second (open
//     loop; 0: as fast as they go); Shopify's echo of Waybill's
//     fulfillment events (fulfillment_events/create and
//     fulfillments/update) is sent back to Waybill as Shopify would
//     (-echo). Measured: pushes/s, time to every parcel delivered and every
//     task done, events/s processed (pushes and echoes, first push to
//     every task done), and the time from a push to its email being queued.
//
// Correctness (a violation exits non-zero): one email per shipment and
// event (shipped, out_for_delivery, delivered), every email decided once;
// every parcel delivered with its status history in order and never moved
// by Shopify's echo; three fulfillment events per fulfillment, in order; no
// failed or archived task.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/statusfeed/providerfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

type options struct {
	shipments, shops, concurrency, senders, redisDB int
	engine                                          store.Engine
	rate                                            int
	afterShip, echo, waves                          bool
	stall                                           time.Duration
	intake                                          string
	timeout                                         time.Duration
	logFile                                         string
}

func main() {
	var o options
	var engine string
	flag.IntVar(&o.shipments, "shipments", 10000, "shipments (one order and one fulfillment each)")
	flag.IntVar(&o.shops, "shops", 50, "shops, each with its own aggregator account")
	flag.StringVar(&engine, "engine", "sqlite", "database: sqlite (a temporary file) or postgres (a new database on WAYBILL_TEST_POSTGRES_URL's server)")
	flag.IntVar(&o.concurrency, "concurrency", 10, "worker concurrency")
	flag.IntVar(&o.senders, "senders", 32, "concurrent senders (fulfillment webhooks, provider pushes)")
	flag.IntVar(&o.redisDB, "redis-db", 9, "Redis database to use (of WAYBILL_TEST_REDIS_URL's server); it is emptied")
	flag.IntVar(&o.rate, "rate", -1, "status pushes a second (open loop; -1: 4 a shop, 80% of what Shopify's buckets let Waybill publish; 0: as fast as the senders go)")
	flag.BoolVar(&o.afterShip, "aftership", true, "every other shop uses AfterShip instead of 17TRACK")
	flag.BoolVar(&o.echo, "echo", true, "send Shopify's echo of each fulfillment event back to Waybill, as Shopify does")
	flag.StringVar(&o.intake, "intake", "webhook", "how fulfillments reach Waybill: webhook (signed fulfillments/create) or direct (Shipping.RecordFulfillment)")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up waiting after this long (per phase)")
	flag.BoolVar(&o.waves, "waves", false, "send the fulfillments in waves of one second's registrations per key, each after the last is registered (a way round the registration stall this command found)")
	flag.DurationVar(&o.stall, "stall", 45*time.Second, "registration has stalled when no tracker was registered for this long")
	flag.StringVar(&o.logFile, "log", "", "write Waybill's JSON logs to this file")
	flag.Parse()
	o.engine = store.Engine(engine)
	if o.intake != "webhook" && o.intake != "direct" {
		fmt.Fprintln(os.Stderr, "statusload: -intake is webhook or direct")
		os.Exit(2)
	}
	err := apptest.RunProgram(func(t *apptest.Program) error { return run(t, o) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "statusload:", err)
		os.Exit(1)
	}
}

// provider is one shop's aggregator account: its fake, key and how Waybill
// names it.
type provider struct {
	name    string // app.Provider17Track or app.ProviderAfterShip
	key     string
	advance func(number, status string, at time.Time, location, message string) (int, error)
	regs    func(number string) int
	stops   func(number string) int
	limited func() int
	hook    func(url, secret string)
	close   func()
}

type shopRun struct {
	domain string
	shop   *app.Shop
	prov   provider
}

// parcel is one shipment of the run.
type parcel struct {
	idx           int
	shop          *shopRun
	orderID       int64
	orderName     string
	lineItemID    int64
	fulfillmentID int64
	number        string
	shipmentID    string
	sent          [3]time.Time // when each status push started
}

var steps = [3]string{"InTransit", "OutForDelivery", "Delivered"}

func run(t *apptest.Program, o options) error {
	ctx := context.Background()
	// Every fake and Waybill's own clients share the default transport:
	// keep enough idle connections for the senders, or each push opens one.
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1000, 200
	}
	logs := newLogTally()
	var logOut io.Writer = logs
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return err
		}
		t.Cleanup(func() {
			if err := f.Close(); err != nil {
				t.Errorf("closing %s: %v", o.logFile, err)
			}
		})
		logOut = io.MultiWriter(logs, f)
	}

	// One fake account per shop, each with its own key and webhook; a
	// router in front sends each key to its account, as the one real API
	// would.
	shops := make([]*shopRun, o.shops)
	st17 := &router{header: "17token", accounts: map[string]*url.URL{}}
	as := &router{header: "As-Api-Key", accounts: map[string]*url.URL{}}
	for i := range shops {
		s := &shopRun{domain: fmt.Sprintf("status-load-%02d.myshopify.com", i)}
		if o.afterShip && i%2 == 1 {
			f := providerfake.NewAfterShip()
			key := fmt.Sprintf("AS-LOAD-KEY-%02d-0123456789abcdef", i)
			f.AddKey(key)
			s.prov = provider{name: app.ProviderAfterShip, key: key, advance: f.Advance, regs: f.Registrations, stops: f.Stops,
				limited: f.RateLimited, hook: f.SetWebhook, close: f.Close}
			as.add(key, f.URL)
		} else {
			f := providerfake.New17Track()
			key := fmt.Sprintf("17TRACK-LOAD-KEY-%02d-0123456789", i)
			f.AddKey(key)
			s.prov = provider{name: app.Provider17Track, key: key, advance: f.Advance, regs: f.Registrations, stops: f.Stops,
				limited: f.RateLimited, hook: f.SetWebhook, close: f.Close}
			st17.add(key, f.URL)
		}
		t.Cleanup(s.prov.close)
		shops[i] = s
	}
	st17Srv, asSrv := httptest.NewServer(st17.handler()), httptest.NewServer(as.handler())
	t.Cleanup(st17Srv.Close)
	t.Cleanup(asSrv.Close)

	domains := make([]string, len(shops))
	for i, s := range shops {
		domains[i] = s.domain
	}
	h := wiringtest.New(t, wiringtest.Options{RedisDB: o.redisDB, Engine: o.engine, Shops: domains, Log: logOut,
		Env: map[string]string{
			"SEVENTEENTRACK_API_URL": st17Srv.URL, "AFTERSHIP_API_URL": asSrv.URL,
			"REDIS_URL": fmt.Sprintf("%s?pool_size=%d", redistest.URL(o.redisDB), 4*o.senders+4*o.concurrency),
		}})
	fake := h.Fake
	for _, s := range shops {
		s.shop = h.Shop(s.domain)
		src := &app.StatusSource{ShopID: s.shop.ID, Provider: s.prov.name, Name: s.prov.name, APIKey: s.prov.key, Secret: s.prov.key}
		if err := h.DB.CreateStatusSource(ctx, src); err != nil {
			return err
		}
		hook := h.URL + "/carriers/" + s.prov.name + "/" + src.ID
		s.prov.hook(hook, s.prov.key)
		if s.shop.CustomerEmails != app.CustomerEmailsWaybill {
			if err := h.DB.SetCustomerEmails(ctx, s.domain, app.CustomerEmailsWaybill); err != nil {
				return err
			}
		}
	}
	n17 := 0
	for _, s := range shops {
		if s.prov.name == app.Provider17Track {
			n17++
		}
	}
	fmt.Printf("live status load: %d shipments over %d shops (%d on 17TRACK, %d on AfterShip), database %s, worker concurrency %d, %d senders, GOMAXPROCS %d\n",
		o.shipments, o.shops, n17, o.shops-n17, h.DB.Engine(), o.concurrency, o.senders, runtime.GOMAXPROCS(0))

	// Phase 1: seed orders and fulfillments made in Shopify.
	parcels := make([]*parcel, o.shipments)
	seedStart := time.Now()
	err := apptest.Parallel(8, len(parcels), func(i int) error {
		s := shops[i%len(shops)]
		ord := fake.CreateOrder(s.domain, shopifyfake.NewOrder{Email: fmt.Sprintf("cliente%d@example.com", i), CustomerLocale: "es-MX",
			CustomerFirstName: "Lucía", ShippingCountry: "MX", ShippingCity: "Ciudad de México",
			LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 1}}})
		li := ord.LineItems[0]
		if _, err := h.DB.SaveOrder(ctx, app.Order{ID: ord.ID, ShopID: s.shop.ID, Name: ord.Name, Email: ord.Email,
			CustomerLocale: ord.CustomerLocale, CustomerFirstName: ord.CustomerFirstName, ShippingCountry: "MX",
			ShopifyUpdatedAt: ord.UpdatedAt, LineItems: []app.LineItem{{ID: li.ID, SKU: li.SKU, Title: li.Title,
				Quantity: li.Quantity, FulfillableQuantity: li.Quantity}}}); err != nil {
			return err
		}
		number := s10("LX", i, "CN")
		f, err := fake.CreateFulfillment(s.domain, ord.ID, shopifyfake.NewFulfillment{NotifyCustomer: true,
			Tracking: []shopifyfake.TrackingInfo{{Company: "China Post", Number: number}}})
		if err != nil {
			return err
		}
		parcels[i] = &parcel{idx: i, shop: s, orderID: ord.ID, orderName: ord.Name, lineItemID: li.ID, fulfillmentID: f.ID, number: number}
		return nil
	})
	if err != nil {
		return err
	}
	seedTime := time.Since(seedStart)
	fmt.Printf("seed: %d orders and fulfillments (S10 numbers, China Post) in %.1fs\n", len(parcels), seedTime.Seconds())

	// Phase 2: the fulfillments reach Waybill; the worker registers them.
	h.StartWorker(jobs.WorkerOptions{Concurrency: o.concurrency})
	regStart := time.Now()
	var intakeErrs atomic.Int64
	send := func(p *parcel) error {
		if o.intake == "direct" {
			return h.Shipping.RecordFulfillment(ctx, p.shop.shop, app.ShopifyFulfillment{ID: p.fulfillmentID, OrderID: p.orderID,
				OrderName: p.orderName, Status: app.FulfillmentSuccess, TrackingNumbers: []string{p.number}, TrackingURLs: []string{""},
				Carrier: "China Post", LineItems: []app.ShipmentLineItem{{LineItemID: p.lineItemID, SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 1}},
				UpdatedAt: time.Now().UTC()})
		}
		code, err := fake.SendWebhook(ctx, h.URL+"/webhooks", shopifyfake.Webhook{Shop: p.shop.domain, Topic: "fulfillments/create",
			Payload: fake.FulfillmentWebhook(p.shop.domain, p.fulfillmentID)})
		if err != nil || code != http.StatusOK {
			if intakeErrs.Add(1) <= 3 {
				fmt.Printf("  fulfillments/create: HTTP %d %v\n", code, err)
			}
		}
		return nil
	}
	registeredCount := func() (map[string]int64, error) {
		return countBy(h.DB, "SELECT tracker_state AS k, COUNT(*) AS n FROM shipments GROUP BY tracker_state")
	}
	var states map[string]int64
	var intakeTime time.Duration
	stalled := false
	if o.waves {
		// Each wave is at most one second's worth of registrations for
		// every shop's key (3 for 17TRACK, 5 for AfterShip); the next
		// starts when they are registered and the key's window is over.
		byShop := map[*shopRun][]*parcel{}
		for _, p := range parcels {
			byShop[p.shop] = append(byShop[p.shop], p)
		}
		done := 0
		for done < len(parcels) {
			var wave []*parcel
			for _, sh := range shops {
				k := map[string]int{app.Provider17Track: 3, app.ProviderAfterShip: 5}[sh.prov.name]
				take := min(k, len(byShop[sh]))
				wave, byShop[sh] = append(wave, byShop[sh][:take]...), byShop[sh][take:]
			}
			if err := apptest.Parallel(o.senders, len(wave), func(i int) error { return send(wave[i]) }); err != nil {
				return err
			}
			done += len(wave)
			deadline := time.Now().Add(o.timeout)
			for {
				if states, err = registeredCount(); err != nil {
					return err
				}
				if states[string(app.TrackerRegistered)] >= int64(done) {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("registration: a wave timed out after %s: tracker states %v", o.timeout, states)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if done < len(parcels) {
				time.Sleep(1100 * time.Millisecond) // the limiter's window (re-armed by the wave's last request) ends
			}
		}
		intakeTime = time.Since(regStart)
	} else {
		if err := apptest.Parallel(o.senders, len(parcels), func(i int) error { return send(parcels[i]) }); err != nil {
			return err
		}
		intakeTime = time.Since(regStart)
		deadline := time.Now().Add(o.timeout)
		lastReport, lastChange, last := time.Now(), time.Now(), int64(-1)
		for {
			if states, err = registeredCount(); err != nil {
				return err
			}
			settled := states[string(app.TrackerRegistered)] + states[string(app.TrackerRejected)]
			if settled == int64(len(parcels)) {
				break
			}
			if r := states[string(app.TrackerRegistered)]; r != last {
				last, lastChange = r, time.Now()
			}
			if time.Since(lastChange) > o.stall || time.Now().After(deadline) {
				stalled = true
				break
			}
			if time.Since(lastReport) >= 15*time.Second {
				lastReport = time.Now()
				fmt.Printf("  %3.0fs: tracker states %v\n", time.Since(regStart).Seconds(), states)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	regTime := time.Since(regStart)
	registered := states[string(app.TrackerRegistered)]
	// Which shipment is which parcel.
	var rows []struct {
		ID                   string
		TrackingNumber       string
		ShopifyFulfillmentID int64
	}
	if err := h.DB.Gorm().Raw("SELECT id, tracking_number, shopify_fulfillment_id FROM shipments").Scan(&rows).Error; err != nil {
		return err
	}
	byFulfillment := map[int64]*parcel{}
	for _, p := range parcels {
		byFulfillment[p.fulfillmentID] = p
	}
	shipmentsPerParcel := map[*parcel]int{}
	for _, r := range rows {
		if p := byFulfillment[r.ShopifyFulfillmentID]; p != nil && p.number == r.TrackingNumber {
			p.shipmentID = r.ID
			shipmentsPerParcel[p]++
		}
	}
	var v violations
	if len(rows) != len(parcels) {
		v.add("shipments", "%d shipments for %d fulfillments", len(rows), len(parcels))
	}
	regOnce, regOther := 0, []string{}
	rateLimited := 0
	for _, p := range parcels {
		if r := p.shop.prov.regs(p.number); r == 1 {
			regOnce++
		} else if len(regOther) < 5 {
			regOther = append(regOther, fmt.Sprintf("%s: %d", p.number, r))
		}
	}
	for _, s := range shops {
		rateLimited += s.prov.limited()
	}
	if regOnce != len(parcels) {
		v.add("registration", "%d of %d numbers registered exactly once (e.g. %v)", regOnce, len(parcels), regOther)
	}
	if registered != int64(len(parcels)) {
		v.add("registration", "tracker states %v", states)
	}
	how := "at once"
	switch {
	case stalled:
		how = "at once; STALLED"
	case o.waves:
		how = "in waves of one second's registrations per key"
	}
	fmt.Printf("registration (%s): %d fulfillments/create %s in %.1fs (%d refused); %d of %d registered in %.1fs (%.1f registrations/s; "+
		"ceiling %d/s: 3/s a 17TRACK key, 5/s an AfterShip key); %d registered exactly once; provider 429s: %d\n",
		how, len(parcels), map[string]string{"webhook": "webhooks", "direct": "RecordFulfillment calls"}[o.intake], intakeTime.Seconds(),
		intakeErrs.Load(), registered, len(parcels), regTime.Seconds(), float64(registered)/regTime.Seconds(), 3*n17+5*(o.shops-n17),
		regOnce, rateLimited)
	if intakeErrs.Load() > 0 {
		v.add("intake", "%d fulfillments/create webhooks refused", intakeErrs.Load())
	}
	if stalled {
		// What the pace's limiter holds: each key's count and time to live.
		keys, err := h.RDB.Keys(ctx, "waybill:rate:provider:*").Result()
		if err != nil {
			return err
		}
		var counts []int64
		var ttls []time.Duration
		for _, k := range keys {
			n, err := h.RDB.Get(ctx, k).Int64()
			if err != nil {
				return err
			}
			ttl, err := h.RDB.PTTL(ctx, k).Result()
			if err != nil {
				return err
			}
			counts, ttls = append(counts, n), append(ttls, ttl)
		}
		slices.Sort(counts)
		slices.Sort(ttls)
		med := func(xs []int64) int64 {
			if len(xs) == 0 {
				return 0
			}
			return xs[len(xs)/2]
		}
		maxTTL := time.Duration(0)
		if len(ttls) > 0 {
			maxTTL = ttls[len(ttls)-1]
		}
		v.add("registration", "stalled: no tracker registered for %s after %d of %d (%.0fs in); the workers' pace limiter holds %d keys with counts "+
			"%d (median) and a time to live of at most %s: each throttled attempt re-arms the key's one-second expiry, so a key that is "+
			"tried more than once a second never resets; %d throttled attempts logged",
			o.stall, registered, len(parcels), regTime.Seconds(), len(keys), med(counts), maxTTL, logs.count("WARN", "job failed"))
		for _, line := range v {
			fmt.Println("VIOLATION " + line)
		}
		return fmt.Errorf("registration stalled (run with -waves to measure the pushes): %d correctness violations", len(v))
	}
	for _, p := range parcels {
		if p.shipmentID == "" {
			return fmt.Errorf("no shipment for fulfillment %d (%s)", p.fulfillmentID, p.number)
		}
	}

	// Phase 3: the providers push each parcel's statuses.
	pointsBefore := 0.0
	for _, s := range shops {
		pointsBefore += fake.PointsCharged(s.domain)
	}
	echoCtx, stopEcho := context.WithCancel(ctx)
	echo := &echoer{fake: fake, url: h.URL + "/webhooks", parcels: parcels}
	echoDone := make(chan struct{})
	if o.echo {
		go func() { defer close(echoDone); echo.run(echoCtx) }()
	} else {
		close(echoDone)
	}
	defer func() { stopEcho(); <-echoDone }()

	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	rate := o.rate
	if rate < 0 {
		rate = 4 * o.shops // 80 % of what Shopify's buckets let Waybill publish: 5 events/s a shop
	}
	// Parcels wait in a FIFO (shuffled once); a parcel goes back to its end
	// only when its push was answered, so its statuses arrive in order, and
	// consecutive statuses of one parcel are about a round (every other
	// parcel's push) apart.
	ready := make(chan *parcel, len(parcels))
	order := slices.Clone(parcels)
	shuffle(order)
	for _, p := range order {
		ready <- p
	}
	pushes := 3 * len(parcels)
	dispatch := make(chan *parcel)
	var pushErrs atomic.Int64
	var pushMu sync.Mutex
	var pushLatency []time.Duration
	next := make([]int, len(parcels)) // each parcel's next step (owned by whoever holds the parcel)
	pushStart := time.Now()
	go func() {
		for k := range pushes {
			if rate > 0 {
				time.Sleep(time.Until(pushStart.Add(time.Duration(k) * time.Second / time.Duration(rate))))
			}
			dispatch <- <-ready
		}
		close(dispatch)
	}()
	var wg sync.WaitGroup
	for range o.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range dispatch {
				step := next[p.idx]
				start := time.Now()
				p.sent[step] = start
				code, err := p.shop.prov.advance(p.number, steps[step], t0.Add(time.Duration(step)*10*time.Minute),
					"Ciudad de México, CDMX, MX", steps[step])
				took := time.Since(start)
				if err != nil || code != http.StatusOK {
					if pushErrs.Add(1) <= 3 {
						fmt.Printf("  push %s %s: HTTP %d %v\n", p.number, steps[step], code, err)
					}
				}
				pushMu.Lock()
				pushLatency = append(pushLatency, took)
				pushMu.Unlock()
				next[p.idx] = step + 1
				if step+1 < len(steps) {
					ready <- p
				}
			}
		}()
	}
	wg.Wait()
	pushTime := time.Since(pushStart)
	if pushErrs.Load() > 0 {
		v.add("pushes", "%d of %d pushes not answered 200", pushErrs.Load(), pushes)
	}

	// Until every parcel is delivered, every task is done and, with the
	// echo, every fulfillment event has come back.
	var deliveredAt, drainedAt time.Duration
	var statuses map[string]int64
	quiet := 0
	deadline := time.Now().Add(o.timeout)
	for {
		if statuses, err = countBy(h.DB, "SELECT status AS k, COUNT(*) AS n FROM shipments GROUP BY status"); err != nil {
			return err
		}
		if deliveredAt == 0 && statuses[string(app.StatusDelivered)] == int64(len(parcels)) {
			deliveredAt = time.Since(pushStart)
		}
		busy, err := busyTasks(h)
		if err != nil {
			return err
		}
		echoBusy := o.echo && !echo.caughtUp()
		if deliveredAt != 0 && busy == 0 && !echoBusy {
			quiet++
			if quiet == 1 {
				drainedAt = time.Since(pushStart)
			}
			if quiet >= 3 { // still nothing after 0.5 s: a retry or echo was not about to appear
				break
			}
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			v.add("settle", "timed out after %s: statuses %v, %d tasks not done, echo caught up %v", o.timeout, statuses, busy, !echoBusy)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	stopEcho()
	<-echoDone
	points := -pointsBefore
	for _, s := range shops {
		points += fake.PointsCharged(s.domain)
	}

	// Push → email queued: the notification's queued_at minus the push's start.
	var notes []struct {
		ShipmentID string
		Event      string
		Status     string
		QueuedAt   time.Time
	}
	if err := h.DB.Gorm().Raw("SELECT shipment_id, event, status, queued_at FROM notifications").Scan(&notes).Error; err != nil {
		return err
	}
	byShipment := map[string]*parcel{}
	for _, p := range parcels {
		byShipment[p.shipmentID] = p
	}
	var emailLatency []time.Duration
	subMillisecond := 0
	perShipment := map[string]map[string]int{}
	noteStatuses := map[string]int{}
	for _, n := range notes {
		if perShipment[n.ShipmentID] == nil {
			perShipment[n.ShipmentID] = map[string]int{}
		}
		perShipment[n.ShipmentID][n.Event]++
		noteStatuses[n.Status]++
		if n.QueuedAt.Nanosecond()%int(time.Millisecond) != 0 {
			subMillisecond++
		}
		p := byShipment[n.ShipmentID]
		step := map[string]int{string(app.NotifyOutForDelivery): 1, string(app.NotifyDelivered): 2}
		if s, ok := step[n.Event]; ok && p != nil && !p.sent[s].IsZero() {
			emailLatency = append(emailLatency, n.QueuedAt.Sub(p.sent[s]))
		}
	}

	// Correctness.
	dups, missing, unexpected := 0, 0, 0
	var dupExamples []string
	for _, p := range parcels {
		got := perShipment[p.shipmentID]
		for _, e := range []app.NotificationEvent{app.NotifyShipped, app.NotifyOutForDelivery, app.NotifyDelivered} {
			switch c := got[string(e)]; {
			case c > 1:
				dups += c - 1
				if len(dupExamples) < 5 {
					dupExamples = append(dupExamples, fmt.Sprintf("%s %s ×%d", p.number, e, c))
				}
			case c == 0:
				missing++
				if len(dupExamples) < 5 {
					dupExamples = append(dupExamples, fmt.Sprintf("%s %s missing", p.number, e))
				}
			}
		}
		for e, c := range got {
			if e != string(app.NotifyShipped) && e != string(app.NotifyOutForDelivery) && e != string(app.NotifyDelivered) {
				unexpected += c
			}
		}
	}
	if dups > 0 || missing > 0 || unexpected > 0 {
		v.add("emails", "%d duplicate, %d missing, %d unexpected notifications (e.g. %v)", dups, missing, unexpected, dupExamples)
	}
	if noteStatuses[string(app.NotificationSkipped)] != len(notes) {
		v.add("emails", "notification statuses %v: every one should be decided (skipped: no SMTP_URL)", noteStatuses)
	}
	rendered := logs.count("INFO", "email not sent (no SMTP_URL)")
	if rendered != len(notes) {
		v.add("emails", "%d emails rendered for %d notifications: some were rendered (sent) more than once, or not at all", rendered, len(notes))
	}

	regressions, echoMoves := 0, 0
	var regExamples []string
	if statuses[string(app.StatusDelivered)] != int64(len(parcels)) {
		v.add("regressions", "final statuses %v: every parcel should be delivered", statuses)
	}
	var history []struct {
		ShipmentID string
		Detail     string
	}
	if err := h.DB.Gorm().Raw("SELECT shipment_id, detail FROM shipment_events WHERE kind = 'status' ORDER BY shipment_id, created_at, id").
		Scan(&history).Error; err != nil {
		return err
	}
	lines := map[string][]string{}
	for _, r := range history {
		lines[r.ShipmentID] = append(lines[r.ShipmentID], r.Detail)
		if strings.Contains(r.Detail, "(shopify)") {
			echoMoves++
		}
	}
	for _, p := range parcels {
		if msg := historyProblem(lines[p.shipmentID]); msg != "" {
			regressions++
			if len(regExamples) < 5 {
				regExamples = append(regExamples, p.number+": "+msg)
			}
		}
	}
	if regressions > 0 {
		v.add("regressions", "%d shipments whose status history is not shipped → in_transit → out_for_delivery → delivered (e.g. %v)", regressions, regExamples)
	}
	if echoMoves > 0 {
		v.add("echo", "%d status changes came from Shopify's echo of Waybill's own events", echoMoves)
	}
	eventsOK, stopsOK := 0, 0
	var eventExamples []string
	for _, p := range parcels {
		f, _ := fake.Fulfillment(p.shop.domain, p.fulfillmentID)
		var got []string
		for _, ev := range f.Events {
			got = append(got, ev.Status)
		}
		if strings.Join(got, ",") == "IN_TRANSIT,OUT_FOR_DELIVERY,DELIVERED" {
			eventsOK++
		} else if len(eventExamples) < 5 {
			eventExamples = append(eventExamples, fmt.Sprintf("%s: %v", p.number, got))
		}
		if p.shop.prov.stops(p.number) == 1 {
			stopsOK++
		}
	}
	if eventsOK != len(parcels) {
		v.add("shopify events", "%d of %d fulfillments have exactly IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED (e.g. %v)", eventsOK, len(parcels), eventExamples)
	}
	qs, err := queueTotals(h)
	if err != nil {
		return err
	}
	// A failed attempt that a retry got through (a provider's 429 met with
	// backoff) is the design working; a task given up, or still waiting, is not.
	if qs.archived > 0 || qs.retry > 0 {
		v.add("tasks", "%d archived, %d waiting for a retry (%d failed attempts)", qs.archived, qs.retry, qs.failed)
	}

	// Report.
	pushesPerSecond := float64(pushes) / pushTime.Seconds()
	pl := percentiles(pushLatency)
	el := percentiles(emailLatency)
	target := "as fast as the senders go"
	if rate > 0 {
		target = fmt.Sprintf("at %d/s", rate)
	}
	fmt.Printf("pushes: %d (%d parcels × in_transit, out_for_delivery, delivered; %s) in %.1fs: %.0f pushes/s accepted; push round trip p50 %.1f ms, p99 %.1f ms; %d refused\n",
		pushes, len(parcels), target, pushTime.Seconds(), pushesPerSecond, ms(pl.p50), ms(pl.p99), pushErrs.Load())
	fmt.Printf("status events: every parcel delivered %.1fs after the first push; every task done (and Shopify's echo, %d webhooks, processed) at %.1fs: %.0f status changes/s end to end; %.0f Shopify points (%.1f/s over %d shops, ceiling %d/s)\n",
		deliveredAt.Seconds(), echo.sent.Load(), drainedAt.Seconds(), float64(pushes)/drainedAt.Seconds(), points, points/drainedAt.Seconds(), o.shops, 50*o.shops)
	// Events processed: every status push and every echo webhook Shopify
	// sent back, each taken in, applied and its tasks done, from the first
	// push until nothing was left.
	processedEvents := int64(pushes) + echo.sent.Load()
	fmt.Printf("events processed: %d (%d status pushes + %d Shopify echo webhooks) in %.1fs: %.0f events/s processed\n",
		processedEvents, pushes, echo.sent.Load(), drainedAt.Seconds(), float64(processedEvents)/drainedAt.Seconds())
	fmt.Printf("email latency (push → email queued, out_for_delivery and delivered, %d emails): p50 %.0f ms, p99 %.0f ms, max %.0f ms; queued_at has sub-millisecond precision in %d of %d rows\n",
		len(emailLatency), ms(el.p50), ms(el.p99), ms(el.max), subMillisecond, len(notes))
	fmt.Printf("tasks: %d processed, %d failed attempts, %d archived; Waybill logged %d warnings and %d errors\n",
		qs.processed, qs.failed, qs.archived, logs.level("WARN"), logs.level("ERROR"))
	for _, line := range logs.top(8) {
		fmt.Println("  " + line)
	}
	fmt.Printf("checks: %d duplicate emails, %d missing, %d unexpected; %d of %d emails rendered once; %d status regressions; %d echo moves; %d of %d fulfillments with exactly 3 events in order; %d of %d trackers stopped once at the provider (not a check: a stop is not paced, and a 429 is logged and left to the provider's window)\n",
		dups, missing, unexpected, rendered, len(notes), regressions, echoMoves, eventsOK, len(parcels), stopsOK, len(parcels))
	db := map[store.Engine]string{store.SQLite: "SQLite", store.Postgres: "PostgreSQL"}[h.DB.Engine()]
	fmt.Println()
	fmt.Println("| database | shipments / shops | registration | registered once | 429s | pushes/s | all delivered | all tasks done | email p50 / p99 | duplicate emails | regressions |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| %s | %s / %d | %.1f s (%.1f/s) | %s / %s | %d | %.0f | %.1f s | %.1f s | %.2f / %.2f s | **%d** | **%d** |\n",
		db, thousands(len(parcels)), o.shops, regTime.Seconds(), float64(registered)/regTime.Seconds(), thousands(regOnce), thousands(len(parcels)),
		rateLimited, pushesPerSecond, deliveredAt.Seconds(), drainedAt.Seconds(), el.p50.Seconds(), el.p99.Seconds(), dups, regressions)
	if len(v) > 0 {
		fmt.Println()
		for _, line := range v {
			fmt.Println("VIOLATION " + line)
		}
		return fmt.Errorf("%d correctness violations", len(v))
	}
	return nil
}

type violations []string

func (v *violations) add(what, format string, args ...any) {
	*v = append(*v, what+": "+fmt.Sprintf(format, args...))
}

// router forwards a provider API request to the account its key belongs to.
type router struct {
	header   string
	accounts map[string]*url.URL
	first    *url.URL
}

func (r *router) add(key, target string) {
	u, err := url.Parse(target)
	if err != nil {
		panic(err) // an httptest server's URL
	}
	r.accounts[key] = u
	if r.first == nil {
		r.first = u
	}
}

func (r *router) handler() http.Handler {
	return &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		target := r.accounts[pr.In.Header.Get(r.header)]
		if target == nil {
			target = r.first // an unknown key: the provider refuses it
		}
		if target == nil {
			target = &url.URL{Scheme: "http", Host: "127.0.0.1:9"}
		}
		pr.SetURL(target)
	}}
}

// echoer sends Shopify's echo of the fulfillment events Waybill created:
// fulfillment_events/create and fulfillments/update, one event id for both,
// as Shopify does for every event added to a fulfillment.
type echoer struct {
	fake    *shopifyfake.Store
	url     string
	parcels []*parcel
	sent    atomic.Int64 // webhooks sent
	errs    atomic.Int64
	mu      sync.Mutex
	seen    map[int64]bool // fulfillment event ids echoed
	behind  bool           // the last scan found events not echoed yet
}

func (e *echoer) caughtUp() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.behind
}

func (e *echoer) run(ctx context.Context) {
	e.seen = map[int64]bool{}
	type job struct {
		p  *parcel
		ev shopifyfake.FulfillmentEvent
	}
	jobs := make(chan job, 1024)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				e.send(j.p, j.ev)
			}
		}()
	}
	defer func() { close(jobs); wg.Wait() }()
	done := map[*parcel]bool{}
	for {
		found := 0
		for _, p := range e.parcels {
			if done[p] {
				continue
			}
			f, ok := e.fake.Fulfillment(p.shop.domain, p.fulfillmentID)
			if !ok {
				continue
			}
			for _, ev := range f.Events {
				if !e.seen[ev.ID] {
					e.seen[ev.ID] = true
					found++
					select {
					case jobs <- job{p, ev}:
					case <-ctx.Done():
						return
					}
				}
			}
			if len(f.Events) >= 3 {
				done[p] = true
			}
		}
		e.mu.Lock()
		e.behind = found > 0
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (e *echoer) send(p *parcel, ev shopifyfake.FulfillmentEvent) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	body, err := json.Marshal(map[string]any{
		"id": ev.ID, "fulfillment_id": p.fulfillmentID, "status": strings.ToLower(ev.Status), "message": nullIfEmpty(ev.Message),
		"happened_at": ts(ev.HappenedAt), "city": nil, "province": nullIfEmpty(ev.Province), "country": nullIfEmpty(ev.Country),
		"zip": nil, "address1": nil, "latitude": nil, "longitude": nil, "shop_id": 1, "created_at": ts(ev.CreatedAt),
		"updated_at": ts(ev.CreatedAt), "estimated_delivery_at": nil, "order_id": p.orderID,
		"admin_graphql_api_id": fmt.Sprintf("gid://shopify/FulfillmentEvent/%d", ev.ID),
	})
	if err != nil {
		e.errs.Add(1)
		return
	}
	event := app.NewID()
	for _, wh := range []shopifyfake.Webhook{
		{Shop: p.shop.domain, Topic: "fulfillment_events/create", Payload: body, EventID: event},
		{Shop: p.shop.domain, Topic: "fulfillments/update", Payload: e.fake.FulfillmentWebhook(p.shop.domain, p.fulfillmentID), EventID: event},
	} {
		code, err := e.fake.SendWebhook(context.Background(), e.url, wh)
		e.sent.Add(1)
		if err != nil || code != http.StatusOK {
			e.errs.Add(1)
		}
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// historyProblem checks a shipment's "status" history lines: from pending
// or shipped through in_transit and out_for_delivery to delivered, each a
// step forward from where the last one ended.
func historyProblem(lines []string) string {
	rank := map[string]int{"pending": 0, "shipped": 1, "in_transit": 2, "out_for_delivery": 3, "delivered": 4}
	at := ""
	for _, l := range lines {
		change, _, _ := strings.Cut(l, " (")
		from, to, ok := strings.Cut(change, " → ")
		if !ok {
			return "unreadable line " + l
		}
		if at != "" && from != at {
			return fmt.Sprintf("%q does not follow %s", l, at)
		}
		rf, okf := rank[from]
		rt, okt := rank[to]
		if !okf || !okt || rt <= rf {
			return fmt.Sprintf("%q is not a step forward", l)
		}
		at = to
	}
	if at != "delivered" || len(lines) != 3 {
		return fmt.Sprintf("history %v", lines)
	}
	return ""
}

type queueStats struct{ busy, retry, archived, failed, processed int }

func queueTotals(h *wiringtest.Harness) (queueStats, error) {
	var s queueStats
	names, err := h.Inspect.Queues()
	if err != nil {
		return s, err
	}
	for _, q := range names {
		info, err := h.Inspect.GetQueueInfo(q)
		if err != nil {
			return s, err
		}
		s.busy += info.Pending + info.Active + info.Scheduled + info.Retry + info.Aggregating
		s.retry += info.Retry
		s.archived += info.Archived
		s.failed += info.FailedTotal
		s.processed += info.ProcessedTotal
	}
	return s, nil
}

func busyTasks(h *wiringtest.Harness) (int, error) {
	s, err := queueTotals(h)
	return s.busy, err
}

func countBy(db *store.DB, query string) (map[string]int64, error) {
	var rows []struct {
		K string
		N int64
	}
	if err := db.Gorm().Raw(query).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}

// s10 is a UPU S10 number: two letters, eight digits, the check digit, the
// country.
func s10(prefix string, serial int, country string) string {
	digits := fmt.Sprintf("%08d", 10000000+serial)
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	total := 0
	for i, d := range digits {
		total += int(d-'0') * weights[i]
	}
	check := 11 - total%11
	switch check {
	case 10:
		check = 0
	case 11:
		check = 5
	}
	return fmt.Sprintf("%s%s%d%s", prefix, digits, check, country)
}

// shuffle is a deterministic Fisher–Yates (the run is repeatable).
func shuffle(ps []*parcel) {
	x := uint64(0x9E3779B97F4A7C15)
	for i := len(ps) - 1; i > 0; i-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		j := int(x % uint64(i+1))
		ps[i], ps[j] = ps[j], ps[i]
	}
}

type pct struct{ p50, p99, max time.Duration }

func percentiles(d []time.Duration) pct {
	if len(d) == 0 {
		return pct{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return pct{at(0.50), at(0.99), s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// logTally counts Waybill's JSON log lines by level and message.
type logTally struct {
	mu     sync.Mutex
	counts map[string]int // "LEVEL msg"
	errs   map[string]string
}

func newLogTally() *logTally { return &logTally{counts: map[string]int{}, errs: map[string]string{}} }

func (l *logTally) Write(b []byte) (int, error) {
	var rec struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Err   string `json:"err"`
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &rec) == nil {
		key := rec.Level + " " + rec.Msg
		l.mu.Lock()
		l.counts[key]++
		if e := cmp.Or(rec.Err, rec.Error); e != "" && rec.Level != "INFO" && l.errs[key] == "" {
			l.errs[key] = e
		}
		l.mu.Unlock()
	}
	return len(b), nil
}

func (l *logTally) count(level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[level+" "+msg]
}

func (l *logTally) level(level string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k, c := range l.counts {
		if strings.HasPrefix(k, level+" ") {
			n += c
		}
	}
	return n
}

// top lists the most frequent warnings and errors (with an example error)
// and the informative lines worth knowing about.
func (l *logTally) top(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keys []string
	for k := range l.counts {
		if strings.HasPrefix(k, "WARN ") || strings.HasPrefix(k, "ERROR ") || k == "INFO stale status not published" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return l.counts[keys[i]] > l.counts[keys[j]] })
	var out []string
	for _, k := range keys[:min(n, len(keys))] {
		line := fmt.Sprintf("%6d × %s", l.counts[k], k)
		if e := l.errs[k]; e != "" {
			line += " (e.g. " + clip(e, 160) + ")"
		}
		out = append(out, line)
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
