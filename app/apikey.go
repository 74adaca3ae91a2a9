package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// APIKeyPrefix starts every supplier API key, so a leaked key is recognisable
// by secret scanners.
const APIKeyPrefix = "wbk_"

// APIKey is a supplier's credential for POST /api/v1/tracking. Only a hash of
// the key is kept; the key is shown once, when created.
type APIKey struct {
	ID         string     `json:"id"`
	ShopID     string     `json:"-"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters, to tell keys apart
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewAPIKeySecret returns a fresh key with 256 bits of randomness.
func NewAPIKeySecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS has no entropy: nothing safe to do
	}
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashAPIKey is what is stored and looked up. A fast hash is right here: the
// key is random, not a password, so there is nothing to brute-force.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// APIKeyStore keeps supplier API keys.
type APIKeyStore interface {
	// CreateAPIKey stores a new key for an installed shop and returns the
	// clear key, which is never retrievable again.
	CreateAPIKey(ctx context.Context, shopDomain, name string) (string, *APIKey, error)
	// ShopForAPIKey returns the shop a live key belongs to, or ErrUnauthorized.
	ShopForAPIKey(ctx context.Context, key string) (*Shop, error)
	// APIKeys lists the shop's keys (never the keys themselves).
	APIKeys(ctx context.Context, shopID string) ([]APIKey, error)
	// RevokeAPIKey stops a key working at once.
	RevokeAPIKey(ctx context.Context, shopID, id string) error
}
