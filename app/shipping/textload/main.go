// Command textload measures WhatsApp texts at scale: -messages customer
// texts over -shops shops, each shop with its own WhatsApp Business number
// on the Cloud API fake (app/whatsapp/whatsappfake), which enforces Meta's
// published limits: 80 messages in any 1 s per business number (130429
// beyond), one message per 6 s from a number to one customer (131056).
//
//	go run ./app/shipping/textload [-messages 10000] [-shops 20] [-engine sqlite|postgres] [-concurrency 40] [-redis-db 9]
//
// Waybill is built by the test harness (app/wiring/wiringtest) on a
// temporary SQLite file (or a new PostgreSQL database) and Redis database
// -redis-db (emptied). Each shop connects its number through
// Shipping.ConnectChannel (templates submitted and approved by the fake);
// each text is for its own order and customer (a distinct Spanish mobile
// that agreed on the tracking page).
//
// Two phases:
//
//  1. queueing: each text is recorded once per (shipment, event, channel)
//     and its text:send task queued, as notify does after a status change;
//  2. sending: the worker sends them (shipping.SendText: consent,
//     preferences, template, pace, send, record); Meta's status webhooks
//     (sent, delivered) come back signed and move each text forward.
//
// Measured: texts queued/s; messages/s sent; per business number, the most
// messages the fake accepted in any 1 s and the mean rate while it was busy
// (the limiter's use of Meta's 80/s); 130429 and 131056 answers; time from
// queued to sent (p50, p99). Correctness (a violation exits non-zero): every
// text sent exactly once (one message per customer at the fake, one row per
// text, all delivered), no failed or archived task.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/whatsapp/whatsappfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

type options struct {
	messages, shops, concurrency, redisDB int
	engine                                store.Engine
	timeout                               time.Duration
}

func main() {
	var o options
	var engine string
	flag.IntVar(&o.messages, "messages", 10000, "customer texts to queue and send")
	flag.IntVar(&o.shops, "shops", 20, "shops, each with its own WhatsApp Business number")
	flag.IntVar(&o.concurrency, "concurrency", 40, "worker concurrency")
	flag.IntVar(&o.redisDB, "redis-db", 9, "Redis database to use (emptied)")
	flag.StringVar(&engine, "engine", "sqlite", "sqlite or postgres")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on sending after this long")
	flag.Parse()
	o.engine = store.Engine(engine)
	if err := apptest.RunProgram(func(t *apptest.Program) error { return run(t, o) }); err != nil {
		fmt.Fprintln(os.Stderr, "textload:", err)
		os.Exit(1)
	}
}

type shopRun struct {
	domain  string
	shop    *app.Shop
	phoneID string
	conn    *app.ChannelConnection
}

type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

