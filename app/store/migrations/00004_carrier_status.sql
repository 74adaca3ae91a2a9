-- Carrier status: where each parcel is, its checkpoints, and the sources
-- (a tracking aggregator, a 3PL) that report them.

-- +goose Up
ALTER TABLE shipments ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE shipments ADD COLUMN status_at TIMESTAMP NULL;              -- carrier time of the status
ALTER TABLE shipments ADD COLUMN estimated_delivery_at TIMESTAMP NULL;

CREATE TABLE shipment_checkpoints (
    id          TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    happened_at TIMESTAMP NOT NULL,
    status      TEXT NOT NULL,
    location    TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
-- The same checkpoint reported twice is stored once.
CREATE UNIQUE INDEX shipment_checkpoints_unique ON shipment_checkpoints (shipment_id, happened_at, status, message);

CREATE TABLE status_sources (
    id            TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,             -- easypost, push
    name          TEXT NOT NULL DEFAULT '',
    secret_sealed TEXT NOT NULL,             -- the signing secret, sealed like tokens
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX status_sources_shop ON status_sources (shop_id);

-- +goose Down
DROP TABLE status_sources;
DROP TABLE shipment_checkpoints;
ALTER TABLE shipments DROP COLUMN estimated_delivery_at;
ALTER TABLE shipments DROP COLUMN status_at;
ALTER TABLE shipments DROP COLUMN status;
