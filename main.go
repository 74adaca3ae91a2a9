// Command waybill keeps a Shopify store's fulfillments in sync with tracking
// numbers from suppliers, 3PLs and CSV files, and tells customers where their
// order is. This file is the wiring: configuration in, adapters built, the
// web server, worker and scheduler run. See README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	// Shops' time zones (business days, the digest's morning, dates in
	// emails) must load on an image without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/jobs"
)

const usage = `Usage: waybill <command> [flags]

Commands:
  serve      web server, plus worker and scheduler unless --worker=false
  worker     the background worker alone
  migrate    apply database migrations and exit
  apikey     create a supplier API key: waybill apikey create --shop SHOP [--name NAME]
  import     import tracking numbers from a CSV file: waybill import --shop SHOP FILE

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit code. Errors are one line on
// stderr; logs are JSON on stderr; stdout carries only a command's result.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// Writes to stderr have no one left to report a failure to.
	if len(args) == 0 {
		_, _ = fmt.Fprint(stderr, usage)
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
	case "apikey":
		err = apikeyCommand(ctx, args[1:], stdout)
	case "import":
		var rejected bool
		rejected, err = importCommand(ctx, args[1:], log, stdout)
		if err == nil && rejected {
			return 3 // the file was imported, but some rows were rejected (see the report)
		}
	case "help", "-h", "--help":
		if _, err := fmt.Fprint(stdout, usage); err != nil {
			return 1
		}
		return 0
	default:
		_, _ = fmt.Fprintf(stderr, "waybill: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		_, _ = fmt.Fprintln(stderr, "waybill:", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

// start loads the configuration and assembles Waybill for serve and worker.
func start(ctx context.Context, log *slog.Logger, pushesPerShop int) (*wiring.App, error) {
	cfg, err := config.Load(config.Requirements{ShopifyCredentials: true})
	if err != nil {
		return nil, err
	}
	return wiring.Build(ctx, cfg, log, wiring.Options{PushesPerShop: pushesPerShop})
}

// workerFlags are the flags serve and worker share.
func workerFlags(fs *flag.FlagSet) (concurrency, pushesPerShop *int) {
	concurrency = fs.Int("concurrency", 10, "tasks processed at once")
	pushesPerShop = fs.Int("pushes-per-shop", shipping.DefaultPushesPerShop, "most pushes to Shopify running at once for one shop")
	return concurrency, pushesPerShop
}

func serveCommand(ctx context.Context, args []string, log *slog.Logger) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	withWorker := fs.Bool("worker", true, "also run the background worker and scheduler in this process")
	migrate := fs.Bool("migrate", true, "apply database migrations at start")
	concurrency, pushes := workerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := start(ctx, log, *pushes)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	if *migrate {
		n, err := a.DB.Migrate(ctx)
		if err != nil {
			return err
		}
		log.Info("database migrated", "engine", a.DB.Engine(), "applied", n)
	} else if err := a.DB.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr())
	if err != nil {
		return fmt.Errorf("PORT %s: %w", a.Config.Port, err)
	}
	var worker *jobs.WorkerOptions
	if *withWorker {
		worker = &jobs.WorkerOptions{Concurrency: *concurrency, Scheduler: true}
	}
	return a.Serve(ctx, ln, worker)
}

func workerCommand(ctx context.Context, args []string, log *slog.Logger) (err error) {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	scheduler := fs.Bool("scheduler", false, "also run the periodic scheduler (serve runs one already)")
	metricsPort := fs.Int("metrics-port", 0, "serve /metrics (this worker's pushes and emails, the queues) on this port; 0: none")
	concurrency, pushes := workerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := start(ctx, log, *pushes)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	if err := a.DB.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	opts := jobs.WorkerOptions{Concurrency: *concurrency, Scheduler: *scheduler}
	if *metricsPort <= 0 {
		return a.RunWorker(ctx, opts)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", *metricsPort))
	if err != nil {
		return fmt.Errorf("--metrics-port %d: %w", *metricsPort, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.ServeMetrics(ctx, ln) }()
	err = a.RunWorker(ctx, opts)
	cancel()
	return errors.Join(err, <-served)
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

func migrateCommand(ctx context.Context, log *slog.Logger) (err error) {
	db, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	current, _, err := db.SchemaVersions(ctx)
	if err != nil {
		return err
	}
	log.Info("database migrated", "engine", db.Engine(), "applied", n, "version", current)
	return nil
}

func apikeyCommand(ctx context.Context, args []string, stdout io.Writer) (err error) {
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
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := db.CheckSchemaCurrent(ctx); err != nil {
		return err
	}
	key, meta, err := db.CreateAPIKey(ctx, shop, *name)
	if err != nil {
		return errors.New(app.ErrorMessageOf(err))
	}
	// The key is shown once: a failed write must say so.
	_, err = fmt.Fprintf(stdout, "Created API key %s… for %s (%s). It is shown once; store it now:\n%s\n", meta.Prefix, shop, displayName(meta.Name), key)
	return err
}

func displayName(n string) string {
	if n == "" {
		return "unnamed"
	}
	return n
}

// importCommand is `waybill import --shop SHOP FILE`: the same import as the
// admin's upload. It prints one line per row and a summary, and reports
// whether any row was rejected.
func importCommand(ctx context.Context, args []string, log *slog.Logger, stdout io.Writer) (rejected bool, err error) {
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
	defer func() { err = errors.Join(err, f.Close()) }()
	cfg, err := config.Load(config.Requirements{})
	if err != nil {
		return false, err
	}
	a, err := wiring.Build(ctx, cfg, log, wiring.Options{})
	if err != nil {
		return false, err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	if err := a.DB.CheckSchemaCurrent(ctx); err != nil {
		return false, err
	}
	shop, err := a.DB.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return false, errors.New(app.ErrorMessageOf(err))
	}
	report, err := a.Shipping.ImportCSV(ctx, shop, app.SourceCSV, f)
	if err != nil {
		return false, errors.New(app.ErrorMessageOf(err))
	}
	var w bytes.Buffer
	fmt.Fprintln(&w, "line\tstatus\torder\ttracking_number\tshipment_id\tmessage")
	for _, r := range report.Rows {
		msg := r.Error
		if msg == "" {
			msg = r.Warning
		}
		fmt.Fprintf(&w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Line, r.Status, r.Order, r.Tracking, r.ShipmentID, msg)
	}
	if len(report.Ignored) > 0 {
		fmt.Fprintf(&w, "ignored columns: %s\n", strings.Join(report.Ignored, ", "))
	}
	fmt.Fprintf(&w, "%d accepted, %d duplicate, %d rejected\n", report.Accepted, report.Duplicate, report.Rejected)
	if _, err := stdout.Write(w.Bytes()); err != nil {
		return false, err
	}
	return report.Rejected > 0, nil
}
