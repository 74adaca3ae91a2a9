-- Insights snapshots: the analytics of the admin's preset periods (the last
-- 30, 90 and 365 days), computed in the background and read in one row, so
-- the Insights page stays fast at a million shipments.

-- +goose Up
CREATE TABLE insight_snapshots (
    shop_id     TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    period_days INTEGER NOT NULL,
    grouping    TEXT NOT NULL, -- carrier, supplier, country
    computed_at TIMESTAMP NOT NULL,
    rows        TEXT NOT NULL, -- the rows as JSON
    PRIMARY KEY (shop_id, period_days, grouping)
);

-- "Shops with changes since their last snapshot": one index probe per shop.
CREATE INDEX shipments_shop_updated ON shipments (shop_id, updated_at);

-- +goose Down
DROP INDEX shipments_shop_updated;
DROP TABLE insight_snapshots;
