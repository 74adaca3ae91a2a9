// Command loadtest measures webhook intake: it posts signed orders/create
// webhooks to the real Waybill server on loopback (HMAC check, shop lookup,
// durable Asynq enqueue in Redis, 200) and, for comparison, to a bare
// handler that only checks the HMAC, and prints throughput and latency.
//
//	go run ./webhooks/loadtest [-rate 1000] [-n 20000] [-c 32] [-database postgres://…] [-redis-db 9]
//
// Two runs per target: at a fixed arrival rate (-rate per second, open loop:
// latency counts from when each webhook was due, so a slow server cannot hide
// its backlog), then as fast as -c concurrent senders go (maximum throughput).
// It uses Redis database -redis-db (emptied before and after) and a
// temporary SQLite file unless -database is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/webhooks"
)

const shop = "loadtest.myshopify.com"

func main() {
	n := flag.Int("n", 20000, "webhooks per target and run")
	rate := flag.Int("rate", 1000, "arrival rate of the fixed-rate run, webhooks per second")
	c := flag.Int("c", 32, "concurrent senders")
	engine := flag.String("engine", "sqlite", "database: sqlite (a temporary file) or postgres (a new database on WAYBILL_TEST_POSTGRES_URL's server)")
	redisDB := flag.Int("redis-db", 9, "Redis database to use (of WAYBILL_TEST_REDIS_URL's server); it is emptied")
	flag.Parse()
	err := apptest.RunProgram(func(t *apptest.Program) error { return run(t, *n, *c, *rate, store.Engine(*engine), *redisDB) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(t *apptest.Program, n, c, rate int, engine store.Engine, redisDB int) error {
	ctx := context.Background()
	// Waybill as main assembles it (its JSON logging cost stays in), with a
	// Redis pool for c concurrent senders; no worker, so tasks stay queued.
	h := wiringtest.New(t, wiringtest.Options{RedisDB: redisDB, Engine: engine, Shops: []string{shop},
		Env: map[string]string{"REDIS_URL": fmt.Sprintf("%s?pool_size=%d", redistest.URL(redisDB), 4*c)}})
	db, rdb, fake, waybill := h.DB, h.RDB, h.Fake, h.Server
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, webhooks.MaxBodyBytes))
		if err != nil || !h.Shopify.ValidWebhookHMAC(body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	// A realistic orders/create body (~2 KB), from the fake store.
	o := fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerLocale: "es", CustomerFirstName: "Lucía",
		ShippingCountry: "ES", LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2},
			{SKU: "LAMP-7", Title: "Lámpara LED", Quantity: 1}, {SKU: "TEE-M", Title: "Camiseta (M)", Quantity: 3}}})
	body := fake.RESTOrder(shop, o.ID)

	fmt.Printf("webhook intake load: signed orders/create webhooks (%d bytes), GOMAXPROCS %d, database %s\n\n",
		len(body), runtime.GOMAXPROCS(0), db.Engine())
	fmt.Printf("%-34s %-16s %9s %7s %10s %9s %9s %9s\n", "target", "run", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms")
	targets := []struct {
		name    string
		handler http.Handler
	}{{"bare handler (HMAC check only)", bare}, {"waybill POST /webhooks", waybill}}
	for _, run := range []struct {
		name string
		rate int
		c    int
	}{{fmt.Sprintf("%d/s fixed", rate), rate, 0}, {fmt.Sprintf("max, %d senders", c), 0, c}} {
		for _, target := range targets {
			r, err := load(target.handler, fake, body, n, run.c, run.rate)
			if err != nil {
				return err
			}
			fmt.Printf("%-34s %-16s %9d %7d %10.0f %9.2f %9.2f %9.2f\n", target.name, run.name, n, r.errors, r.rate, ms(r.p50), ms(r.p99), ms(r.max))
		}
	}
	queued, err := rdb.LLen(ctx, "asynq:{critical}:pending").Result()
	if err != nil {
		return err
	}
	fmt.Printf("\ntasks durably queued by waybill: %d (expected %d)\n", queued, 2*n)
	return nil
}

type result struct {
	errors        int64
	rate          float64
	p50, p99, max time.Duration
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load sends n webhooks: at rate per second (open loop) when rate > 0, else
// as fast as c senders go.
func load(h http.Handler, fake *shopifyfake.Store, body []byte, n, c, rate int) (_ result, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		if cerr := srv.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the server: %w", cerr))
		}
		// Serve returns ErrServerClosed once closed; anything else stopped it early.
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("serving: %w", serr))
		}
	}()
	url := "http://" + ln.Addr().String() + "/webhooks"
	conns := c
	if rate > 0 {
		conns = 512 // open loop: never let the client be the bottleneck
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 30 * time.Second}

	// Signing happens before the clock starts: Shopify does it, not us.
	reqs := make([]*http.Request, n)
	for i := range reqs {
		req, err := fake.NewWebhookRequest(context.Background(), url, shopifyfake.Webhook{Shop: shop, Topic: "orders/create", Payload: body})
		if err != nil {
			return result{}, err
		}
		reqs[i] = req
	}
	latencies := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	send := func(i int, due time.Time) {
		resp, err := client.Do(reqs[i])
		latencies[i] = time.Since(due)
		if err != nil {
			errs.Add(1)
			return
		}
		_, copyErr := io.Copy(io.Discard, resp.Body)
		closeErr := resp.Body.Close()
		if copyErr != nil || closeErr != nil || resp.StatusCode != http.StatusOK {
			errs.Add(1)
		}
	}
	start := time.Now()
	if rate > 0 {
		interval := time.Second / time.Duration(rate)
		for i := range n {
			due := start.Add(time.Duration(i) * interval)
			time.Sleep(time.Until(due))
			wg.Add(1)
			go func() { defer wg.Done(); send(i, due) }()
		}
		c = 0
	}
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				send(i, time.Now())
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	return result{errors: errs.Load(), rate: float64(n) / elapsed.Seconds(),
		p50: latencies[n/2], p99: latencies[n*99/100], max: latencies[n-1]}, nil
}
