// These tests run the waybill binary as separate processes — web
// (`serve --worker=false`) and `worker` — on PostgreSQL and Redis, against the
// fake Shopify store and a real SMTP server (mailpit), and kills workers with
// SIGKILL mid-batch: what a crash, an OOM kill or a lost host does. It asserts
// what merchants and customers would notice: every tracking number becomes
// exactly one fulfillment, every shop's numbers all get pushed, every customer
// gets the email.
//
// Its own package (not main's tests): it builds the binary once, takes a
// minute or two, and runs in parallel with the other packages under
// `go test ./...`. wiringtest sets up the fake store, database and shops;
// the processes then share them through the environment, as deployed ones do.

package processtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/shopifyfake"
)

// redisDB is this package's Redis database (1–8 are other test packages',
// 9 the load commands').
const redisDB = 10

// bin is the waybill binary, built once for every test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "waybill-processtest-")
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // nothing left to report a failed write to
		os.Exit(1)
	}
	bin, err = BuildBinary(dir)
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "removing the binary:", err)
	}
	os.Exit(code)
}

// busy says how many tasks p's Asynq server is running, as its heartbeat
// last told Redis.
func (c *Cluster) busy(p *Proc) int {
	servers, err := c.H.Inspect.Servers()
	if err != nil {
		c.T.Fatal(err)
	}
	for _, s := range servers {
		if s.PID == p.Cmd.Process.Pid {
			return len(s.ActiveWorkers)
		}
	}
	return 0
}

// slotsHeld says how many pushes to shop are under way: the push slots
// taken (app/redis limiter.go).
func (c *Cluster) slotsHeld(shop string) int {
	n, err := c.H.RDB.ZCard(context.Background(), "waybill:limit:push:"+shop).Result()
	if err != nil {
		c.T.Fatal(err)
	}
	return int(n)
}

// checkOutcome asserts what merchants and customers see once everything
// settled: each parcel exactly one fulfillment with its number, in every
// shop, and each customer their email; repeats are bounded by what the
// killed workers had in flight. It returns the repeated emails.
func (c *Cluster) checkOutcome(parcels []Parcel, killed int) int {
	c.T.Helper()
	byShop := map[string][]Parcel{}
	for _, p := range parcels {
		byShop[p.Shop] = append(byShop[p.Shop], p)
	}
	for shop, ps := range byShop {
		orders := map[int64]shopifyfake.Order{}
		for _, o := range c.H.Fake.Orders(shop) {
			orders[o.ID] = o
		}
		pushed := 0
		for _, p := range ps {
			o := orders[p.OrderID]
			switch {
			case len(o.Fulfillments) == 1 && len(o.Fulfillments[0].TrackingInfo) == 1 && o.Fulfillments[0].TrackingInfo[0].Number == p.Number:
				pushed++
			case len(o.Fulfillments) > 1:
				c.T.Errorf("%s order %s: %d fulfillments, want exactly one", shop, p.OrderName, len(o.Fulfillments))
			default:
				c.T.Errorf("%s order %s: fulfillments %+v, want one with %s", shop, p.OrderName, o.Fulfillments, p.Number)
			}
		}
		if pushed != len(ps) {
			c.T.Errorf("shop %s: %d of its %d numbers pushed", shop, pushed, len(ps))
		}
	}
	got := c.Mail.Recipients()
	repeats := 0
	for _, p := range parcels {
		switch n := got[p.Email]; {
		case n == 0:
			c.T.Errorf("%s (order %s of %s) got no email", p.Email, p.OrderName, p.Shop)
		case n > 1:
			repeats += n - 1
		}
	}
	// Only a send cut between the SMTP server's answer and the database's
	// record can repeat: at most one per task a killed worker was running.
	if repeats > 10*killed {
		c.T.Errorf("%d repeated emails, more than the %d tasks the killed workers could run", repeats, 10*killed)
	}
	return repeats
}

