package app

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// shopDomainPattern is the only shape of shop domain Waybill accepts (see the README's HTTP surface).
var shopDomainPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)

// ValidateShopDomain returns the normalised shop domain or an ErrInvalid
// error naming the problem. It accepts only `name.myshopify.com`, so a crafted
// value like `x.myshopify.com.evil.com` can never become an outgoing call.
func ValidateShopDomain(raw string) (string, error) {
	shop := strings.ToLower(strings.TrimSpace(raw))
	if shop == "" {
		return "", Errorf(ErrInvalid, "the shop parameter is missing: expected a domain like your-store.myshopify.com")
	}
	if len(shop) > 255 || !shopDomainPattern.MatchString(shop) {
		return "", Errorf(ErrInvalid, "%q is not a Shopify shop domain: expected a domain like your-store.myshopify.com", truncate(raw, 80))
	}
	return shop, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// OfflineToken is a shop's offline Admin API credential. Shopify's expiring
// offline tokens last an hour and come with a refresh token (90 days); a zero
// AccessTokenExpiresAt means a legacy non-expiring token.
type OfflineToken struct {
	AccessToken           string
	AccessTokenExpiresAt  time.Time
	RefreshToken          string
	RefreshTokenExpiresAt time.Time
	Scopes                string
}

// Expiring reports whether the token has an expiry at all.
func (t OfflineToken) Expiring() bool { return !t.AccessTokenExpiresAt.IsZero() }

// NeedsRefresh reports whether the access token expires within margin of now.
func (t OfflineToken) NeedsRefresh(now time.Time, margin time.Duration) bool {
	return t.Expiring() && !now.Add(margin).Before(t.AccessTokenExpiresAt)
}

// Shop is an installed (or once installed) store.
type Shop struct {
	ID            string
	Domain        string
	Name          string
	Email         string       // the store's contact address (reply-to of customer emails)
	Token         OfflineToken // clear only in memory; the store seals it at rest
	InstalledAt   time.Time
	UninstalledAt *time.Time
	// NeedsReauthAt is set when Shopify refused a token refresh: background work
	// stops for the shop and the merchant is asked to open the app again.
	NeedsReauthAt     *time.Time
	NeedsReauthReason string
	// CustomerEmails says who tells the customer about a shipment:
	// CustomerEmailsWaybill (branded) or CustomerEmailsShopify. Never both.
	CustomerEmails string
	// Timezone (IANA) and Country (ISO 3166-1 alpha-2) of the store, from
	// its Shopify profile: business days count in its time zone, and a
	// parcel to another country is cross-border.
	Timezone  string
	Country   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location is the store's time zone (UTC when unknown).
func (s *Shop) Location() *time.Location {
	if loc, err := time.LoadLocation(s.Timezone); err == nil && s.Timezone != "" {
		return loc
	}
	return time.UTC
}

// ShopProfile is what Waybill reads of a store from Shopify.
type ShopProfile struct {
	Name     string
	Email    string // contact email
	Timezone string // IANA, "Europe/Madrid"
	Country  string // ISO 3166-1 alpha-2 of the store's address (shopAddress)
}

// Who emails customers about shipments.
const (
	CustomerEmailsWaybill = "waybill"
	CustomerEmailsShopify = "shopify"
)

// DisplayName is the store's name, or its domain's first label.
func (s *Shop) DisplayName() string {
	if s.Name != "" {
		return s.Name
	}
	name, _, _ := strings.Cut(s.Domain, ".")
	return name
}

// Active reports whether Waybill may act for the shop.
func (s *Shop) Active() bool {
	return s.UninstalledAt == nil && s.NeedsReauthAt == nil && s.Token.AccessToken != ""
}

// ShopStore persists shops. Implementations seal tokens at rest.
type ShopStore interface {
	// ShopByDomain returns the shop or an ErrNotFound error.
	ShopByDomain(ctx context.Context, domain string) (*Shop, error)
	// ShopByID returns the shop or an ErrNotFound error.
	ShopByID(ctx context.Context, id string) (*Shop, error)
	// SaveInstall creates or updates the shop with a fresh token, clearing any
	// uninstalled or needs-reauthorisation mark (a reinstall).
	SaveInstall(ctx context.Context, domain string, token OfflineToken) (*Shop, error)
	// UpdateToken replaces the shop's token after a refresh.
	UpdateToken(ctx context.Context, domain string, token OfflineToken) error
	// UpdateShopProfile stores the store's profile from Shopify.
	UpdateShopProfile(ctx context.Context, domain string, p ShopProfile) error
	// MarkUninstalled records app/uninstalled: tokens destroyed, background
	// work for the shop becomes a no-op until a reinstall.
	MarkUninstalled(ctx context.Context, domain string) error
	// SetCustomerEmails chooses who emails the shop's customers about
	// shipments: CustomerEmailsWaybill or CustomerEmailsShopify.
	SetCustomerEmails(ctx context.Context, domain, who string) error
	// MarkNeedsReauth records that Shopify refused the shop's refresh token.
	MarkNeedsReauth(ctx context.Context, domain, reason string) error
	// ShopsWithTokensExpiringBefore lists active shops whose access token
	// expires before t.
	ShopsWithTokensExpiringBefore(ctx context.Context, t time.Time) ([]string, error)
}
