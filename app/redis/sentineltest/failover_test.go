package sentineltest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/sentineltest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

const (
	shop             = "failover.myshopify.com"
	webhooksEachSide = 50 // acknowledged before the failover, and sent after it
	pushes           = 80
	senders          = 8
)

// A merchant's store keeps working while Redis's primary moves: Shopify's
// webhooks and a supplier's tracking numbers arrive throughout, and the
// sentinels promote the replica a third of the way in. Webhook tasks wait in
// Redis meanwhile (the critical queue is paused, as when a burst outruns
// the workers; a worker that took each task at once would hide a loss), so
// a task only the old primary had would be gone. Afterwards every webhook
// Waybill answered 200 to has become an order (REDIS_WAIT_REPLICAS=1: a
// task the replica never confirmed is answered 503 and delivered again, as
// Shopify does), and every pushed order has exactly one fulfillment with
// its number, the worker having carried on across the promotion.
func TestFailoverMidLoadLosesNoAcknowledgedWebhook(t *testing.T) {
	begin := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(begin).Seconds(), what) }
	rs := sentineltest.Start(t)
	phase("primary, replica and sentinels ready")
	ctx := context.Background()
	clock := apptest.NewClock(time.Now())
	h := wiringtest.New(t, wiringtest.Options{RedisURL: rs.URL(0), Clock: clock, Shops: []string{shop},
		Env: map[string]string{"REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT": "500ms"}})
	h.StartWorker(wiringtest.TestWorker(8))
	key, _, err := h.DB.CreateAPIKey(ctx, shop, "supplier")
	if err != nil {
		t.Fatal(err)
	}
	shopID := h.Shop(shop).ID
	type order struct {
		id     int64
		body   []byte
		number string
	}
	newOrders := func(n int, from int) []order {
		out := make([]order, n)
		for i := range out {
			o := h.Fake.CreateOrder(shop, shopifyfake.NewOrder{Email: fmt.Sprintf("c%d@example.com", from+i),
				LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Mug", Quantity: 1}}})
			out[i] = order{id: o.ID, body: h.Fake.RESTOrder(shop, o.ID), number: fmt.Sprintf("YT%016d", from+i)}
		}
		return out
	}
	pushOrders := newOrders(pushes, 0)
	// stored is the set of orders Waybill has.
	stored := func() map[int64]bool {
		var ids []int64
		if err := h.DB.Gorm().Raw("SELECT id FROM orders WHERE shop_id = ?", shopID).Scan(&ids).Error; err != nil {
			t.Error(err)
		}
		set := map[int64]bool{}
		for _, id := range ids {
			set[id] = true
		}
		return set
	}

	client := &http.Client{Timeout: 10 * time.Second}
	post := func(req *http.Request) int {
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		_, err = io.Copy(io.Discard, resp.Body)
		if cerr := resp.Body.Close(); err != nil || cerr != nil {
			return 0
		}
		return resp.StatusCode
	}
	var (
		mu       sync.Mutex
		ackedAt  = map[int64]time.Time{} // when the webhook was answered 200
		refused  = map[string]int{}      // non-2xx answers (0: none) by route and status
		acked    atomic.Int64
		started  time.Time // the failover
		promoted time.Time
	)
	deadline := time.Now().Add(90 * time.Second)
	// deliver sends the order's webhook until it is answered 200, as Shopify
	// retries, with the same event id each time.
	deliver := func(o order) {
		for time.Now().Before(deadline) {
			req, err := h.Fake.NewWebhookRequest(ctx, h.URL+"/webhooks", shopifyfake.Webhook{Shop: shop, Topic: "orders/create",
				Payload: o.body, EventID: fmt.Sprintf("evt-%d", o.id)})
			if err != nil {
				t.Error(err)
				return
			}
			status := post(req)
			mu.Lock()
			if status == http.StatusOK {
				ackedAt[o.id] = time.Now()
			} else {
				refused[fmt.Sprintf("webhook %d", status)]++
			}
			mu.Unlock()
			if status == http.StatusOK {
				acked.Add(1)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("order %d: its webhook was never acknowledged", o.id)
	}
	// push sends the order's tracking number, again on any failure (the
	// duplicate rule makes a repeat harmless).
	push := func(o order) {
		body := fmt.Sprintf(`{"order": %d, "tracking_number": %q, "notify_customer": false}`, o.id, o.number)
		for time.Now().Before(deadline) {
			req, err := http.NewRequest(http.MethodPost, h.URL+"/api/v1/tracking", bytes.NewReader([]byte(body)))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			status := post(req)
			if status >= 200 && status < 300 {
				return
			}
			mu.Lock()
			refused[fmt.Sprintf("api %d", status)]++
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("order %d: its tracking number was never accepted", o.id)
	}

	// The pushed orders are Waybill's before the load.
	var pre sync.WaitGroup
	for _, o := range pushOrders {
		pre.Go(func() { deliver(o) })
	}
	pre.Wait()
	wiringtest.Eventually(t, "the orders to push to be stored", func() bool {
		have := stored()
		for _, o := range pushOrders {
			if !have[o.id] {
				return false
			}
		}
		return true
	})
	clear(ackedAt)
	acked.Store(0)
	phase("orders to push stored; load starts")
	if err := h.Inspect.PauseQueue(jobs.QueueCritical); err != nil {
		t.Fatal(err)
	}

	work := make(chan func())
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				job()
			}
		}()
	}
	// A steady stream: a new order's webhook, and every other time a
	// tracking number, every 100 ms.
	sent := 0
	next := func() {
		o := newOrders(1, pushes+sent)[0]
		work <- func() { deliver(o) }
		if sent%2 == 0 && sent/2 < len(pushOrders) {
			p := pushOrders[sent/2]
			work <- func() { push(p) }
		}
		sent++
		time.Sleep(100 * time.Millisecond)
	}
	// Before the failover, during it (until every sentinel names the new
	// primary and the old one is its replica), and after it.
	for acked.Load() < webhooksEachSide && time.Now().Before(deadline) {
		next()
	}
	mu.Lock()
	started = time.Now()
	mu.Unlock()
	promotedCh := make(chan struct{})
	go func() {
		defer close(promotedCh)
		rs.WaitPromoted(rs.Failover())
		mu.Lock()
		promoted = time.Now()
		mu.Unlock()
	}()
	for during := true; during; {
		select {
		case <-promotedCh:
			during = false
		default:
			next()
		}
	}
	for end := sent + webhooksEachSide; sent < end || sent/2 < len(pushOrders); {
		next()
	}
	close(work)
	wg.Wait()
	phase("load done")
	if err := h.Inspect.UnpauseQueue(jobs.QueueCritical); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	before, after := 0, 0
	for _, at := range ackedAt {
		switch {
		case at.Before(started):
			before++
		case at.After(promoted):
			after++
		}
	}
	t.Logf("%d webhooks acknowledged (%d before the failover began, %d after the promotion); refused meanwhile: %v; failover until the old primary was the new one's replica again: %s",
		len(ackedAt), before, after, refused, promoted.Sub(started).Round(time.Millisecond))
	mu.Unlock()
	if before == 0 || after == 0 {
		t.Fatalf("the failover did not happen mid-load: %d acknowledged before it, %d after", before, after)
	}

	// Every acknowledged webhook became an order.
	lost := func() []int64 {
		var ids []int64
		have := stored()
		for id := range ackedAt {
			if !have[id] {
				ids = append(ids, id)
			}
		}
		return ids
	}
	for end := time.Now().Add(20 * time.Second); len(lost()) > 0 && time.Now().Before(end); {
		time.Sleep(250 * time.Millisecond)
	}
	if ids := lost(); len(ids) > 0 {
		t.Errorf("%d webhooks answered 200 were never processed (lost in the failover): orders %v", len(ids), ids)
	}

	phase("acknowledged webhooks checked")

	// Pushes whose task the old primary alone held are queued again by the
	// resync sweep (every minute in production, for shipments pending over
	// a minute): its time is moved on and the sweep run as the scheduler would.
	queue := asynq.NewClientFromRedisClient(h.RDB)
	fulfilled := func() bool {
		for _, o := range pushOrders {
			if got, _ := h.Fake.Order(shop, o.id); len(got.Fulfillments) == 0 {
				return false
			}
		}
		return true
	}
	for round := 0; !fulfilled() && round < 30; round++ {
		clock.Advance(2 * time.Minute)
		if _, err := queue.Enqueue(jobs.NewTrackingResyncTask()); err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	phase("pushes settled")
	for _, o := range pushOrders {
		got, _ := h.Fake.Order(shop, o.id)
		f := got.Fulfillments
		if len(f) != 1 || len(f[0].TrackingInfo) != 1 || f[0].TrackingInfo[0].Number != o.number {
			t.Errorf("order %d: want exactly one fulfillment with %s, got %d", o.id, o.number, len(f))
		}
	}

	// The web process answers ready on the new primary.
	resp, err := http.Get(h.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after the failover = %d", resp.StatusCode)
	}
}
