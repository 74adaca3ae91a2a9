// Package processtest runs the waybill binary as separate processes — web
// (`serve --worker=false`) and `worker` — on PostgreSQL and Redis, against the
// fake Shopify store and a real SMTP server (mailpit). Its tests kill workers
// with SIGKILL mid-batch; its load command (scaleload) pushes many shops'
// numbers through N workers. This file is the cluster both use.
//
// wiringtest sets up the fake store, database and shops; the processes then
// share them through the environment, as deployed ones do.
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
	"syscall"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// BuildBinary builds the waybill binary into dir and returns its path.
func BuildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "waybill")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/waybill-app/waybill").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building waybill: %w\n%s", err, out)
	}
	return bin, nil
}

// Options choose the cluster's binary, Redis database and shops.
type Options struct {
	// Bin is the waybill binary (BuildBinary's).
	Bin string
	// RedisDB is the database of WAYBILL_TEST_REDIS_URL's server the
	// cluster owns (emptied first).
	RedisDB int
	// Shops are installed in the fake store and in Waybill.
	Shops []string
	// LogDir keeps the processes' logs (default: a temporary directory).
	LogDir string
}

// Cluster is a set of waybill processes sharing one database, Redis, fake
// store and mail server.
type Cluster struct {
	T     apptest.TB
	H     *wiringtest.Harness
	Mail  *Mailpit
	Procs []*Proc
	Web   []string // the web processes' origins
	Shops []string
	bin   string
	env   []string
	dir   string
	n     int
}

// Proc is one waybill process.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string
	Done chan struct{}
	Err  error // Wait's, once Done is closed
}

// NewCluster starts mailpit and the harness (fake store, PostgreSQL
// database, the shops installed); processes are started with Start*.
func NewCluster(t apptest.TB, opts Options) *Cluster {
	mail := StartMailpit(t)
	h := wiringtest.New(t, wiringtest.Options{RedisDB: opts.RedisDB, Engine: store.Postgres, Shops: opts.Shops, SMTPURL: mail.SMTPURL()})
	env := append(os.Environ(),
		"SHOPIFY_API_KEY="+wiringtest.APIKey, "SHOPIFY_API_SECRET="+wiringtest.APISecret,
		"DATABASE_URL="+h.Config.DatabaseURL, "REDIS_URL="+redistest.URL(opts.RedisDB),
		"SHOPIFY_ADMIN_ORIGIN="+h.FakeURL, "WAYBILL_ENCRYPTION_KEY="+strings.Repeat("ab", 32), "SMTP_URL="+mail.SMTPURL(),
		"SEVENTEENTRACK_API_URL=http://127.0.0.1:9", "AFTERSHIP_API_URL=http://127.0.0.1:9", "EASYPOST_API_URL=http://127.0.0.1:9")
	dir := opts.LogDir
	if dir == "" {
		dir = t.TempDir()
	}
	return &Cluster{T: t, H: h, Mail: mail, bin: opts.Bin, env: env, dir: dir, Shops: opts.Shops}
}

// Start runs the binary with args; the process is interrupted (and waited
// for) at cleanup if it still runs.
func (c *Cluster) Start(name string, extraEnv []string, args ...string) *Proc {
	c.T.Helper()
	c.n++
	p := &Proc{Name: name, Log: filepath.Join(c.dir, fmt.Sprintf("%02d-%s.log", c.n, name)), Done: make(chan struct{})}
	out, err := os.Create(p.Log)
	if err != nil {
		c.T.Fatal(err)
	}
	p.Cmd = exec.Command(c.bin, args...)
	p.Cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	p.Cmd.Stdout, p.Cmd.Stderr = out, out
	if err := p.Cmd.Start(); err != nil {
		c.T.Fatal(err)
	}
	go func() {
		p.Err = p.Cmd.Wait()
		if err := out.Close(); err != nil && p.Err == nil {
			p.Err = err
		}
		close(p.Done)
	}()
	c.Procs = append(c.Procs, p)
	c.T.Cleanup(func() {
		select {
		case <-p.Done:
			return // killed by the test, or it stopped on its own (reported by the test)
		default:
		}
		if err := p.Cmd.Process.Signal(os.Interrupt); err != nil {
			c.T.Errorf("interrupting %s: %v", p.Name, err)
		}
		select {
		case <-p.Done:
			if p.Err != nil {
				c.T.Errorf("%s: %v", p.Name, p.Err)
			}
		case <-time.After(40 * time.Second):
			c.T.Errorf("%s did not stop within 40 s of SIGINT", p.Name)
			if err := p.Cmd.Process.Kill(); err != nil {
				c.T.Errorf("killing %s: %v", p.Name, err)
			}
			<-p.Done
		}
	})
	return p
}

