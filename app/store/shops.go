package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type shopRow struct {
	ID                    string
	Domain                string
	Name                  string
	Scopes                string
	AccessTokenSealed     string
	AccessTokenExpiresAt  *time.Time
	RefreshTokenSealed    string
	RefreshTokenExpiresAt *time.Time
	InstalledAt           time.Time
	UninstalledAt         *time.Time
	NeedsReauthAt         *time.Time
	NeedsReauthReason     string
	CustomerEmails        string
	Email                 string
	Timezone              string
	Country               string
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

func (shopRow) TableName() string { return "shops" }

// associatedData binds a sealed token to its shop and field: a ciphertext
// copied to another shop's row, or from refresh to access, does not open.
func associatedData(domain, field string) []byte { return []byte(domain + "\x00" + field) }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func (db *DB) sealToken(domain string, tok app.OfflineToken) (access, refresh string, err error) {
	if access, err = db.sealer.Seal([]byte(tok.AccessToken), associatedData(domain, "access_token")); err != nil {
		return "", "", err
	}
	if tok.RefreshToken != "" {
		if refresh, err = db.sealer.Seal([]byte(tok.RefreshToken), associatedData(domain, "refresh_token")); err != nil {
			return "", "", err
		}
	}
	return access, refresh, nil
}

func (db *DB) toShop(r shopRow) (*app.Shop, error) {
	s := &app.Shop{
		ID: r.ID, Domain: r.Domain, Name: r.Name, Email: r.Email, Timezone: r.Timezone, Country: r.Country,
		InstalledAt: r.InstalledAt.UTC(), UninstalledAt: r.UninstalledAt, NeedsReauthAt: r.NeedsReauthAt,
		NeedsReauthReason: r.NeedsReauthReason, CustomerEmails: r.CustomerEmails, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Token: app.OfflineToken{
			Scopes:                r.Scopes,
			AccessTokenExpiresAt:  timeOf(r.AccessTokenExpiresAt),
			RefreshTokenExpiresAt: timeOf(r.RefreshTokenExpiresAt),
		},
	}
	if r.AccessTokenSealed != "" {
		b, err := db.sealer.Open(r.AccessTokenSealed, associatedData(r.Domain, "access_token"))
		if err != nil {
			return nil, err
		}
		s.Token.AccessToken = string(b)
	}
	if r.RefreshTokenSealed != "" {
		b, err := db.sealer.Open(r.RefreshTokenSealed, associatedData(r.Domain, "refresh_token"))
		if err != nil {
			return nil, err
		}
		s.Token.RefreshToken = string(b)
	}
	return s, nil
}

// ShopByDomain implements app.ShopStore.
func (db *DB) ShopByDomain(ctx context.Context, domain string) (*app.Shop, error) {
	var r shopRow
	if err := db.gorm.WithContext(ctx).Where("domain = ?", domain).Take(&r).Error; err != nil {
		return nil, notFound(err, "the shop %s is not installed", domain)
	}
	return db.toShop(r)
}

// ShopByID implements app.ShopStore.
func (db *DB) ShopByID(ctx context.Context, id string) (*app.Shop, error) {
	var r shopRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "no shop %s", id)
	}
	return db.toShop(r)
}

// SaveInstall implements app.ShopStore: an insert for a new shop, an update
// for a reinstall, in one statement so two concurrent callbacks cannot create
// two rows.
func (db *DB) SaveInstall(ctx context.Context, domain string, tok app.OfflineToken) (*app.Shop, error) {
	access, refresh, err := db.sealToken(domain, tok)
	if err != nil {
		return nil, err
	}
	now := db.clock.Now()
	row := shopRow{
		ID: app.NewID(), Domain: domain, Scopes: tok.Scopes,
		AccessTokenSealed: access, AccessTokenExpiresAt: timePtr(tok.AccessTokenExpiresAt),
		RefreshTokenSealed: refresh, RefreshTokenExpiresAt: timePtr(tok.RefreshTokenExpiresAt),
		InstalledAt: now, CustomerEmails: app.CustomerEmailsWaybill, CreatedAt: now, UpdatedAt: now,
	}
	err = db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "domain"}},
		DoUpdates: clause.Assignments(map[string]any{
			"scopes": tok.Scopes, "access_token_sealed": access, "access_token_expires_at": row.AccessTokenExpiresAt,
			"refresh_token_sealed": refresh, "refresh_token_expires_at": row.RefreshTokenExpiresAt,
			"installed_at": now, "uninstalled_at": nil, "needs_reauth_at": nil, "needs_reauth_reason": "",
			"updated_at": now,
		}),
	}).Create(&row).Error
	if err != nil {
		return nil, err
	}
	return db.ShopByDomain(ctx, domain)
}

