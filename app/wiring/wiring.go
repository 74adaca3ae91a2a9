// Package wiring builds the whole of Waybill from one configuration: every
// adapter, the workflows (shipping, webhooks), the HTTP server and the
// worker. main's commands and every integration test use this one assembly
// (as WTF Dial's Main serves both its binary and its end-to-end tests): a
// main package cannot be imported by other packages' tests, so it lives here.
// Nothing is optional: what is built is the product.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/metrics"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/server"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/smtp"
	"github.com/waybill-app/waybill/app/statusfeed"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/twilio"
	"github.com/waybill-app/waybill/app/whatsapp"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/frontend"
	"github.com/waybill-app/waybill/jobs"
	"github.com/waybill-app/waybill/webhooks"
)

// Options are what a command or a test may choose beyond the configuration.
type Options struct {
	// Clock is the time everything reads; default the system clock.
	Clock app.Clock
	// PushesPerShop bounds a shop's concurrent pushes to Shopify; default
	// shipping.DefaultPushesPerShop.
	PushesPerShop int
}

// App is Waybill, assembled.
type App struct {
	Config        config.Config
	Log           *slog.Logger
	Clock         app.Clock
	DB            *store.DB
	Redis         *redis.Client
	RDB           goredis.UniversalClient // a failover or cluster client when REDIS_URL says so
	redisOpts     *redis.Options          // the worker builds its own connections from them
	Shopify       *shopify.Service
	Queue         *jobs.Client
	Emails        *email.Renderer
	Mailer        app.Mailer
	Unsubscribes  app.Unsubscribes
	TrackingLinks app.TrackingLinks
	ShortLinks    app.ShortLinks
	Shipping      *shipping.Service
	Webhooks      *webhooks.Processor
	// Providers are the status providers (17TRACK, AfterShip, EasyPost, 3PL push).
	Providers map[string]app.StatusProvider
	// TextSenders write WhatsApp (Meta's Cloud API) and SMS (Twilio);
	// TextWebhooks read their reports and the customers' replies.
	TextSenders  map[app.Channel]app.TextSender
	TextWebhooks map[app.Channel]app.TextWebhookReader
	// Metrics are /metrics: push latency, emails, queues, stalled parcels.
	Metrics *metrics.Prometheus
	Server  *server.Server
}