// waitSettled waits until every parcel is pushed and every customer has an
// email, then a moment more for anything that should not come.
func (c *Cluster) waitSettled(parcels []Parcel, shops []string, limit time.Duration) {
	c.T.Helper()
	deadline := time.Now().Add(limit)
	for c.Fulfilled(shops) < len(parcels) || len(c.Mail.Recipients()) < len(parcels) {
		if time.Now().After(deadline) {
			c.explainMissing(parcels)
			c.DumpLogs()
			c.T.Fatalf("after %s: %d fulfillments and %d customers emailed, want %d", limit, c.Fulfilled(shops), len(c.Mail.Recipients()), len(parcels))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
}

// explainMissing logs, for each customer without an email, where its
// shipment and notification stand in the database.
func (c *Cluster) explainMissing(parcels []Parcel) {
	got := c.Mail.Recipients()
	for _, p := range parcels {
		if got[p.Email] > 0 {
			continue
		}
		var rows []struct {
			ID, State, Status string
			ShippedAt         *time.Time
			Notification      string
		}
		if err := c.H.DB.Gorm().Raw(`SELECT s.id, s.state, s.status, s.shipped_at, COALESCE(n.status, 'none') AS notification
			FROM shipments s LEFT JOIN notifications n ON n.shipment_id = s.id WHERE s.tracking_number = ?`, p.Number).Scan(&rows).Error; err != nil {
			c.T.Fatal(err)
		}
		// A synced shipment without a notification row: its push stopped
		// between recording the fulfillment and telling the customer, and
		// its re-run finds nothing left to do.
		c.logf("no email for %s (%s): %+v", p.OrderName, p.Number, rows)
	}
}

// newCluster is a cluster of this package's binary on its Redis database.
func newCluster(t *testing.T, shops []string) *Cluster {
	return NewCluster(t, Options{Bin: bin, RedisDB: redisDB, Shops: shops, LogDir: os.Getenv("WAYBILL_PROCESSTEST_LOGS")})
}

// A worker killed with SIGKILL mid-batch and started again at once: the
// batch finishes with every number pushed once and every customer told, in
// seconds — not after the dead process's push slots (3 minutes before) or
// Asynq's lease recovery (60 to 120 s).
func TestWorkerKilledMidBatchRecoversInSeconds(t *testing.T) {
	const shop = "crash.myshopify.com"
	c := newCluster(t, []string{shop})
	c.H.Fake.InjectFaults(shopifyfake.Faults{Latency: 200 * time.Millisecond}) // Shopify is not on loopback
	c.StartWeb()
	worker := c.StartWorker()
	parcels := c.Orders(shop, 60)
	c.Submit(c.Web[0], parcels)

	inFlight := 0
	c.WaitFor(worker, "the worker to be mid-batch", 60*time.Second, func() bool {
		inFlight = c.slotsHeld(shop) // the one worker's
		return c.Fulfilled([]string{shop}) >= 5 && inFlight >= 2
	})
	before := c.Fulfilled([]string{shop})
	killedAt := time.Now()
	c.Kill(worker)
	restartedAt := time.Now()
	c.StartWorker()
	c.waitSettled(parcels, []string{shop}, 90*time.Second)
	repeats := c.checkOutcome(parcels, 1)

	var first, last time.Time
	for _, at := range c.FulfillmentTimes([]string{shop}) {
		if at.After(restartedAt) && (first.IsZero() || at.Before(first)) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if first.IsZero() {
		t.Fatal("nothing was pushed after the restart")
	}
	requeued := c.Times("task of a dead worker requeued")
	var requeuedAfter []string
	for _, at := range requeued {
		requeuedAfter = append(requeuedAfter, fmt.Sprintf("%.1f s", at.Sub(killedAt).Seconds()))
	}
	t.Logf("killed with %d pushes under way and %d of %d pushed; restart %.2f s after the kill; first push after it %.1f s after the kill, last %.1f s; tasks of the dead worker requeued at %v; %d \"pushes running\" throttles; %d repeated emails",
		inFlight, before, len(parcels), restartedAt.Sub(killedAt).Seconds(), first.Sub(killedAt).Seconds(), last.Sub(killedAt).Seconds(),
		requeuedAfter, c.Count("pushes running"), repeats)
	if len(requeued) == 0 {
		t.Error("no task of the dead worker was requeued: its work waited for Asynq's own recovery")
	}
	// Generous: the slots' lease is 10 s and the tasks come back 15 to 17 s
	// after the kill; Asynq alone takes 60 s at the least.
	if d := last.Sub(killedAt); d > 45*time.Second {
		t.Errorf("the batch finished %.1f s after the kill, want under 45 s", d.Seconds())
	}
}

// Issue 14's deployment: two web processes and two workers on PostgreSQL
// and Redis, 20 shops with 50 numbers each; one worker is killed mid-run and
// not started again. Every number becomes exactly one fulfillment, no shop
// is starved, every customer gets the email.
func TestTwoWebTwoWorkersOneKilled(t *testing.T) {
	shops := make([]string, 20)
	for i := range shops {
		shops[i] = fmt.Sprintf("shop%02d.myshopify.com", i)
	}
	c := newCluster(t, shops)
	c.H.Fake.InjectFaults(shopifyfake.Faults{Latency: 100 * time.Millisecond})
	c.StartWeb()
	c.StartWeb()
	survivor, victim := c.StartWorker(), c.StartWorker()
	var parcels []Parcel
	byShop := make([][]Parcel, len(shops))
	for i, s := range shops {
		byShop[i] = c.Orders(s, 50)
		parcels = append(parcels, byShop[i]...)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range shops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Submit(c.Web[i%2], byShop[i])
		}()
	}
	wg.Wait()

	c.WaitFor(victim, "the victim to be mid-run", 60*time.Second, func() bool {
		return c.Fulfilled(shops) >= 100 && c.busy(victim) >= 1
	})
	inFlight, before := c.busy(victim), c.Fulfilled(shops)
	killedAt := time.Now()
	c.Kill(victim)
	c.waitSettled(parcels, shops, 150*time.Second)
	select {
	case <-survivor.Done:
		t.Fatalf("the surviving worker exited: %v", survivor.Err)
	default:
	}
	repeats := c.checkOutcome(parcels, 1)
	var last time.Time
	for _, at := range c.FulfillmentTimes(shops) {
		if at.After(last) {
			last = at
		}
	}
	t.Logf("%d numbers over %d shops: the victim was killed with %d tasks running and %d pushed (%.1f s in); all pushed %.1f s after the start (%.1f s after the kill); %d tasks requeued; %d repeated emails",
		len(parcels), len(shops), inFlight, before, killedAt.Sub(start).Seconds(), last.Sub(start).Seconds(), last.Sub(killedAt).Seconds(),
		c.Count("task of a dead worker requeued"), repeats)
}
