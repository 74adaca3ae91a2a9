// Package processtest runs the waybill binary as separate processes — web
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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
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
	bin = filepath.Join(dir, "waybill")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/waybill-app/waybill").CombinedOutput(); err != nil {
		_, _ = fmt.Fprintf(os.Stderr, "building waybill: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "removing the binary:", err)
	}
	os.Exit(code)
}

// cluster is a set of waybill processes sharing one database, Redis, fake
// store and mail server.
type cluster struct {
	t     *testing.T
	h     *wiringtest.Harness
	mail  *mailpit
	env   []string
	dir   string
	procs []*proc
	web   []string // the web processes' origins
	shops []string
	n     int
}

// proc is one waybill process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's, once done is closed
}

func newCluster(t *testing.T, shops []string) *cluster {
	mail := startMailpit(t)
	h := wiringtest.New(t, wiringtest.Options{RedisDB: redisDB, Engine: store.Postgres, Shops: shops, SMTPURL: mail.smtpURL()})
	env := append(os.Environ(),
		"SHOPIFY_API_KEY="+wiringtest.APIKey, "SHOPIFY_API_SECRET="+wiringtest.APISecret,
		"DATABASE_URL="+h.Config.DatabaseURL, "REDIS_URL="+redistest.URL(redisDB),
		"SHOPIFY_ADMIN_ORIGIN="+h.FakeURL, "WAYBILL_ENCRYPTION_KEY="+strings.Repeat("ab", 32), "SMTP_URL="+mail.smtpURL(),
		"SEVENTEENTRACK_API_URL=http://127.0.0.1:9", "AFTERSHIP_API_URL=http://127.0.0.1:9", "EASYPOST_API_URL=http://127.0.0.1:9")
	dir := t.TempDir()
	if d := os.Getenv("WAYBILL_PROCESSTEST_LOGS"); d != "" { // keep the processes' logs there
		dir = d
	}
	return &cluster{t: t, h: h, mail: mail, env: env, dir: dir, shops: shops}
}

// start runs the binary with args; the process is interrupted (and waited
// for) at the test's end if it still runs.
func (c *cluster) start(name string, extraEnv []string, args ...string) *proc {
	c.t.Helper()
	c.n++
	p := &proc{name: name, log: filepath.Join(c.dir, fmt.Sprintf("%02d-%s.log", c.n, name)), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		if err := out.Close(); err != nil && p.err == nil {
			p.err = err
		}
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	c.t.Cleanup(func() {
		select {
		case <-p.done:
			return // killed by the test, or it stopped on its own (reported by the test)
		default:
		}
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			c.t.Errorf("interrupting %s: %v", p.name, err)
		}
		select {
		case <-p.done:
			if p.err != nil {
				c.t.Errorf("%s: %v", p.name, p.err)
			}
		case <-time.After(40 * time.Second):
			c.t.Errorf("%s did not stop within 40 s of SIGINT", p.name)
			if err := p.cmd.Process.Kill(); err != nil {
				c.t.Errorf("killing %s: %v", p.name, err)
			}
			<-p.done
		}
	})
	return p
}

// startWeb runs `serve --worker=false` on a free port and waits until it is ready.
func (c *cluster) startWeb() *proc {
	c.t.Helper()
	port := freePort(c.t)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := c.start("web", []string{fmt.Sprintf("PORT=%d", port), "SHOPIFY_APP_URL=" + origin}, "serve", "--worker=false", "--migrate=false")
	c.waitFor(p, "/readyz on "+origin, 30*time.Second, func() bool {
		resp, err := http.Get(origin + "/readyz")
		if err != nil {
			return false // not listening yet
		}
		c.drain(resp)
		return resp.StatusCode == http.StatusOK
	})
	c.web = append(c.web, origin)
	return p
}