// UpdateToken implements app.ShopStore.
func (db *DB) UpdateToken(ctx context.Context, domain string, tok app.OfflineToken) error {
	access, refresh, err := db.sealToken(domain, tok)
	if err != nil {
		return err
	}
	updates := map[string]any{
		"access_token_sealed": access, "access_token_expires_at": timePtr(tok.AccessTokenExpiresAt),
		"refresh_token_sealed": refresh, "refresh_token_expires_at": timePtr(tok.RefreshTokenExpiresAt),
		"updated_at": db.clock.Now(),
	}
	if tok.Scopes != "" {
		updates["scopes"] = tok.Scopes
	}
	return db.updateShop(ctx, domain, updates)
}

// MarkNeedsReauth implements app.ShopStore. The dead tokens are destroyed.
func (db *DB) MarkNeedsReauth(ctx context.Context, domain, reason string) error {
	now := db.clock.Now()
	return db.updateShop(ctx, domain, map[string]any{
		"needs_reauth_at": now, "needs_reauth_reason": reason,
		"access_token_sealed": "", "access_token_expires_at": nil,
		"refresh_token_sealed": "", "refresh_token_expires_at": nil,
		"updated_at": now,
	})
}

func (db *DB) updateShop(ctx context.Context, domain string, updates map[string]any) error {
	res := db.gorm.WithContext(ctx).Model(&shopRow{}).Where("domain = ?", domain).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ErrNotFound, "the shop %s is not installed", domain)
	}
	return nil
}

// ShopsWithTokensExpiringBefore implements app.ShopStore.
func (db *DB) ShopsWithTokensExpiringBefore(ctx context.Context, t time.Time) ([]string, error) {
	var domains []string
	err := db.gorm.WithContext(ctx).Model(&shopRow{}).
		Where("access_token_expires_at IS NOT NULL AND access_token_expires_at < ?", t.UTC()).
		Where("uninstalled_at IS NULL AND needs_reauth_at IS NULL AND refresh_token_sealed <> ''").
		Order("access_token_expires_at").Pluck("domain", &domains).Error
	return domains, err
}

var _ app.ShopStore = (*DB)(nil)

// MarkUninstalled implements app.ShopStore. The tokens are destroyed:
// Shopify has revoked them anyway.
func (db *DB) MarkUninstalled(ctx context.Context, domain string) error {
	now := db.clock.Now()
	return db.updateShop(ctx, domain, map[string]any{
		"uninstalled_at": gorm.Expr("COALESCE(uninstalled_at, ?)", now), "access_token_sealed": "", "access_token_expires_at": nil,
		"refresh_token_sealed": "", "refresh_token_expires_at": nil, "updated_at": now,
	})
}

// SetCustomerEmails chooses who emails the shop's customers about shipments.
func (db *DB) SetCustomerEmails(ctx context.Context, domain, who string) error {
	if who != app.CustomerEmailsWaybill && who != app.CustomerEmailsShopify {
		return app.Errorf(app.ErrInvalid, "customer emails must be %q or %q", app.CustomerEmailsWaybill, app.CustomerEmailsShopify)
	}
	return db.updateShop(ctx, domain, map[string]any{"customer_emails": who, "updated_at": db.clock.Now()})
}

// UpdateShopProfile implements app.ShopStore.
func (db *DB) UpdateShopProfile(ctx context.Context, domain string, p app.ShopProfile) error {
	return db.updateShop(ctx, domain, map[string]any{"name": p.Name, "email": p.Email, "timezone": p.Timezone,
		"country": strings.ToUpper(p.Country), "updated_at": db.clock.Now()})
}