// Build opens the database and Redis and assembles everything.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (a *App, err error) {
	if cfg.DevEncryptionKey {
		log.Warn("WAYBILL_ENCRYPTION_KEY is not set: using the PUBLIC development key. Tokens are NOT protected. " +
			"Set WAYBILL_ENCRYPTION_KEY (openssl rand -base64 32) before real shops install.")
	}
	clock := opts.Clock
	if clock == nil {
		clock = app.SystemClock{}
	}
	// A job's id, type and shop reach every line its handler logs.
	log = slog.New(app.ContextLogHandler(log.Handler()))
	sealer, err := seal.New(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	a = &App{Config: cfg, Log: log, Clock: clock}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.Close())
		}
	}()
	if a.DB, err = store.Open(ctx, cfg.DatabaseURL, sealer, clock); err != nil {
		return nil, err
	}
	if a.redisOpts, err = redis.ParseURL(cfg.RedisURL); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	a.RDB = a.redisOpts.NewClient()
	a.Redis = redis.New(a.RDB, log)
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := a.Redis.Ping(pingCtx); err != nil {
		return nil, fmt.Errorf("REDIS_URL: Redis is not reachable; start a local one with `redis-server --daemonize yes --save \"\" --appendonly no`: %w", err)
	}
	detector, err := carrier.New()
	if err != nil {
		return nil, err
	}
	if a.Emails, err = email.New(); err != nil {
		return nil, err
	}
	a.Mailer = smtp.Log{Logger: log}
	if cfg.SMTPURL != "" {
		mailer, err := smtp.New(cfg.SMTPURL, cfg.AppURL)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		// One connection now, so a wrong SMTP_URL shows in the logs at
		// start rather than in the first failed email. A warning only:
		// a mail server that is down must not stop Waybill from taking
		// webhooks (see smtp.StartupCheck).
		mailer.StartupCheck(ctx, log)
		a.Mailer = mailer
	}
	a.Queue = jobs.NewClient(a.RDB)
	a.Unsubscribes = app.NewUnsubscribes(cfg.ShopifyAPISecret, cfg.AppURL)
	a.TrackingLinks = app.NewTrackingLinks(cfg.ShopifyAPISecret)
	a.ShortLinks = app.NewShortLinks(cfg.ShopifyAPISecret, cfg.AppURL)
	a.Shopify = shopify.New(shopify.Config{
		APIKey: cfg.ShopifyAPIKey, APISecret: cfg.ShopifyAPISecret, Scopes: cfg.Scopes,
		AppURL: cfg.AppURL, AdminOrigin: cfg.ShopifyAdminOrigin,
	}, a.DB, a.Redis, clock, log, nil)
	a.Providers = statusfeed.Providers(statusfeed.Config{SeventeenTrackURL: cfg.SeventeenTrackURL, AfterShipURL: cfg.AfterShipURL,
		EasyPostURL: cfg.EasyPostURL})
	wa := whatsapp.New(whatsapp.Options{BaseURL: cfg.WhatsAppURL})
	sms := twilio.New(twilio.Options{BaseURL: cfg.TwilioURL})
	a.TextSenders = map[app.Channel]app.TextSender{app.ChannelWhatsApp: wa, app.ChannelSMS: sms}
	a.TextWebhooks = map[app.Channel]app.TextWebhookReader{app.ChannelWhatsApp: wa, app.ChannelSMS: sms}
	a.Metrics = metrics.New(jobs.NewQueueCollector(a.RDB), metrics.NewStalled(a.DB.CountStalledShipments, clock, 30*time.Second))
	a.Shipping = &shipping.Service{Shops: a.DB, Orders: a.DB, Shipments: a.DB, Status: a.DB, Tracking: a.DB, Lister: a.DB,
		Providers: a.Providers, RateLimiter: a.Redis, Notifications: a.DB, Metrics: a.Metrics, Insights: a.DB,
		Admin: a.Shopify, Dispatch: a.Queue, Limiter: a.Redis, Locker: a.Redis, Carriers: detector,
		Emails: a.Emails, Mailer: a.Mailer, Unsubscribes: a.Unsubscribes, TrackingLinks: a.TrackingLinks,
		ShortLinks: app.NewShortLinks(cfg.ShopifyAPISecret, cfg.AppURL), AppURL: cfg.AppURL,
		Texts: a.DB, TextSenders: a.TextSenders, Templates: wa, TemplateDefinitions: whatsapp.Definitions, TemplateParams: whatsapp.Params,
		AppAPIKey: cfg.ShopifyAPIKey, PushesPerShop: opts.PushesPerShop,
		InsightsSnapshotFrom: cfg.InsightsSnapshotFrom, Clock: clock, Log: log}
	a.Webhooks = &webhooks.Processor{Shops: a.DB, Orders: a.DB, Privacy: a.DB, WebhookLog: a.DB, Shipping: a.Shipping,
		Admin: a.Shopify, AppURL: cfg.AppURL, Clock: clock, Log: log}
	a.Server = a.server()
	return a, nil
}