// StartWeb runs `serve --worker=false` on a free port and waits until it is ready.
func (c *Cluster) StartWeb() *Proc {
	c.T.Helper()
	port := FreePort(c.T)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := c.Start("web", []string{fmt.Sprintf("PORT=%d", port), "SHOPIFY_APP_URL=" + origin}, "serve", "--worker=false", "--migrate=false")
	c.WaitFor(p, "/readyz on "+origin, 30*time.Second, func() bool {
		resp, err := http.Get(origin + "/readyz")
		if err != nil {
			return false // not listening yet
		}
		c.drain(resp)
		return resp.StatusCode == http.StatusOK
	})
	c.Web = append(c.Web, origin)
	return p
}

// StartWorker runs `worker` with args (default `--concurrency 10`) and
// waits until its Asynq server runs.
func (c *Cluster) StartWorker(args ...string) *Proc {
	c.T.Helper()
	if len(args) == 0 {
		args = []string{"--concurrency", "10"}
	}
	p := c.Start("worker", []string{"SHOPIFY_APP_URL=http://127.0.0.1:9"}, append([]string{"worker"}, args...)...)
	c.WaitFor(p, "the worker to start", 30*time.Second, func() bool { return strings.Contains(c.Read(p), `"msg":"worker started"`) })
	return p
}

// Kill sends SIGKILL and reaps the process.
func (c *Cluster) Kill(p *Proc) {
	c.T.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.T.Fatalf("killing %s: %v", p.Name, err)
	}
	<-p.Done
}

// WaitFor polls cond until it holds, failing (with the processes' logs)
// after limit or when p exits.
func (c *Cluster) WaitFor(p *Proc, what string, limit time.Duration, cond func() bool) {
	c.T.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if p != nil {
			select {
			case <-p.Done:
				c.T.Fatalf("%s exited (%v) while waiting for %s:\n%s", p.Name, p.Err, what, tail(c.Read(p), 3000))
			default:
			}
		}
		if time.Now().After(deadline) {
			c.logf("state: %d fulfillments, %d recipients", c.Fulfilled(c.Shops), len(c.Mail.Recipients()))
			c.DumpLogs()
			c.T.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Read is p's log so far.
func (c *Cluster) Read(p *Proc) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		c.T.Fatal(err)
	}
	return string(b)
}