// startWorker runs `worker` and waits until its Asynq server runs.
func (c *cluster) startWorker() *proc {
	c.t.Helper()
	p := c.start("worker", []string{"SHOPIFY_APP_URL=http://127.0.0.1:9"}, "worker", "--concurrency", "10")
	c.waitFor(p, "the worker to start", 30*time.Second, func() bool { return strings.Contains(c.read(p), `"msg":"worker started"`) })
	return p
}

// kill sends SIGKILL and reaps the process.
func (c *cluster) kill(p *proc) {
	c.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("killing %s: %v", p.name, err)
	}
	<-p.done
}

// busy says how many tasks p's Asynq server is running, as its heartbeat
// last told Redis.
func (c *cluster) busy(p *proc) int {
	servers, err := c.h.Inspect.Servers()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, s := range servers {
		if s.PID == p.cmd.Process.Pid {
			return len(s.ActiveWorkers)
		}
	}
	return 0
}

// slotsHeld says how many pushes to shop are under way: the push slots
// taken (app/redis limiter.go).
func (c *cluster) slotsHeld(shop string) int {
	n, err := c.h.RDB.ZCard(context.Background(), "waybill:limit:push:"+shop).Result()
	if err != nil {
		c.t.Fatal(err)
	}
	return int(n)
}

