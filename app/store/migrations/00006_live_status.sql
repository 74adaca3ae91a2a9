-- Parcels that move on their own: where each status came from, the
-- aggregator a parcel is registered with, the polling fallback's schedule,
-- stalls, the merchant's transit windows, and the shop's time zone and
-- country (business days, cross-border).

-- +goose Up
ALTER TABLE shops ADD COLUMN timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE shops ADD COLUMN country TEXT NOT NULL DEFAULT '';

ALTER TABLE shipments ADD COLUMN status_source TEXT NOT NULL DEFAULT '';
-- Statuses the shipment has had, comma-separated: Shopify showing back an
-- event Waybill published is recognised and changes nothing.
ALTER TABLE shipments ADD COLUMN statuses_seen TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN shipped_at TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN last_event_at TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN delivery_window_from TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN delivery_window_to TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN stalled_at TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN stalled_reason TEXT NOT NULL DEFAULT '';
-- When the stall sweep next looks at the shipment (NULL: never again).
ALTER TABLE shipments ADD COLUMN stall_check_at TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN tracker_source_id TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN tracker_state TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN tracker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN tracker_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN tracker_registered_at TIMESTAMP NULL;  -- the provider's window counts from it
-- When the number last changed: Shopify's reports from before are about the old one.
ALTER TABLE shipments ADD COLUMN tracking_since TIMESTAMP NULL;
-- The polling fallback: when to look for news if no push comes.
ALTER TABLE shipments ADD COLUMN next_poll_at TIMESTAMP NULL;
ALTER TABLE shipments ADD COLUMN poll_attempts INTEGER NOT NULL DEFAULT 0;
-- The sweeps read only what is due: a range scan each.
CREATE INDEX shipments_next_poll ON shipments (next_poll_at);
CREATE INDEX shipments_stall_check ON shipments (stall_check_at);
CREATE INDEX shipments_shop_stalled ON shipments (shop_id, stalled_at);
CREATE INDEX shipments_shop_status ON shipments (shop_id, status);
-- A provider's push names the number only.
CREATE INDEX shipments_shop_number ON shipments (shop_id, tracking_number);

-- Aggregators need the account's API key besides the push signing secret.
ALTER TABLE status_sources ADD COLUMN api_key_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE status_sources ADD COLUMN api_key_hint TEXT NOT NULL DEFAULT '';
ALTER TABLE status_sources ADD COLUMN checked_at TIMESTAMP NULL;
ALTER TABLE status_sources ADD COLUMN check_error TEXT NOT NULL DEFAULT '';

CREATE TABLE tracking_settings (
    shop_id                 TEXT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    shopify_tracking        BOOLEAN NOT NULL DEFAULT TRUE,
    stall_days_domestic     INTEGER NOT NULL,
    stall_days_cross_border INTEGER NOT NULL,
    transit_windows         TEXT NOT NULL DEFAULT '[]', -- JSON array of {country, carrier, min_days, max_days}
    updated_at              TIMESTAMP NOT NULL
);

-- The merchant's daily digest of stalled parcels: once per shop and day.
CREATE TABLE stall_digests (
    shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, day)
);

-- Shipments already in Shopify: shipped (never "ships soon" again), and
-- polled once for Shopify's own tracking; the poll then hands recent ones to
-- the stall sweep (Waybill knew nothing of their carrier news until now, so
-- none is stalled before that first look), and lets older ones go.
UPDATE shipments SET shipped_at = updated_at WHERE state = 'synced' AND shipped_at IS NULL;
UPDATE shipments SET status = 'shipped', status_at = updated_at WHERE state = 'synced' AND status = 'pending';
UPDATE shipments SET next_poll_at = updated_at WHERE state = 'synced' AND status <> 'delivered';

-- The "delayed" email is opt-in: off for shops that saved settings before it existed.
UPDATE notification_settings SET disabled_events = CASE WHEN disabled_events = '' THEN 'delayed' ELSE disabled_events || ',delayed' END;

-- +goose Down
DROP TABLE stall_digests;
DROP TABLE tracking_settings;
DROP INDEX shipments_shop_number;
DROP INDEX shipments_shop_status;
DROP INDEX shipments_shop_stalled;
DROP INDEX shipments_stall_check;
DROP INDEX shipments_next_poll;
ALTER TABLE status_sources DROP COLUMN check_error;
ALTER TABLE status_sources DROP COLUMN checked_at;
ALTER TABLE status_sources DROP COLUMN api_key_hint;
ALTER TABLE status_sources DROP COLUMN api_key_sealed;
ALTER TABLE shipments DROP COLUMN poll_attempts;
ALTER TABLE shipments DROP COLUMN next_poll_at;
ALTER TABLE shipments DROP COLUMN tracking_since;
ALTER TABLE shipments DROP COLUMN tracker_registered_at;
ALTER TABLE shipments DROP COLUMN tracker_detail;
ALTER TABLE shipments DROP COLUMN tracker_id;
ALTER TABLE shipments DROP COLUMN tracker_state;
ALTER TABLE shipments DROP COLUMN tracker_source_id;
ALTER TABLE shipments DROP COLUMN stall_check_at;
ALTER TABLE shipments DROP COLUMN stalled_reason;
ALTER TABLE shipments DROP COLUMN stalled_at;
ALTER TABLE shipments DROP COLUMN delivery_window_to;
ALTER TABLE shipments DROP COLUMN delivery_window_from;
ALTER TABLE shipments DROP COLUMN last_event_at;
ALTER TABLE shipments DROP COLUMN shipped_at;
ALTER TABLE shipments DROP COLUMN statuses_seen;
ALTER TABLE shipments DROP COLUMN status_source;
ALTER TABLE shops DROP COLUMN country;
ALTER TABLE shops DROP COLUMN timezone;
