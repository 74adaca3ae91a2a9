package jobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// scrape reads /metrics as an operator's Prometheus would: series (name and
// labels, as written) to value.
func scrape(t *testing.T, appURL string) map[string]float64 {
	t.Helper()
	status, body := call(t, http.MethodGet, appURL+"/metrics", "", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	series := map[string]float64{}
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// After a push and a customer email, an operator's /metrics shows them: the
// push's latency, the email sent, how long the queues' oldest tasks wait,
// and the parcels stalled now — the same number the admin shows.
func TestMetricsShowPushesEmailsQueuesAndStalledParcels(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	s := e.settled(id)
	if s.State != app.ShipmentSynced {
		t.Fatalf("%+v", s)
	}
	if n := e.notification(id, app.NotifyShipped); n.Status != app.NotificationSent {
		t.Fatalf("email: %+v", n)
	}
	// The parcel stops moving: the stall sweep's mark.
	ctx := context.Background()
	if marked, err := e.db.MarkStalled(ctx, id, app.StallNoEvents, time.Now(), s.LastEventAt); err != nil || !marked {
		t.Fatalf("marking stalled: %v %v", marked, err)
	}
	counts, err := e.db.DashboardCounts(ctx, e.shop.ID, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	// An HTTP request, for the HTTP series. The first scrape comes after
	// the stall: the stalled count is cached for 30 s.
	if status, _ := call(t, http.MethodGet, e.URL+"/healthz", "", nil); status != http.StatusOK {
		t.Fatalf("/healthz: %d", status)
	}
	m := scrape(t, e.URL)
	if m["waybill_push_latency_seconds_count"] != 1 || m[`waybill_push_duration_seconds_count{outcome="pushed"}`] != 1 {
		t.Errorf("push latency count %v, pushed %v; want 1 each", m["waybill_push_latency_seconds_count"], m[`waybill_push_duration_seconds_count{outcome="pushed"}`])
	}
	if got := m[`waybill_emails_total{event="shipped",outcome="sent"}`]; got != 1 {
		t.Errorf("shipped emails sent: %v, want 1", got)
	}
	if got := m[`waybill_emails_total{event="shipped",outcome="failed"}`]; got != 0 {
		t.Errorf("shipped emails failed: %v, want 0", got)
	}
	if _, ok := m[`waybill_queue_latency_seconds{queue="default"}`]; !ok {
		t.Error("no queue age for the default queue (the push's)")
	}
	if got, ok := m["waybill_shipments_stalled"]; !ok || got != float64(counts.Stalled) || got != 1 {
		t.Errorf("stalled parcels: %v (exported %v); the admin shows %d", got, ok, counts.Stalled)
	}
	for series := range m {
		if strings.Contains(series, "shop=") || strings.Contains(series, e.shop.Domain) {
			t.Errorf("a series names a shop (unbounded): %s", series)
		}
	}

	// The dashboard in the repository charts only what /metrics exposes.
	exposed := map[string]bool{}
	for series := range m {
		exposed[strings.SplitN(series, "{", 2)[0]] = true
	}
	raw, err := os.ReadFile("../deploy/grafana/waybill.json")
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dashboard); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	name := regexp.MustCompile(`\b(?:waybill|go|process)_[a-z0-9_]+`)
	exprs := 0
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			exprs++
			names := name.FindAllString(target.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %q names no metric", p.Title, target.Expr)
			}
			for _, n := range names {
				if !exposed[n] {
					t.Errorf("panel %q charts %s, which /metrics does not expose", p.Title, n)
				}
			}
		}
	}
	if exprs < 6 {
		t.Errorf("the dashboard has %d queries", exprs)
	}
}

// logLines are the JSON lines logged so far.
func logLines(logs *apptest.Logs) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// An operator searching the logs for a task finds every line its handler
// wrote, by task id, with its type and shop — each key once.
func TestTaskLogsNameTheTaskAndTheShop(t *testing.T) {
	logs := &apptest.Logs{}
	e := newPushEnvWith(t, wiringtest.Options{Log: logs})
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	if s := e.settled(id); s.State != app.ShipmentSynced {
		t.Fatalf("%+v", s)
	}
	var pushed map[string]any
	wiringtest.Eventually(t, "the push's log line", func() bool {
		for _, l := range logLines(logs) {
			if l["msg"] == "shipment pushed" && l["shipment_id"] == id {
				pushed = l
				return true
			}
		}
		return false
	})
	if taskID, _ := pushed["task_id"].(string); taskID == "" || pushed["task_type"] != jobs.TypeTrackingSync || pushed["shop"] != shop {
		t.Errorf("the push's log line: %v", pushed)
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"shipment pushed"`) && strings.Count(line, `"shop":`) != 1 {
			t.Errorf("shop twice: %s", line)
		}
	}
}