// waitFor polls cond until it holds, failing (with the processes' logs)
// after limit or when p exits.
func (c *cluster) waitFor(p *proc, what string, limit time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if p != nil {
			select {
			case <-p.done:
				c.t.Fatalf("%s exited (%v) while waiting for %s:\n%s", p.name, p.err, what, tail(c.read(p), 3000))
			default:
			}
		}
		if time.Now().After(deadline) {
			c.t.Logf("state: %d fulfillments, %d recipients", c.fulfilled(c.shops), len(c.mail.recipients()))
			c.dumpLogs()
			c.t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) read(p *proc) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// times are when log lines containing s were written, over every process.
func (c *cluster) times(s string) []time.Time {
	var out []time.Time
	for _, p := range c.procs {
		for line := range strings.Lines(c.read(p)) {
			if !strings.Contains(line, s) {
				continue
			}
			var l struct{ Time time.Time }
			if err := json.Unmarshal([]byte(line), &l); err == nil {
				out = append(out, l.Time)
			}
		}
	}
	return out
}

// count counts log lines containing s over every process.
func (c *cluster) count(s string) int {
	n := 0
	for _, p := range c.procs {
		n += strings.Count(c.read(p), s)
	}
	return n
}

func (c *cluster) dumpLogs() {
	for _, p := range c.procs {
		c.t.Logf("--- %s (%s), last lines ---\n%s", p.name, filepath.Base(p.log), tail(c.read(p), 2000))
	}
}

func (c *cluster) drain(resp *http.Response) []byte {
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// parcel is one tracking number for one order of one shop.
type parcel struct {
	shop, orderName, number, email string
	orderID                        int64
}

// orders creates n orders in shop (in the fake store and, as orders/create
// would leave it, in Waybill) and returns a parcel for each.
func (c *cluster) orders(shop string, n int) []parcel {
	c.t.Helper()
	ctx := context.Background()
	s := c.h.Shop(shop)
	out := make([]parcel, n)
	for i := range out {
		email := fmt.Sprintf("c%d@%s", i, strings.TrimSuffix(shop, ".myshopify.com")+".example.com")
		o := c.h.Fake.CreateOrder(shop, shopifyfake.NewOrder{Email: email, CustomerFirstName: "Lucía", CustomerLocale: "es",
			LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
		if _, err := c.h.DB.SaveOrder(ctx, app.Order{ID: o.ID, ShopID: s.ID, Name: o.Name, Email: email, CustomerFirstName: "Lucía",
			CustomerLocale: "es", ShopifyUpdatedAt: o.UpdatedAt,
			LineItems: []app.LineItem{{ID: o.LineItems[0].ID, SKU: "MUG-01", Title: "Taza", Quantity: 1, FulfillableQuantity: 1}}}); err != nil {
			c.t.Fatal(err)
		}
		out[i] = parcel{shop: shop, orderName: o.Name, orderID: o.ID, email: email,
			number: fmt.Sprintf("YT%016d", o.ID)}
	}
	return out
}

// submit posts parcels (all of one shop) to POST /api/v1/tracking on web
// with a supplier key of the shop, and checks every row was accepted.
func (c *cluster) submit(web string, parcels []parcel) {
	c.t.Helper()
	key, _, err := c.h.DB.CreateAPIKey(context.Background(), parcels[0].shop, "Proveedor")
	if err != nil {
		c.t.Fatal(err)
	}
	rows := make([]map[string]any, len(parcels))
	for i, p := range parcels {
		rows[i] = map[string]any{"order": p.orderName, "tracking_number": p.number}
	}
	body, err := json.Marshal(rows)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, web+"/api/v1/tracking", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	answer := c.drain(resp)
	var out struct {
		Results []struct {
			Status, ShipmentID, Error string
		}
	}
	if err := json.Unmarshal(answer, &out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Results) != len(parcels) {
		c.t.Fatalf("POST /api/v1/tracking: %d %s (%v)", resp.StatusCode, tail(string(answer), 500), err)
	}
	for i, r := range out.Results {
		if r.Error != "" {
			c.t.Fatalf("row %d refused: %s", i, r.Error)
		}
	}
}

// fulfilled counts the fulfillments the fake store holds for parcels' orders.
func (c *cluster) fulfilled(shops []string) int {
	n := 0
	for _, s := range shops {
		for _, o := range c.h.Fake.Orders(s) {
			n += len(o.Fulfillments)
		}
	}
	return n
}

// fulfillmentTimes are when the fake store made each fulfillment of shops.
func (c *cluster) fulfillmentTimes(shops []string) []time.Time {
	var out []time.Time
	for _, s := range shops {
		for _, o := range c.h.Fake.Orders(s) {
			for _, f := range o.Fulfillments {
				out = append(out, f.CreatedAt)
			}
		}
	}
	return out
}

// checkOutcome asserts what merchants and customers see once everything
// settled: each parcel exactly one fulfillment with its number, in every
// shop, and each customer their email; repeats are bounded by what the
// killed workers had in flight. It returns the repeated emails.
func (c *cluster) checkOutcome(parcels []parcel, killed int) int {
	c.t.Helper()
	byShop := map[string][]parcel{}
	for _, p := range parcels {
		byShop[p.shop] = append(byShop[p.shop], p)
	}
	for shop, ps := range byShop {
		orders := map[int64]shopifyfake.Order{}
		for _, o := range c.h.Fake.Orders(shop) {
			orders[o.ID] = o
		}
		pushed := 0
		for _, p := range ps {
			o := orders[p.orderID]
			switch {
			case len(o.Fulfillments) == 1 && len(o.Fulfillments[0].TrackingInfo) == 1 && o.Fulfillments[0].TrackingInfo[0].Number == p.number:
				pushed++
			case len(o.Fulfillments) > 1:
				c.t.Errorf("%s order %s: %d fulfillments, want exactly one", shop, p.orderName, len(o.Fulfillments))
			default:
				c.t.Errorf("%s order %s: fulfillments %+v, want one with %s", shop, p.orderName, o.Fulfillments, p.number)
			}
		}
		if pushed != len(ps) {
			c.t.Errorf("shop %s: %d of its %d numbers pushed", shop, pushed, len(ps))
		}
	}
	got := c.mail.recipients()
	repeats := 0
	for _, p := range parcels {
		switch n := got[p.email]; {
		case n == 0:
			c.t.Errorf("%s (order %s of %s) got no email", p.email, p.orderName, p.shop)
		case n > 1:
			repeats += n - 1
		}
	}
	// Only a send cut between the SMTP server's answer and the database's
	// record can repeat: at most one per task a killed worker was running.
	if repeats > 10*killed {
		c.t.Errorf("%d repeated emails, more than the %d tasks the killed workers could run", repeats, 10*killed)
	}
	return repeats
}

// waitSettled waits until every parcel is pushed and every customer has an
// email, then a moment more for anything that should not come.
func (c *cluster) waitSettled(parcels []parcel, shops []string, limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for c.fulfilled(shops) < len(parcels) || len(c.mail.recipients()) < len(parcels) {
		if time.Now().After(deadline) {
			c.explainMissing(parcels)
			c.dumpLogs()
			c.t.Fatalf("after %s: %d fulfillments and %d customers emailed, want %d", limit, c.fulfilled(shops), len(c.mail.recipients()), len(parcels))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
}

// explainMissing logs, for each customer without an email, where its
// shipment and notification stand in the database.
func (c *cluster) explainMissing(parcels []parcel) {
	got := c.mail.recipients()
	for _, p := range parcels {
		if got[p.email] > 0 {
			continue
		}
		var rows []struct {
			ID, State, Status string
			ShippedAt         *time.Time
			Notification      string
		}
		if err := c.h.DB.Gorm().Raw(`SELECT s.id, s.state, s.status, s.shipped_at, COALESCE(n.status, 'none') AS notification
			FROM shipments s LEFT JOIN notifications n ON n.shipment_id = s.id WHERE s.tracking_number = ?`, p.number).Scan(&rows).Error; err != nil {
			c.t.Fatal(err)
		}
		// A synced shipment without a notification row: its push stopped
		// between recording the fulfillment and telling the customer, and
		// its re-run finds nothing left to do.
		c.t.Logf("no email for %s (%s): %+v", p.orderName, p.number, rows)
	}
}

// A worker killed with SIGKILL mid-batch and started again at once: the
// batch finishes with every number pushed once and every customer told, in
// seconds — not after the dead process's push slots (3 minutes before) or
// Asynq's lease recovery (60 to 120 s).
func TestWorkerKilledMidBatchRecoversInSeconds(t *testing.T) {
	const shop = "crash.myshopify.com"
	c := newCluster(t, []string{shop})
	c.h.Fake.InjectFaults(shopifyfake.Faults{Latency: 200 * time.Millisecond}) // Shopify is not on loopback
	c.startWeb()
	worker := c.startWorker()
	parcels := c.orders(shop, 60)
	c.submit(c.web[0], parcels)

	inFlight := 0
	c.waitFor(worker, "the worker to be mid-batch", 60*time.Second, func() bool {
		inFlight = c.slotsHeld(shop) // the one worker's
		return c.fulfilled([]string{shop}) >= 5 && inFlight >= 2
	})
	before := c.fulfilled([]string{shop})
	killedAt := time.Now()
	c.kill(worker)
	restartedAt := time.Now()
	c.startWorker()
	c.waitSettled(parcels, []string{shop}, 90*time.Second)
	repeats := c.checkOutcome(parcels, 1)

	var first, last time.Time
	for _, at := range c.fulfillmentTimes([]string{shop}) {
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
	requeued := c.times("task of a dead worker requeued")
	var requeuedAfter []string
	for _, at := range requeued {
		requeuedAfter = append(requeuedAfter, fmt.Sprintf("%.1f s", at.Sub(killedAt).Seconds()))
	}
	t.Logf("killed with %d pushes under way and %d of %d pushed; restart %.2f s after the kill; first push after it %.1f s after the kill, last %.1f s; tasks of the dead worker requeued at %v; %d \"pushes running\" throttles; %d repeated emails",
		inFlight, before, len(parcels), restartedAt.Sub(killedAt).Seconds(), first.Sub(killedAt).Seconds(), last.Sub(killedAt).Seconds(),
		requeuedAfter, c.count("pushes running"), repeats)
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
	c.h.Fake.InjectFaults(shopifyfake.Faults{Latency: 100 * time.Millisecond})
	c.startWeb()
	c.startWeb()
	survivor, victim := c.startWorker(), c.startWorker()
	var parcels []parcel
	byShop := make([][]parcel, len(shops))
	for i, s := range shops {
		byShop[i] = c.orders(s, 50)
		parcels = append(parcels, byShop[i]...)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range shops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.submit(c.web[i%2], byShop[i])
		}()
	}
	wg.Wait()

	c.waitFor(victim, "the victim to be mid-run", 60*time.Second, func() bool {
		return c.fulfilled(shops) >= 100 && c.busy(victim) >= 1
	})
	inFlight, before := c.busy(victim), c.fulfilled(shops)
	killedAt := time.Now()
	c.kill(victim)
	c.waitSettled(parcels, shops, 150*time.Second)
	select {
	case <-survivor.done:
		t.Fatalf("the surviving worker exited: %v", survivor.err)
	default:
	}
	repeats := c.checkOutcome(parcels, 1)
	var last time.Time
	for _, at := range c.fulfillmentTimes(shops) {
		if at.After(last) {
			last = at
		}
	}
	t.Logf("%d numbers over %d shops: the victim was killed with %d tasks running and %d pushed (%.1f s in); all pushed %.1f s after the start (%.1f s after the kill); %d tasks requeued; %d repeated emails",
		len(parcels), len(shops), inFlight, before, killedAt.Sub(start).Seconds(), last.Sub(start).Seconds(), last.Sub(killedAt).Seconds(),
		c.count("task of a dead worker requeued"), repeats)
}

// mailpit is a real SMTP server whose API the test reads in full (the list
// holds all messages, not the first page).
type mailpit struct {
	t        *testing.T
	smtp, ui string
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	path, err := exec.LookPath("mailpit")
	if err != nil {
		gopath, gerr := exec.Command("go", "env", "GOPATH").Output()
		if gerr != nil {
			t.Fatal(gerr)
		}
		path = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "mailpit")
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("mailpit is needed: go install github.com/axllent/mailpit@v1.27.11 (make test does it)")
		}
	}
	m := &mailpit{t: t, smtp: freeAddr(t), ui: freeAddr(t)}
	cmd := exec.Command(path, "--smtp", m.smtp, "--listen", m.ui, "--disable-version-check", "--quiet", "--smtp-disable-rdns",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--max", "0", "--database", filepath.Join(t.TempDir(), "mailpit.db"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cmd.Process.Kill(); err != nil {
			t.Errorf("stopping mailpit: %v", err)
		}
		var exit *exec.ExitError
		if err := cmd.Wait(); err != nil && !errors.As(err, &exit) {
			t.Errorf("mailpit: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if conn, err := net.Dial("tcp", m.smtp); err == nil {
			if err := conn.Close(); err != nil {
				t.Fatal(err)
			}
			if resp, err := http.Get("http://" + m.ui + "/api/v1/messages"); err == nil {
				if err := resp.Body.Close(); err != nil {
					t.Fatal(err)
				}
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mailpit) smtpURL() string {
	return "smtp://" + m.smtp + "?tls=none&from=shipping@waybill.test"
}

// recipients counts the messages each address received.
func (m *mailpit) recipients() map[string]int {
	resp, err := http.Get("http://" + m.ui + "/api/v1/messages?limit=100000")
	if err != nil {
		m.t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			m.t.Error(err)
		}
	}()
	var out struct {
		Messages []struct{ To []struct{ Address string } }
	}
	if err := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&out); err != nil {
		m.t.Fatal(err)
	}
	got := map[string]int{}
	for _, msg := range out.Messages {
		for _, to := range msg.To {
			got[to.Address]++
		}
	}
	return got
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil { // closed before the server binds it
		t.Fatal(err)
	}
	return addr
}

func freePort(t *testing.T) int {
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscan(port, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