func run(t *apptest.Program, o options) error {
	ctx := context.Background()
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1000, 200
	}
	wa := whatsappfake.New()
	t.Cleanup(wa.Close)
	shops := make([]*shopRun, o.shops)
	domains := make([]string, o.shops)
	for i := range shops {
		shops[i] = &shopRun{domain: fmt.Sprintf("text-load-%02d.myshopify.com", i), phoneID: fmt.Sprintf("10%011d", i+1)}
		domains[i] = shops[i].domain
	}
	h := wiringtest.New(t, wiringtest.Options{RedisDB: o.redisDB, Engine: o.engine, Shops: domains, Log: io.Discard,
		Env: map[string]string{"WHATSAPP_API_URL": wa.URL,
			"REDIS_URL": fmt.Sprintf("%s?pool_size=%d", redistest.URL(o.redisDB), 4*o.concurrency+16)}})
	for i, s := range shops {
		s.shop = h.Shop(s.domain)
		acct := whatsappfake.Account{WABAID: fmt.Sprintf("20%011d", i+1), PhoneNumberID: s.phoneID,
			Token: fmt.Sprintf("EAAG-load-token-%02d", i), AppSecret: fmt.Sprintf("load-app-secret-%02d", i)}
		wa.AddAccount(acct)
		c, err := h.Shipping.ConnectChannel(ctx, s.shop, shipping.ConnectChannelRequest{Channel: app.ChannelWhatsApp,
			AccountID: acct.WABAID, SenderID: acct.PhoneNumberID, Token: acct.Token, AppSecret: acct.AppSecret})
		if err != nil {
			return fmt.Errorf("connecting %s: %w", s.domain, err)
		}
		s.conn = c
		acct.WebhookURL = h.URL + "/texts/whatsapp/" + c.ID
		wa.AddAccount(acct)
	}
	fmt.Printf("text load: %d WhatsApp texts over %d shops (one business number each), database %s, worker concurrency %d, GOMAXPROCS %d\n",
		o.messages, o.shops, h.DB.Engine(), o.concurrency, runtime.GOMAXPROCS(0))

	// Seed: an order, a consenting customer and a shipment per text.
	type seeded struct {
		shop       *shopRun
		shipmentID string
		phone      string
	}
	texts := make([]seeded, o.messages)
	seedStart := time.Now()
	err := apptest.Parallel(8, o.messages, func(i int) error {
		s := shops[i%len(shops)]
		phone := fmt.Sprintf("+346%08d", 10000000+i)
		order := app.Order{ID: int64(5_000_000_000 + i), ShopID: s.shop.ID, Name: fmt.Sprintf("#%d", 1001+i/len(shops)),
			Email: fmt.Sprintf("cliente%d@example.com", i), CustomerLocale: "es-MX", ShippingCountry: "ES", Phone: phone,
			ShopifyUpdatedAt: time.Now().UTC(), LineItems: []app.LineItem{{ID: int64(7_000_000_000 + i), SKU: "MUG-01", Title: "Taza", Quantity: 1}}}
		if _, err := h.DB.SaveOrder(ctx, order); err != nil {
			return err
		}
		if err := h.DB.GrantConsent(ctx, app.Consent{ShopID: s.shop.ID, PhoneHash: app.PhoneHash(phone), Channel: app.ChannelWhatsApp,
			Source: app.ConsentTrackingPage, GrantedAt: time.Now().UTC()}); err != nil {
			return err
		}
		out, err := h.DB.CreateShipments(ctx, []*app.Shipment{{ShopID: s.shop.ID, OrderID: order.ID, OrderName: order.Name,
			TrackingNumber: fmt.Sprintf("PK%010dES", i), Carrier: "Correos", Source: app.SourceAPI, NotifyCustomer: true}}, "load")
		if err != nil {
			return err
		}
		if len(out) != 1 || out[0].ShipmentID == "" {
			return fmt.Errorf("seed: shipment %d not created: %+v", i, out)
		}
		texts[i] = seeded{shop: s, shipmentID: out[0].ShipmentID, phone: phone}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("seed: %d orders, consents and shipments in %.1fs\n", o.messages, time.Since(seedStart).Seconds())

	// Phase 1: queueing.
	queueStart := time.Now()
	var created atomic.Int64
	err = apptest.Parallel(16, o.messages, func(i int) error {
		x := texts[i]
		m, isNew, err := h.DB.QueueText(ctx, &app.CustomerText{ShopID: x.shop.shop.ID, ShipmentID: x.shipmentID, Channel: app.ChannelWhatsApp,
			Event: app.NotifyOutForDelivery, EventKey: app.NotificationKey(app.NotifyOutForDelivery, "")})
		if err != nil {
			return err
		}
		if isNew {
			created.Add(1)
		}
		return h.Queue.QueueCustomerText(ctx, x.shop.domain, m.ID)
	})
	if err != nil {
		return err
	}
	queueTime := time.Since(queueStart)
	fmt.Printf("queueing: %d texts recorded and queued in %.2fs (%.0f/s)\n", created.Load(), queueTime.Seconds(), float64(o.messages)/queueTime.Seconds())

	// Phase 2: sending.
	sendStart := time.Now()
	h.StartWorker(jobs.WorkerOptions{Concurrency: o.concurrency})
	deadline := sendStart.Add(o.timeout)
	var states map[string]int64
	lastReport := time.Now()
	for {
		if states, err = countBy(h.DB, "SELECT status AS k, COUNT(*) AS n FROM customer_texts GROUP BY status"); err != nil {
			return err
		}
		if states[string(app.TextQueued)] == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sending: not done after %s: %v", o.timeout, states)
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			fmt.Printf("  %3.0fs: %v\n", time.Since(sendStart).Seconds(), states)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sendTime := time.Since(sendStart)
	// Meta's webhooks (sent, delivered) come back asynchronously.
	deliveredBy := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deliveredBy) {
		wa.Flush()
		if states, err = countBy(h.DB, "SELECT status AS k, COUNT(*) AS n FROM customer_texts GROUP BY status"); err != nil {
			return err
		}
		if states[string(app.TextDelivered)] == int64(o.messages) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	allTime := time.Since(sendStart)

	var v violations
	if states[string(app.TextDelivered)] != int64(o.messages) {
		v.add("texts by status %v, want %d delivered", states, o.messages)
	}
	perCustomer := map[string]int{}
	perNumber := map[string][]time.Time{}
	for _, m := range wa.Messages() {
		perCustomer[m.To]++
		perNumber[m.PhoneNumberID] = append(perNumber[m.PhoneNumberID], m.At)
	}
	dups := 0
	for _, n := range perCustomer {
		if n > 1 {
			dups += n - 1
		}
	}
	if dups > 0 || len(perCustomer) != o.messages {
		v.add("%d customers got a message, %d repeats", len(perCustomer), dups)
	}
	var rows []struct {
		QueuedAt time.Time
		SentAt   *time.Time
	}
	if err := h.DB.Gorm().Raw("SELECT queued_at, sent_at FROM customer_texts").Scan(&rows).Error; err != nil {
		return err
	}
	var lat []time.Duration
	for _, r := range rows {
		if r.SentAt != nil {
			lat = append(lat, r.SentAt.Sub(sendStart))
		}
	}
	limited, pair, peak := 0, 0, 0
	var busyRates []float64
	for _, s := range shops {
		st := wa.Stats(s.phoneID)
		limited += st.RateLimited
		pair += st.PairLimited
		peak = max(peak, st.MaxPerSecond)
		at := perNumber[s.phoneID]
		if len(at) > 1 {
			slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
			if span := at[len(at)-1].Sub(at[0]).Seconds(); span > 0 {
				busyRates = append(busyRates, float64(len(at)-1)/span)
			}
		}
	}
	sort.Float64s(busyRates)
	mean := 0.0
	for _, r := range busyRates {
		mean += r
	}
	if len(busyRates) > 0 {
		mean /= float64(len(busyRates))
	}
	fails, err := h.Inspect.ListArchivedTasks(jobs.QueueEmail)
	if err == nil && len(fails) > 0 {
		v.add("%d archived text tasks", len(fails))
	}
	fmt.Printf("sending: %d texts sent in %.1fs (%.0f messages/s; all delivered by %.1fs)\n", len(lat), sendTime.Seconds(),
		float64(len(lat))/sendTime.Seconds(), allTime.Seconds())
	fmt.Printf("limits: per business number, most accepted in any 1 s: %d (Meta: 80); mean rate while busy: %.1f/s (%.0f%% of 80), min %.1f, max %.1f; "+
		"130429 answers: %d, 131056 answers: %d\n", peak, mean, 100*mean/80, first(busyRates), last(busyRates), limited, pair)
	fmt.Printf("time from the start of sending to each text sent: p50 %.2fs, p99 %.2fs\n", pct(lat, 50).Seconds(), pct(lat, 99).Seconds())
	hooksOK, hooksFailed := wa.Webhooks()
	fmt.Printf("correctness: %d customers, %d repeated messages, texts by status %v; Meta's webhooks: %d accepted, %d given up after 5 tries\n",
		len(perCustomer), dups, states, hooksOK, hooksFailed)
	if peak > 80 {
		v.add("a business number got %d messages in 1 s", peak)
	}
	if len(v) > 0 {
		for _, x := range v {
			fmt.Println("VIOLATION:", x)
		}
		return fmt.Errorf("%d violations", len(v))
	}
	return nil
}

func first(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return x[0]
}

func last(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return x[len(x)-1]
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
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
