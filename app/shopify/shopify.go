// Package shopify is Waybill's adapter for Shopify: OAuth (authorization code,
// expiring offline tokens and their refresh), and the Admin API over GraphQL
// through go-shopify. It is the only package that talks to Shopify.
package shopify

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/waybill-app/waybill/app"
)

// APIVersion is the Admin API version every call uses. Shopify supports a
// quarterly version for 12 months: move this forward each quarter.
const APIVersion = "2026-10"

// refreshMargin: tokens are refreshed this long before they expire, so a job
// never starts a call with a token that dies mid-flight.
const refreshMargin = 5 * time.Minute

// Config is what the adapter needs from the app's configuration.
type Config struct {
	APIKey    string
	APISecret string
	Scopes    string
	AppURL    string // OAuth redirect = AppURL + /auth/callback
	// AdminOrigin, when set (dev/test), receives every call meant for https://{shop}.
	AdminOrigin string
}

// Service implements app.ShopifyAuth and app.ShopifyAdmin.
type Service struct {
	cfg    Config
	app    goshopify.App
	http   *http.Client // shared; go-shopify clients are built per job on top of it
	shops  app.ShopStore
	locker app.Locker
	clock  app.Clock
	log    *slog.Logger
	// buckets paces Admin API calls per shop.
	buckets buckets
}

// New builds the adapter. httpClient may be nil (NewHTTPClient is used).
func New(cfg Config, shops app.ShopStore, locker app.Locker, clock app.Clock, log *slog.Logger, httpClient *http.Client) *Service {
	if httpClient == nil {
		httpClient = NewHTTPClient(cfg.AdminOrigin)
	}
	return &Service{
		cfg: cfg,
		app: goshopify.App{
			ApiKey:      cfg.APIKey,
			ApiSecret:   cfg.APISecret,
			RedirectUrl: cfg.AppURL + "/auth/callback",
			Scope:       cfg.Scopes,
		},
		http:   httpClient,
		shops:  shops,
		locker: locker,
		clock:  clock,
		log:    log,
	}
}

// newClient builds a go-shopify client for one shop and one job: its
// rate-limit bookkeeping is not safe to share between goroutines.
func (s *Service) newClient(shopDomain, accessToken string) (*goshopify.Client, error) {
	return goshopify.NewClient(s.app, shopDomain, accessToken,
		goshopify.WithVersion(APIVersion),
		goshopify.WithRetry(3),
		goshopify.WithHTTPClient(s.http),
	)
}

var (
	_ app.ShopifyAuth  = (*Service)(nil)
	_ app.ShopifyAdmin = (*Service)(nil)
)

// withTimeout bounds one Shopify round trip set.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 60*time.Second)
}
