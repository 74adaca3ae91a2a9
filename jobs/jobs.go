// Package jobs is Waybill's background work on Asynq: one file per job type
// (its type constant, payload, constructor with queue and retry options, and
// handler), one registry (Register), the worker (Run) and the enqueuing
// client that implements app.Dispatcher. Handlers are idempotent: Asynq
// delivers at least once.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/webhooks"
)

// Queues and their weights: webhooks first (Shopify is waiting on none, but
// merchants are), customer-facing work next, housekeeping last.
const (
	QueueCritical = "critical" // webhook intake
	QueueDefault  = "default"  // tracking sync, shop setup
	QueueEmail    = "email"    // customer notifications
	QueueLow      = "low"      // sweeps and maintenance
)

// QueueWeights are Asynq's weighted priorities.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueEmail: 2, QueueLow: 1}

// Deps are what job handlers call: the workflows, and the stores the
// housekeeping jobs read. Every field is required.
type Deps struct {
	Shipping   *shipping.Service
	Webhooks   *webhooks.Processor
	Shops      app.ShopStore    // token sweep
	Admin      app.ShopifyAdmin // token sweep
	WebhookLog app.WebhookLog   // webhook log prune
	Clock      app.Clock
	Log        *slog.Logger
}

// Register adds every job type's handler to mux: the one registry.
func Register(mux *asynq.ServeMux, d Deps) {
	mux.HandleFunc(TypeShopSetup, d.handleShopSetup)
	mux.HandleFunc(TypeTokenSweep, d.handleTokenSweep)
	mux.HandleFunc(TypeWebhookPrune, d.handleWebhookPrune)
	mux.HandleFunc(TypeTrackingSync, d.handleTrackingSync)
	mux.HandleFunc(TypeTrackingResync, d.handleTrackingResync)
	mux.HandleFunc(TypeCustomerNotification, d.handleCustomerNotification)
	mux.HandleFunc(TypeCustomerText, d.handleCustomerText)
	mux.HandleFunc(TypeStatusEvent, d.handleStatusEvent)
	mux.HandleFunc(TypeTrackerRegister, d.handleTrackerRegister)
	mux.HandleFunc(TypeSourceConnected, d.handleSourceConnected)
	mux.HandleFunc(TypeTrackingPoll, d.handleTrackingPoll)
	mux.HandleFunc(TypeStallSweep, d.handleStallSweep)
	mux.HandleFunc(TypeStallDigest, d.handleStallDigest)
	mux.HandleFunc(TypeOrderBackfill, d.handleOrderBackfill)
	mux.HandleFunc(TypeInsightsRefresh, d.handleInsightsRefresh)
	mux.HandleFunc(TypeInsightsRefreshShop, d.handleInsightsRefreshShop)
	// Webhooks: one task type per topic, from the topics table.
	for _, t := range webhooks.Topics() {
		mux.HandleFunc(t.TaskType, d.handleWebhook)
	}
}

// Schedule is a scheduler entry: a cron spec and its task.
type Schedule struct {
	Spec string
	Task *asynq.Task
}

// Periodic are the scheduler's entries.
func Periodic() []Schedule {
	return []Schedule{
		{"@every 5m", NewTokenSweepTask()},
		{"@daily", NewWebhookPruneTask()},
		{"@every 1m", NewTrackingResyncTask()},
		{"@every 1m", NewTrackingPollTask()},
		{"@every 5m", NewStallSweepTask()},
		{"@every 15m", NewInsightsRefreshTask()},
	}
}

// decode reads a task's payload; one that does not decode is final.
func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return final(fmt.Errorf("%s payload: %w", t.Type(), err))
	}
	return nil
}

// payloadShop reads the "shop" field every payload has, for logs.
func payloadShop(t *asynq.Task) string {
	var p struct {
		Shop string `json:"shop"`
	}
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return ""
	}
	return p.Shop
}

// lastTry reports whether a failure of this run is the task's last.
func lastTry(ctx context.Context) bool {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return ok && retried >= maxRetry
}

// final marks an error no retry can fix (the shop is gone, needs
// re-authorisation, or Shopify refused the input): Asynq archives the task
// at once, with the reason.
func final(err error) error {
	return fmt.Errorf("%w (%w)", err, asynq.SkipRetry)
}

// outcome turns a workflow's error into what Asynq should do with the task:
// the one map from error codes to retry or final.
func outcome(err error) error {
	switch app.ErrorCodeOf(err) {
	case "":
		return nil
	case app.ErrNeedsReauth, app.ErrNotFound, app.ErrInvalid, app.ErrForbidden:
		return final(err)
	}
	return err
}