// Times are when log lines containing s were written, over every process.
func (c *Cluster) Times(s string) []time.Time {
	var out []time.Time
	for _, p := range c.Procs {
		for line := range strings.Lines(c.Read(p)) {
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

// Count counts log lines containing s over every process.
func (c *Cluster) Count(s string) int {
	n := 0
	for _, p := range c.Procs {
		n += strings.Count(c.Read(p), s)
	}
	return n
}

// DumpLogs logs the last lines of every process's log.
func (c *Cluster) DumpLogs() {
	for _, p := range c.Procs {
		c.logf("--- %s (%s), last lines ---\n%s", p.Name, filepath.Base(p.Log), tail(c.Read(p), 2000))
	}
}

// logf is the test's log, or stderr for a program.
func (c *Cluster) logf(format string, args ...any) {
	if l, ok := c.T.(interface{ Logf(string, ...any) }); ok {
		l.Logf(format, args...)
		return
	}
	_, _ = fmt.Fprintf(os.Stderr, format+"\n", args...) // nowhere left to report a failed write
}

func (c *Cluster) drain(resp *http.Response) []byte {
	b, err := readBody(resp)
	if err != nil {
		c.T.Fatal(err)
	}
	return b
}

func readBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// Parcel is one tracking number for one order of one shop.
type Parcel struct {
	Shop, OrderName, Number, Email string
	OrderID                        int64
}

// Orders creates n orders in shop (in the fake store and, as orders/create
// would leave it, in Waybill) and returns a parcel for each.
func (c *Cluster) Orders(shop string, n int) []Parcel {
	c.T.Helper()
	s := c.H.Shop(shop)
	out := make([]Parcel, n)
	for i := range out {
		p, err := c.Order(context.Background(), s, i)
		if err != nil {
			c.T.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// Order creates shop's order for customer i (in the fake store and in
// Waybill) and returns its parcel; safe to call concurrently.
func (c *Cluster) Order(ctx context.Context, s *app.Shop, i int) (Parcel, error) {
	email := fmt.Sprintf("c%d@%s", i, strings.TrimSuffix(s.Domain, ".myshopify.com")+".example.com")
	o := c.H.Fake.CreateOrder(s.Domain, shopifyfake.NewOrder{Email: email, CustomerFirstName: "Lucía", CustomerLocale: "es",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}})
	if _, err := c.H.DB.SaveOrder(ctx, app.Order{ID: o.ID, ShopID: s.ID, Name: o.Name, Email: email, CustomerFirstName: "Lucía",
		CustomerLocale: "es", ShopifyUpdatedAt: o.UpdatedAt,
		LineItems: []app.LineItem{{ID: o.LineItems[0].ID, SKU: "MUG-01", Title: "Taza", Quantity: 1, FulfillableQuantity: 1}}}); err != nil {
		return Parcel{}, err
	}
	return Parcel{Shop: s.Domain, OrderName: o.Name, OrderID: o.ID, Email: email, Number: fmt.Sprintf("YT%016d", o.ID)}, nil
}

// Submit posts parcels (all of one shop) to POST /api/v1/tracking on web
// with a new supplier key of the shop, and checks every row was accepted.
func (c *Cluster) Submit(web string, parcels []Parcel) {
	c.T.Helper()
	key, _, err := c.H.DB.CreateAPIKey(context.Background(), parcels[0].Shop, "Proveedor")
	if err != nil {
		c.T.Fatal(err)
	}
	if err := Post(web, key, parcels); err != nil {
		c.T.Fatal(err)
	}
}

// Post sends parcels to POST /api/v1/tracking on web with the supplier API
// key key, as a supplier's system does, and says whether every row was
// accepted.
func Post(web, key string, parcels []Parcel) error {
	rows := make([]map[string]any, len(parcels))
	for i, p := range parcels {
		rows[i] = map[string]any{"order": p.OrderName, "tracking_number": p.Number}
	}
	body, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, web+"/api/v1/tracking", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	answer, err := readBody(resp)
	if err != nil {
		return err
	}
	var out struct {
		Results []struct {
			Status, ShipmentID, Error string
		}
	}
	if err := json.Unmarshal(answer, &out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Results) != len(parcels) {
		return fmt.Errorf("POST /api/v1/tracking: %d %s (%v)", resp.StatusCode, tail(string(answer), 500), err)
	}
	for i, r := range out.Results {
		if r.Error != "" {
			return fmt.Errorf("row %d refused: %s", i, r.Error)
		}
	}
	return nil
}

// Fulfilled counts the fulfillments the fake store holds for shops' orders.
func (c *Cluster) Fulfilled(shops []string) int {
	n := 0
	for _, s := range shops {
		for _, o := range c.H.Fake.Orders(s) {
			n += len(o.Fulfillments)
		}
	}
	return n
}

// FulfillmentTimes are when the fake store made each fulfillment of shops.
func (c *Cluster) FulfillmentTimes(shops []string) []time.Time {
	var out []time.Time
	for _, s := range shops {
		for _, o := range c.H.Fake.Orders(s) {
			for _, f := range o.Fulfillments {
				out = append(out, f.CreatedAt)
			}
		}
	}
	return out
}

// Mailpit is a real SMTP server whose API is read in full (the list holds
// all messages, not the first page).
type Mailpit struct {
	t        apptest.TB
	smtp, ui string
	cmd      *exec.Cmd
}

// StartMailpit runs mailpit (on PATH or in GOPATH/bin) until cleanup.
func StartMailpit(t apptest.TB) *Mailpit {
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
	m := &Mailpit{t: t, smtp: FreeAddr(t), ui: FreeAddr(t)}
	cmd := exec.Command(path, "--smtp", m.smtp, "--listen", m.ui, "--disable-version-check", "--quiet", "--smtp-disable-rdns",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--max", "0", "--database", filepath.Join(t.TempDir(), "mailpit.db"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.cmd = cmd
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

// SMTPURL is Waybill's SMTP_URL for this server.
func (m *Mailpit) SMTPURL() string {
	return "smtp://" + m.smtp + "?tls=none&from=shipping@waybill.test"
}

// PID is the mailpit process's id.
func (m *Mailpit) PID() int { return m.cmd.Process.Pid }

// Recipients counts the messages each address received.
func (m *Mailpit) Recipients() map[string]int {
	resp, err := http.Get("http://" + m.ui + "/api/v1/messages?limit=100000")
	if err != nil {
		m.t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			m.t.Errorf("%v", err)
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

// FreeAddr is a loopback address nothing listens on (closed before the
// server binds it).
func FreeAddr(t apptest.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// FreePort is FreeAddr's port.
func FreePort(t apptest.TB) int {
	_, port, err := net.SplitHostPort(FreeAddr(t))
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
