-- Insights: tracking page visits per shipment and day, and the indexes that
-- keep the analytics and the export fast at a million shipments.

-- +goose Up
-- One row per shipment and day (UTC) it was shown on the tracking page.
CREATE TABLE tracking_visits (
    shop_id     TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    day         TEXT NOT NULL, -- 2026-12-01
    visits      INTEGER NOT NULL,
    PRIMARY KEY (shipment_id, day)
);
CREATE INDEX tracking_visits_shop ON tracking_visits (shop_id, day);

-- Shipments that ever stalled (the stall's history line), for the analytics.
CREATE INDEX shipment_events_kind ON shipment_events (kind, shipment_id);

-- +goose Down
DROP INDEX shipment_events_kind;
DROP TABLE tracking_visits;
