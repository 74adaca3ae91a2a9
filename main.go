// Command waybill keeps a Shopify store's fulfillments in sync with tracking
// numbers from suppliers, 3PLs and CSV files, and tells customers where their
// order is. This file is the wiring: configuration in, adapters built, the
// web server, worker and scheduler run. See README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/mail"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/server"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/tracking"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/frontend"
	"github.com/waybill-app/waybill/jobs"
	"github.com/waybill-app/waybill/webhooks"
)

const usage = `Usage: waybill <command> [flags]

Commands:
  serve      web server, plus worker and scheduler unless --worker=false
  worker     the background worker alone
  migrate    apply database migrations and exit
  devstore   run the fake Shopify store for local demos
  apikey     create a supplier API key: waybill apikey create --shop SHOP [--name NAME]
  import     import tracking numbers from a CSV file: waybill import --shop SHOP FILE

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes one command and returns the exit code. Errors are one line on
// stderr; logs are JSON on stderr; stdout carries only a command's result.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCommand(ctx, args[1:], log)
	case "worker":
		err = workerCommand(ctx, args[1:], log)
	case "migrate":
		err = migrateCommand(ctx, log)
	case "devstore":
		err = devstoreCommand(ctx, args[1:], getenv, log, stdout)
	case "apikey":
		err = apikeyCommand(ctx, args[1:], stdout)
	case "import":
		var rejected bool
		rejected, err = importCommand(ctx, args[1:], log, stdout)
		if err == nil && rejected {
			return 3 // the file was imported, but some rows were rejected (see the report)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "waybill: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintln(stderr, "waybill:", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

// application holds the built adapters for serve and worker.
type application struct {
	cfg    config.Config
	log    *slog.Logger
	clock  app.Clock
	db     *store.DB
	redis  *redis.Client
	rdb    *goredis.Client
	shopfy *shopify.Service
	jobs   *jobs.Client
	// pushesPerShop bounds each shop's concurrent pushes to Shopify.
	pushesPerShop int
	tracking      *tracking.Service
	emails        *email.Renderer
	mailer        app.Mailer
	unsubscribes  app.Unsubscribes
}

// build opens the database and Redis and wires the adapters.
func build(ctx context.Context, cfg config.Config, log *slog.Logger) (*application, error) {
	if cfg.DevEncryptionKey {
		log.Warn("WAYBILL_ENCRYPTION_KEY is not set: using the PUBLIC development key. Tokens are NOT protected. " +
			"Set WAYBILL_ENCRYPTION_KEY (openssl rand -base64 32) before real shops install.")
	}
	sealer, err := seal.New(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	clock := app.SystemClock{}
	db, err := store.Open(ctx, cfg.DatabaseURL, sealer, clock)
	if err != nil {
		return nil, err
	}
	redisClient, rdb, err := redis.Open(cfg.RedisURL)
	if err != nil {
		db.Close()
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := redisClient.Ping(pingCtx); err != nil {
		db.Close()
		rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: Redis is not reachable; start a local one with `redis-server --daemonize yes --save \"\" --appendonly no`: %w", err)
	}
	detector, err := carrier.New()
	if err != nil {
		return nil, err
	}
	a := &application{cfg: cfg, log: log, clock: clock, db: db, redis: redisClient, rdb: rdb, jobs: jobs.NewClient(rdb)}
	a.tracking = &tracking.Service{Orders: db, Shipments: db, Dispatch: a.jobs, Carriers: detector, Log: log}
	if a.emails, err = email.New(); err != nil {
		return nil, err
	}
	a.unsubscribes = app.NewUnsubscribes(cfg.ShopifyAPISecret, cfg.AppURL)
	a.mailer = mail.Log{Logger: log}
	if cfg.SMTPURL != "" {
		smtp, err := mail.New(cfg.SMTPURL, cfg.AppURL)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		a.mailer = smtp
	}
	a.shopfy = shopify.New(shopify.Config{
		APIKey: cfg.ShopifyAPIKey, APISecret: cfg.ShopifyAPISecret, Scopes: cfg.Scopes,
		AppURL: cfg.AppURL, AdminOrigin: cfg.ShopifyAdminOrigin,
	}, db, redisClient, clock, log, nil)
	return a, nil
}

func (a *application) close() {
	a.jobs.Close()
	a.rdb.Close()
	a.db.Close()
}

func (a *application) jobDeps() jobs.Deps {
	return jobs.Deps{Shops: a.db, Orders: a.db, Shipments: a.db, Privacy: a.db, Webhooks: a.db,
		Admin: a.shopfy, Limiter: a.redis, Locker: a.redis, Dispatch: a.jobs, PushesPerShop: a.pushesPerShop,
		Notifications: a.db, Mailer: a.mailer, Renderer: a.emails, Unsubscribes: a.unsubscribes,
		TrackingLinks: app.NewTrackingLinks(a.cfg.ShopifyAPISecret),
		AppURL:        a.cfg.AppURL, Clock: a.clock, Log: a.log}
}