// RetryDelay is exponential with jitter, capped at an hour; a throttle
// (ErrRateLimited: the shop's push slots are busy, or Shopify's bucket is
// empty) waits a second or two instead: slots free and the bucket refills
// fast, and calls already wait for points before they are made.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if app.ErrorCodeOf(err) == app.ErrRateLimited {
		return time.Second + rand.N(time.Second)
	}
	d := min(time.Hour, 5*time.Second*time.Duration(1<<min(n, 10)))
	return d/2 + rand.N(d/2+1)
}

// IsFailure: a throttle is not a failure, so it never uses up retries.
func IsFailure(err error) bool { return app.ErrorCodeOf(err) != app.ErrRateLimited }

// WorkerOptions tune the worker.
type WorkerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	Scheduler       bool // also run the periodic scheduler
	// PollInterval is how long an idle worker waits before looking for new
	// tasks again (Asynq's default is 1s; a webhook should not wait that long).
	PollInterval time.Duration
	// RetryCheckInterval is how often tasks due for a retry are moved back to
	// their queue (Asynq's default, 5s, would stretch a 1s throttle wait to 5s).
	RetryCheckInterval time.Duration
}

// Run processes tasks until ctx ends, then shuts down gracefully: in-flight
// tasks get ShutdownTimeout to finish; the rest go back to their queue.
// conn is REDIS_URL's (app/redis Options.AsynqConnOpt): the worker and
// scheduler own their connections, which Asynq closes at shutdown (it refuses,
// with an error log, to close a shared client), and follow a failover alike.
func Run(ctx context.Context, conn asynq.RedisConnOpt, d Deps, opts WorkerOptions) error {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 10
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 25 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 200 * time.Millisecond
	}
	if opts.RetryCheckInterval <= 0 {
		opts.RetryCheckInterval = time.Second
	}
	logger := asynqLogger{d.Log}
	srv := asynq.NewServer(conn, asynq.Config{
		Concurrency:              opts.Concurrency,
		TaskCheckInterval:        opts.PollInterval,
		DelayedTaskCheckInterval: opts.RetryCheckInterval,
		Queues:                   QueueWeights,
		RetryDelayFunc:           RetryDelay,
		IsFailure:                IsFailure,
		ShutdownTimeout:          opts.ShutdownTimeout,
		Logger:                   logger,
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			level := slog.LevelWarn
			if errors.Is(err, asynq.SkipRetry) || retried >= maxRetry {
				level = slog.LevelError
			}
			// Type, shop and our own error text only: payloads may hold
			// customer data and are never logged.
			taskID, _ := asynq.GetTaskID(ctx)
			d.Log.Log(ctx, level, "job failed", "task_id", taskID, "task_type", t.Type(), "shop", payloadShop(t),
				"retried", retried, "max_retry", maxRetry, "final", errors.Is(err, asynq.SkipRetry) || retried >= maxRetry, "err", err)
		}),
	})
	mux := asynq.NewServeMux()
	mux.Use(logContext)
	Register(mux, d)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	// Tasks of worker processes that died go back to their queue in
	// seconds, not Asynq's minute or two (recover.go).
	defer startOrphanRecovery(ctx, conn, d.Log)()
	var scheduler *asynq.Scheduler
	if opts.Scheduler {
		scheduler = asynq.NewScheduler(conn, &asynq.SchedulerOpts{Logger: logger, LogLevel: asynq.WarnLevel, Location: time.UTC})
		for _, p := range Periodic() {
			if _, err := scheduler.Register(p.Spec, p.Task); err != nil {
				srv.Shutdown()
				return fmt.Errorf("scheduling %s: %w", p.Task.Type(), err)
			}
		}
		if err := scheduler.Start(); err != nil {
			srv.Shutdown()
			return fmt.Errorf("starting the scheduler: %w", err)
		}
	}
	d.Log.Info("worker started", "concurrency", opts.Concurrency, "scheduler", opts.Scheduler)
	<-ctx.Done()
	d.Log.Info("worker stopping", "shutdown_timeout", opts.ShutdownTimeout.String())
	if scheduler != nil {
		scheduler.Shutdown()
	}
	srv.Shutdown()
	return nil
}

// logContext puts the task's id, type and shop on every line its handler
// logs with the context (app.WithLogAttrs; the logger is wiring's).
func logContext(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		ctx = app.WithLogAttrs(ctx, slog.String("task_id", id), slog.String("task_type", t.Type()), slog.String("shop", payloadShop(t)))
		return next.ProcessTask(ctx, t)
	})
}

// asynqLogger sends Asynq's own logs to slog.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
