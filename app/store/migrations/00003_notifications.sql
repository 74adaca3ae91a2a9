-- Customer notifications: per-shop branding and switches, template
-- overrides per locale and event, the log of every email, and suppressions.

-- +goose Up
ALTER TABLE shops ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE notification_settings (
    shop_id         TEXT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    logo_url        TEXT NOT NULL DEFAULT '',
    accent_color    TEXT NOT NULL DEFAULT '',
    sender_name     TEXT NOT NULL DEFAULT '',
    reply_to        TEXT NOT NULL DEFAULT '',
    footer_text     TEXT NOT NULL DEFAULT '',
    primary_locale  TEXT NOT NULL DEFAULT 'en',
    disabled_events TEXT NOT NULL DEFAULT '', -- comma-separated; every event is on by default
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE notification_templates (
    shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    locale     TEXT NOT NULL,
    event      TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    intro      TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, locale, event)
);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    -- One email per (shipment, event key): the event, plus the new number for tracking_updated.
    event_key   TEXT NOT NULL,
    recipient   TEXT NOT NULL DEFAULT '',  -- erased by customers/redact
    locale      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,             -- queued, sent, failed, suppressed, skipped
    detail      TEXT NOT NULL DEFAULT '',
    queued_at   TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX notifications_shipment_event ON notifications (shipment_id, event_key);
CREATE INDEX notifications_shop_queued ON notifications (shop_id, queued_at);
CREATE INDEX notifications_status_updated ON notifications (status, updated_at);

-- Addresses that unsubscribed, per shop, as a SHA-256 of the address: the
-- wish is kept without keeping the address.
CREATE TABLE suppressions (
    shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    email_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, email_hash)
);

-- +goose Down
DROP TABLE suppressions;
DROP TABLE notifications;
DROP TABLE notification_templates;
DROP TABLE notification_settings;
ALTER TABLE shops DROP COLUMN email;