// handler builds the HTTP server.
func (a *application) handler() *server.Server {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobs.NewQueueCollector(a.rdb))
	return server.New(server.Deps{
		Config:          server.Config{APIKey: a.cfg.ShopifyAPIKey, APISecret: a.cfg.ShopifyAPISecret, AppURL: a.cfg.AppURL},
		Shops:           a.db,
		Auth:            a.shopfy,
		States:          a.redis,
		Dispatcher:      a.jobs,
		Ready:           []server.Check{{Name: "database", Check: a.db.Ping}, {Name: "redis", Check: a.redis.Ping}},
		Registry:        registry,
		Webhooks:        webhooks.New(a.shopfy, a.db, a.jobs, a.log),
		APIKeys:         a.db,
		Tracking:        a.tracking,
		Lister:          a.db,
		Dashboard:       a.db,
		ShipmentStore:   a.db,
		SessionExchange: a.shopfy,
		Notifications:   a.db,
		Emails:          a.emails,
		Mailer:          a.mailer,
		Unsubscribes:    a.unsubscribes,
		CustomerEmails:  a.db,
		StatusSources:   a.db,
		StatusStore:     a.db,
		StatusIntake:    &tracking.StatusIntake{Status: a.db, Dispatch: a.jobs, Log: a.log},
		Orders:          a.db,
		RateLimiter:     a.redis,
		TrackingLinks:   app.NewTrackingLinks(a.cfg.ShopifyAPISecret),
		Frontend:        frontend.Handler(frameAncestors, a.cfg.ShopifyAPIKey),
		Clock:           a.clock,
		Log:             a.log,
	})
}

// frameAncestors lets the shop's admin (and Shopify's unified admin) embed
// the app, and nobody else.
func frameAncestors(r *http.Request) string {
	if shop, err := app.ValidateShopDomain(r.URL.Query().Get("shop")); err == nil {
		return "https://" + shop + " https://admin.shopify.com"
	}
	return "https://admin.shopify.com"
}

