// Package metrics is the Prometheus adapter of app.Metrics, and the
// collectors read at scrape time: what operators watch on /metrics. Metric
// names start with waybill_; no label carries a shop (one series per shop
// would grow without bound), so every label has a short fixed set of values.
package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/waybill-app/waybill/app"
)

// Prometheus records app.Metrics into its Registry, which /metrics serves.
type Prometheus struct {
	Registry     *prometheus.Registry
	pushDuration *prometheus.HistogramVec
	pushLatency  prometheus.Histogram
	emails       *prometheus.CounterVec
	texts        *prometheus.CounterVec
}

var _ app.Metrics = (*Prometheus)(nil)

// New makes the registry with the Go runtime and process collectors, the
// push and email series, and the given collectors (queues, stalled parcels).
func New(extra ...prometheus.Collector) *Prometheus {
	p := &Prometheus{
		Registry: prometheus.NewRegistry(),
		pushDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "waybill_push_duration_seconds",
			Help:    "How long one push to Shopify took (read the order, create or update the fulfillment), by outcome.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}, []string{"outcome"}),
		pushLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "waybill_push_latency_seconds",
			Help:    "From a tracking number received (API, CSV, admin) to its fulfillment in Shopify.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600},
		}),
		emails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "waybill_emails_total",
			Help: "Customer emails by event and outcome (sent, failed, suppressed, skipped).",
		}, []string{"event", "outcome"}),
		texts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "waybill_texts_total",
			Help: "Customer WhatsApp and SMS texts by channel and outcome (sent, failed, suppressed, skipped; delivered, read, undelivered as the provider reports).",
		}, []string{"channel", "outcome"}),
	}
	// Every series exists from the start (at 0), so a rate over it works
	// before the first push or email.
	for _, o := range []string{app.PushOK, app.PushNeedsAttention, app.PushFailed, app.PushRetry, app.PushThrottled} {
		p.pushDuration.WithLabelValues(o)
	}
	for _, e := range app.NotificationEvents {
		for _, s := range []app.NotificationStatus{app.NotificationSent, app.NotificationFailed, app.NotificationSuppressed, app.NotificationSkipped} {
			p.emails.WithLabelValues(string(e), string(s))
		}
	}
	for _, c := range app.TextChannels {
		for _, o := range app.TextOutcomes {
			p.texts.WithLabelValues(string(c), o)
		}
	}
	p.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		p.pushDuration, p.pushLatency, p.emails, p.texts)
	p.Registry.MustRegister(extra...)
	return p
}

// PushDone implements app.Metrics.
func (p *Prometheus) PushDone(outcome string, took, sinceReceived time.Duration) {
	p.pushDuration.WithLabelValues(outcome).Observe(took.Seconds())
	if outcome == app.PushOK {
		p.pushLatency.Observe(max(0, sinceReceived.Seconds()))
	}
}

// EmailOutcome implements app.Metrics.
func (p *Prometheus) EmailOutcome(event app.NotificationEvent, status app.NotificationStatus) {
	p.emails.WithLabelValues(string(event), string(status)).Inc()
}

// TextOutcome implements app.Metrics.
func (p *Prometheus) TextOutcome(channel app.Channel, outcome string) {
	p.texts.WithLabelValues(string(channel), outcome).Inc()
}

// Stalled exports the number of parcels stalled now (no carrier news for
// too long, or past their estimate; the admin's "stalled" count summed over
// shops) as waybill_shipments_stalled. The count is a database query, so it
// runs at most once per ttl however often Prometheus (or several) scrapes.
type Stalled struct {
	count func(context.Context) (int64, error)
	clock app.Clock
	ttl   time.Duration
	desc  *prometheus.Desc

	mu    sync.Mutex
	at    time.Time
	value float64
	known bool
}

// NewStalled counts with count, cached for ttl.
func NewStalled(count func(context.Context) (int64, error), clock app.Clock, ttl time.Duration) *Stalled {
	return &Stalled{count: count, clock: clock, ttl: ttl,
		desc: prometheus.NewDesc("waybill_shipments_stalled", "Parcels stalled now (no carrier news for too long, or past their estimate), all shops; refreshed at most every 30 s.", nil, nil)}
}

func (s *Stalled) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *Stalled) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.clock.Now(); !s.known || now.Sub(s.at) >= s.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := s.count(ctx)
		cancel()
		if err == nil {
			s.at, s.value, s.known = now, float64(n), true
		}
		// On an error the last value stands (or none is exported): a
		// database hiccup shows in /readyz, not as zero stalled parcels.
	}
	if s.known {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value)
	}
}
