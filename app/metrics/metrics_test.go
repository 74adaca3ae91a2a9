package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/metrics"
)

// Prometheus may scrape every few seconds, from several servers: the stalled
// count queries the database at most once per 30 s, and a failed query keeps
// the last value rather than showing zero stalled parcels.
func TestStalledCountIsCachedAndSurvivesAFailedQuery(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	queries, stalled := 0, int64(3)
	var fail error
	s := metrics.NewStalled(func(context.Context) (int64, error) { queries++; return stalled, fail }, clock, 30*time.Second)

	if got := scrape(t, s); got != 3 {
		t.Fatalf("first scrape: %v", got)
	}
	stalled = 5
	clock.Advance(29 * time.Second)
	if got := scrape(t, s); got != 3 || queries != 1 {
		t.Fatalf("within 30 s: %v after %d queries", got, queries)
	}
	clock.Advance(time.Second)
	if got := scrape(t, s); got != 5 || queries != 2 {
		t.Fatalf("after 30 s: %v after %d queries", got, queries)
	}
	fail = errors.New("database gone")
	clock.Advance(time.Minute)
	if got := scrape(t, s); got != 5 {
		t.Fatalf("a failed query shows %v", got)
	}
}

// scrape collects c as /metrics would and returns its one value.
func scrape(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil || len(families) != 1 || len(families[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v, %v", families, err)
	}
	return families[0].GetMetric()[0].GetGauge().GetValue()
}
