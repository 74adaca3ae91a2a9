-- The same SQL runs on SQLite and Postgres: portable types only, ids made by
-- the application (UUIDv7 text), times in UTC.

-- +goose Up
CREATE TABLE shops (
    id                       TEXT PRIMARY KEY,
    domain                   TEXT NOT NULL UNIQUE,
    name                     TEXT NOT NULL DEFAULT '',
    scopes                   TEXT NOT NULL DEFAULT '',
    -- Sealed with WAYBILL_ENCRYPTION_KEY (AES-256-GCM, bound to the domain); never clear.
    access_token_sealed      TEXT NOT NULL DEFAULT '',
    access_token_expires_at  TIMESTAMP NULL,
    refresh_token_sealed     TEXT NOT NULL DEFAULT '',
    refresh_token_expires_at TIMESTAMP NULL,
    installed_at             TIMESTAMP NOT NULL,
    uninstalled_at           TIMESTAMP NULL,
    needs_reauth_at          TIMESTAMP NULL,
    needs_reauth_reason      TEXT NOT NULL DEFAULT '',
    -- Who emails the customer about a shipment: 'waybill' (branded email) or
    -- 'shopify' (Shopify's own shipping confirmation). Never both.
    customer_emails          TEXT NOT NULL DEFAULT 'waybill',
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL
);
CREATE INDEX shops_access_token_expires_at ON shops (access_token_expires_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    -- The first characters of the key, to tell keys apart in the admin.
    prefix       TEXT NOT NULL,
    -- SHA-256 of the whole key, hex; the key itself is shown once and never stored.
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NULL,
    revoked_at   TIMESTAMP NULL
);
CREATE INDEX api_keys_shop_id ON api_keys (shop_id);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE shops;