// Close releases Redis (the queue client's too) and the database.
func (a *App) Close() error {
	var errs []error
	if a.RDB != nil {
		errs = append(errs, a.RDB.Close())
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	return errors.Join(errs...)
}

// JobDeps are what the worker's handlers call.
func (a *App) JobDeps() jobs.Deps {
	return jobs.Deps{Shipping: a.Shipping, Webhooks: a.Webhooks, Shops: a.DB, Admin: a.Shopify, WebhookLog: a.DB,
		Clock: a.Clock, Log: a.Log}
}

func (a *App) server() *server.Server {
	return server.New(server.Deps{
		Config:          server.Config{APIKey: a.Config.ShopifyAPIKey, APISecret: a.Config.ShopifyAPISecret, AppURL: a.Config.AppURL},
		Shops:           a.DB,
		Auth:            a.Shopify,
		States:          a.Redis,
		Dispatcher:      a.Queue,
		SessionTokens:   a.Shopify,
		APIKeys:         a.DB,
		Shipping:        a.Shipping,
		Shipments:       a.DB,
		Lister:          a.DB,
		Insights:        a.DB,
		Dashboard:       a.DB,
		Notifications:   a.DB,
		Emails:          a.Emails,
		Unsubscribes:    a.Unsubscribes,
		Status:          a.DB,
		Tracking:        a.DB,
		StatusProviders: a.Providers,
		Orders:          a.DB,
		Privacy:         a.DB,
		RateLimiter:     a.Redis,
		TrackingLinks:   a.TrackingLinks,
		Texts:           a.DB,
		TextReaders:     a.TextWebhooks,
		ShortLinks:      a.ShortLinks,
		Webhooks:        a.webhookIntake(),
		Ready:           a.readyChecks(),
		Registry:        a.Metrics.Registry,
		Frontend:        frontend.Handler(frameAncestors, a.Config.ShopifyAPIKey),
		Clock:           a.Clock,
		Log:             a.Log,
	})
}

// webhookIntake acknowledges a webhook once its task is in Redis and, with
// REDIS_WAIT_REPLICAS, on that many replicas too (WAIT on the node of the
// critical queue's keys, whose Cluster hash tag is the queue's name).
func (a *App) webhookIntake() *webhooks.Intake {
	in := webhooks.New(a.Shopify, a.DB, a.Queue, a.Log)
	if n := a.Config.RedisWaitReplicas; n > 0 {
		in.WaitForReplicas(a.Redis.Replicas(n, a.Config.RedisWaitTimeout, "{"+jobs.QueueCritical+"}"))
	}
	return in
}

// readyChecks are /readyz's: the database and Redis, and — advisory, shown
// but never making /readyz fail — the mail server when SMTP_URL is set.
func (a *App) readyChecks() []server.Check {
	checks := []server.Check{{Name: "database", Check: a.DB.Ping}, {Name: "redis", Check: a.Redis.Ping}}
	if mailer, ok := a.Mailer.(*smtp.SMTP); ok {
		checks = append(checks, server.Check{Name: "smtp", Check: mailer.ReadyCheck(a.Log), Advisory: true})
	}
	return checks
}

// frameAncestors lets the shop's admin (and Shopify's unified admin) embed
// the app, and nobody else.
func frameAncestors(r *http.Request) string {
	if shop, err := app.ValidateShopDomain(r.URL.Query().Get("shop")); err == nil {
		return "https://" + shop + " https://admin.shopify.com"
	}
	return "https://admin.shopify.com"
}

// ServeMetrics serves /metrics alone on ln until ctx ends: `waybill worker
// --metrics-port`, whose pushes and emails a web process does not see.
func (a *App) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			a.Log.Warn("metrics shutdown", "err", err)
		}
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// RunWorker processes tasks until ctx ends (see jobs.Run).
func (a *App) RunWorker(ctx context.Context, opts jobs.WorkerOptions) error {
	return jobs.Run(ctx, a.redisOpts.AsynqConnOpt(), a.JobDeps(), opts)
}

// Serve runs the HTTP server on ln — and, when worker is set, the worker and
// scheduler with those options — until ctx ends, then stops gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener, worker *jobs.WorkerOptions) error {
	httpSrv := a.Server.HTTPServer(ln.Addr().String())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workerDone := make(chan error, 1)
	if worker != nil {
		go func() { workerDone <- a.RunWorker(ctx, *worker) }()
	} else {
		workerDone <- nil
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	a.Log.Info("waybill serving", "addr", ln.Addr().String(), "app_url", a.Config.AppURL, "worker", worker != nil)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 20*time.Second)
	defer done()
	if shutdownErr := httpSrv.Shutdown(shutdownCtx); shutdownErr != nil {
		a.Log.Warn("http shutdown", "err", shutdownErr)
	}
	cancel()
	if werr := <-workerDone; werr != nil && err == nil {
		err = werr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
