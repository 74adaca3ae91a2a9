package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/waybill-app/waybill/app"
)

type apiKeyRow struct {
	ID         string
	ShopID     string
	Name       string
	Prefix     string
	KeyHash    string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (apiKeyRow) TableName() string { return "api_keys" }

// CreateAPIKey implements app.APIKeyStore.
func (db *DB) CreateAPIKey(ctx context.Context, shopDomain, name string) (string, *app.APIKey, error) {
	shop, err := db.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return "", nil, err
	}
	if shop.UninstalledAt != nil {
		return "", nil, app.Errorf(app.ErrConflict, "the shop %s has uninstalled Waybill", shopDomain)
	}
	if msg := app.TextProblem("name", name, app.MaxNameLength); msg != "" {
		return "", nil, app.Errorf(app.ErrInvalid, "%s", msg)
	}
	key := app.NewAPIKeySecret()
	row := apiKeyRow{
		ID: app.NewID(), ShopID: shop.ID, Name: name, Prefix: key[:len(app.APIKeyPrefix)+6],
		KeyHash: app.HashAPIKey(key), CreatedAt: db.clock.Now(),
	}
	if err := db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return "", nil, err
	}
	return key, &app.APIKey{ID: row.ID, ShopID: row.ShopID, Name: row.Name, Prefix: row.Prefix, CreatedAt: row.CreatedAt}, nil
}

// ShopForAPIKey implements app.APIKeyStore.
func (db *DB) ShopForAPIKey(ctx context.Context, key string) (*app.Shop, error) {
	refused := app.Errorf(app.ErrUnauthorized, "the API key is not valid: send `Authorization: Bearer <key>` with a key from `waybill apikey create`")
	hash := app.HashAPIKey(key)
	var row apiKeyRow
	if err := db.gorm.WithContext(ctx).Where("key_hash = ? AND revoked_at IS NULL", hash).Take(&row).Error; err != nil {
		if app.ErrorCodeOf(notFound(err, "")) == app.ErrNotFound {
			return nil, refused
		}
		return nil, err
	}
	// The index found the row; compare again in constant time so the answer's
	// timing never depends on how much of the hash matched.
	if subtle.ConstantTimeCompare([]byte(row.KeyHash), []byte(hash)) != 1 {
		return nil, refused
	}
	var shop shopRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", row.ShopID).Take(&shop).Error; err != nil {
		return nil, err
	}
	if shop.UninstalledAt != nil {
		return nil, refused
	}
	if err := db.gorm.WithContext(ctx).Model(&apiKeyRow{}).Where("id = ?", row.ID).Update("last_used_at", db.clock.Now()).Error; err != nil {
		return nil, fmt.Errorf("store: recording the use of API key %s: %w", row.ID, err)
	}
	return db.toShop(shop)
}

var _ app.APIKeyStore = (*DB)(nil)

// APIKeys implements app.APIKeyStore.
func (db *DB) APIKeys(ctx context.Context, shopID string) ([]app.APIKey, error) {
	var rows []apiKeyRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Order("created_at DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.APIKey, len(rows))
	for i, r := range rows {
		out[i] = app.APIKey{ID: r.ID, ShopID: r.ShopID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	}
	return out, nil
}

// RevokeAPIKey implements app.APIKeyStore.
func (db *DB) RevokeAPIKey(ctx context.Context, shopID, id string) error {
	res := db.gorm.WithContext(ctx).Model(&apiKeyRow{}).Where("shop_id = ? AND id = ? AND revoked_at IS NULL", shopID, id).Update("revoked_at", db.clock.Now())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ErrNotFound, "no live API key %s in this store", id)
	}
	return nil
}
