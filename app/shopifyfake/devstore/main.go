// Command devstore runs the fake Shopify store with a seeded demo shop, for
// local demos and the browser test: `make devstore`. It is a program of its
// own so that the fake (and its GraphQL parser) stays out of the waybill
// binary.
package main

import (
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
	"syscall"
	"time"

	"github.com/waybill-app/waybill/app/shopifyfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "devstore:", err)
		}
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
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
	fake := shopifyfake.New(shopifyfake.Options{APIKey: key, APISecret: secret, DeliverWebhooks: true,
		Log: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	fake.SeedDemo()
	fake.SetDevstoreApp(*appURL)
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		return fmt.Errorf("--port %d: %w", *port, err)
	}
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	origin := fmt.Sprintf("http://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
	if _, err := fmt.Fprintf(stdout, "Fake Shopify store %s at %s\nRun Waybill with SHOPIFY_ADMIN_ORIGIN=%s, then open %s/ and press Install.\n",
		shopifyfake.DemoShop, origin, origin, origin); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx) // Serve returns ErrServerClosed either way
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
