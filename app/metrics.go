package app

import (
	"context"
	"log/slog"
	"time"
)

// Push outcomes, as Metrics.PushDone records them.
const (
	PushOK             = "pushed"          // the shipment is a fulfillment in Shopify
	PushNeedsAttention = "needs_attention" // the merchant must act (no order, nothing left to ship…)
	PushFailed         = "failed"          // final: Shopify refused, or retries spent
	PushRetry          = "retry"           // Shopify unreachable or a server error: retried later
	PushThrottled      = "throttled"       // the shop's slots or Shopify's bucket: retried soon
)

// Metrics records what operators watch (the Prometheus adapter is
// app/metrics): workflows call it without knowing how it is exported.
type Metrics interface {
	// PushDone: a push to Shopify ended with outcome (Push* above) after
	// took. sinceReceived is how long after Waybill received the number
	// its fulfillment was in Shopify; it counts only when outcome is PushOK.
	PushDone(outcome string, took, sinceReceived time.Duration)
	// EmailOutcome: a customer email ended as status (sent, failed,
	// suppressed, skipped).
	EmailOutcome(event NotificationEvent, status NotificationStatus)
	// TextOutcome: a customer text ended as outcome (TextOutcomes), or a
	// provider reported it delivered, read or undelivered.
	TextOutcome(channel Channel, outcome string)
}

// TextOutcomes are the outcomes TextOutcome records.
var TextOutcomes = []string{string(TextSent), string(TextFailed), string(TextSuppressed), string(TextSkipped),
	string(TextDelivered), string(TextRead), "undelivered"}

type logAttrsKey struct{}

// WithLogAttrs returns ctx carrying attrs that every log line written with
// it (InfoContext…) gets, through ContextLogHandler: a task's id, type and
// shop on everything its handler logs.
func WithLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, logAttrsKey{}, append(prev[:len(prev):len(prev)], attrs...))
}

// ContextLogHandler adds the context's WithLogAttrs to each record, except
// keys the record already has (no duplicate "shop").
func ContextLogHandler(h slog.Handler) slog.Handler { return ctxLogHandler{h} }

type ctxLogHandler struct{ slog.Handler }

func (h ctxLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		r = r.Clone() // the caller's record is not ours to change
		have := map[string]bool{}
		r.Attrs(func(a slog.Attr) bool { have[a.Key] = true; return true })
		for _, a := range attrs {
			if !have[a.Key] {
				r.AddAttrs(a)
			}
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h ctxLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h ctxLogHandler) WithGroup(name string) slog.Handler {
	return ctxLogHandler{h.Handler.WithGroup(name)}
}