// serve runs the HTTP server on ln (and the worker and scheduler when asked)
// until ctx ends, then stops gracefully.
func (a *application) serve(ctx context.Context, ln net.Listener, withWorker bool, concurrency int) error {
	httpSrv := a.handler().HTTPServer(ln.Addr().String())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workerDone := make(chan error, 1)
	if withWorker {
		go func() {
			workerDone <- jobs.Run(ctx, a.rdb, a.jobDeps(), jobs.WorkerOptions{Concurrency: concurrency, Scheduler: true})
		}()
	} else {
		workerDone <- nil
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	a.log.Info("waybill serving", "addr", ln.Addr().String(), "app_url", a.cfg.AppURL, "worker", withWorker)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 20*time.Second)
	defer done()
	if shutdownErr := httpSrv.Shutdown(shutdownCtx); shutdownErr != nil {
		a.log.Warn("http shutdown", "err", shutdownErr)
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

// start loads the configuration and builds the application for serve and
// worker.
func start(ctx context.Context, log *slog.Logger, pushesPerShop int) (*application, error) {
	cfg, err := config.Load(config.Requirements{ShopifyCredentials: true})
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.pushesPerShop = pushesPerShop
	return a, nil
}

func serveCommand(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	withWorker := fs.Bool("worker", true, "also run the background worker and scheduler in this process")
	migrate := fs.Bool("migrate", true, "apply database migrations at start")
	concurrency := fs.Int("concurrency", 10, "worker concurrency")
	pushes := fs.Int("pushes-per-shop", jobs.DefaultPushesPerShop, "most pushes to Shopify running at once for one shop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := start(ctx, log, *pushes)
	if err != nil {
		return err
	}
	defer a.close()
	if *migrate {
		n, err := a.db.Migrate(ctx)
		if err != nil {
			return err
		}
		log.Info("database migrated", "engine", a.db.Engine(), "applied", n)
	} else if err := a.db.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("PORT %s: %w", a.cfg.Port, err)
	}
	return a.serve(ctx, ln, *withWorker, *concurrency)
}

func workerCommand(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	concurrency := fs.Int("concurrency", 10, "tasks processed at once")
	scheduler := fs.Bool("scheduler", false, "also run the periodic scheduler (serve runs one already)")
	pushes := fs.Int("pushes-per-shop", jobs.DefaultPushesPerShop, "most pushes to Shopify running at once for one shop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := start(ctx, log, *pushes)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.db.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	return jobs.Run(ctx, a.rdb, a.jobDeps(), jobs.WorkerOptions{Concurrency: *concurrency, Scheduler: *scheduler})
}

// openStore opens the database alone, for commands that need nothing else.
func openStore(ctx context.Context) (*store.DB, error) {
	cfg, err := config.Load(config.Requirements{})
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL, sealer, app.SystemClock{})
}

func migrateCommand(ctx context.Context, log *slog.Logger) error {
	db, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	current, _, _ := db.SchemaVersions(ctx)
	log.Info("database migrated", "engine", db.Engine(), "applied", n, "version", current)
	return nil
}

func apikeyCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: waybill apikey create --shop SHOP [--name NAME]")
	}
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	shopFlag := fs.String("shop", "", "the installed shop, e.g. acme.myshopify.com")
	name := fs.String("name", "", "who the key is for, e.g. the supplier's name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	shop, err := app.ValidateShopDomain(*shopFlag)
	if err != nil {
		return fmt.Errorf("--shop: %s", app.ErrorMessageOf(err))
	}
	db, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	key, meta, err := db.CreateAPIKey(ctx, shop, *name)
	if err != nil {
		return errors.New(app.ErrorMessageOf(err))
	}
	fmt.Fprintf(stdout, "Created API key %s… for %s (%s). It is shown once; store it now:\n%s\n", meta.Prefix, shop, displayName(meta.Name), key)
	return nil
}

func displayName(n string) string {
	if n == "" {
		return "unnamed"
	}
	return n
}

func devstoreCommand(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stdout io.Writer) error {
	fs := flag.NewFlagSet("devstore", flag.ContinueOnError)
	port := fs.Int("port", 9292, "port for the fake store")
	appURL := fs.String("app-url", "", "where Waybill runs (default: SHOPIFY_APP_URL, else http://localhost:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, secret := getenv("SHOPIFY_API_KEY"), getenv("SHOPIFY_API_SECRET")
	if key == "" || secret == "" {
		return errors.New("devstore needs SHOPIFY_API_KEY and SHOPIFY_API_SECRET: the same values Waybill runs with")
	}
	if *appURL == "" {
		*appURL = getenv("SHOPIFY_APP_URL")
	}
	if *appURL == "" {
		*appURL = "http://localhost:8080"
	}
	fake := shopifyfake.New(shopifyfake.Options{APIKey: key, APISecret: secret, DeliverWebhooks: true})
	fake.SeedDemo()
	fake.SetDevstoreApp(*appURL)
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		return fmt.Errorf("--port %d: %w", *port, err)
	}
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	origin := fmt.Sprintf("http://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
	fmt.Fprintf(stdout, "Fake Shopify store %s at %s\nRun Waybill with SHOPIFY_ADMIN_ORIGIN=%s, then open %s/ and press Install.\n",
		shopifyfake.DemoShop, origin, origin, origin)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("devstore stopped")
	return nil
}

// importCommand is `waybill import --shop SHOP FILE`: the same import as the
// admin's upload. It prints one line per row and a summary, and reports
// whether any row was rejected.
func importCommand(ctx context.Context, args []string, log *slog.Logger, stdout io.Writer) (bool, error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	shopFlag := fs.String("shop", "", "the installed shop, e.g. acme.myshopify.com")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if fs.NArg() != 1 {
		return false, errors.New("usage: waybill import --shop SHOP FILE (columns: order, tracking_number, carrier, tracking_url, sku, quantity)")
	}
	shopDomain, err := app.ValidateShopDomain(*shopFlag)
	if err != nil {
		return false, fmt.Errorf("--shop: %s", app.ErrorMessageOf(err))
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return false, fmt.Errorf("cannot open %s: %w", fs.Arg(0), errors.Unwrap(err))
	}
	defer f.Close()
	cfg, err := config.Load(config.Requirements{})
	if err != nil {
		return false, err
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return false, err
	}
	defer a.close()
	if err := a.db.CheckSchemaCurrent(ctx); err != nil {
		return false, err
	}
	shop, err := a.db.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return false, errors.New(app.ErrorMessageOf(err))
	}
	report, err := a.tracking.ImportCSV(ctx, shop, app.SourceCSV, f)
	if err != nil {
		return false, errors.New(app.ErrorMessageOf(err))
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	fmt.Fprintln(w, "line\tstatus\torder\ttracking_number\tshipment_id\tmessage")
	for _, r := range report.Rows {
		msg := r.Error
		if msg == "" {
			msg = r.Warning
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Line, r.Status, r.Order, r.Tracking, r.ShipmentID, msg)
	}
	if len(report.Ignored) > 0 {
		fmt.Fprintf(w, "ignored columns: %s\n", strings.Join(report.Ignored, ", "))
	}
	fmt.Fprintf(w, "%d accepted, %d duplicate, %d rejected\n", report.Accepted, report.Duplicate, report.Rejected)
	return report.Rejected > 0, nil
}
