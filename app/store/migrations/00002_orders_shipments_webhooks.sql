-- Orders as Waybill needs them, shipments (tracking numbers on their way to
-- or from Shopify fulfillments) with their history, processed webhook
-- events, and customer data requests.

-- +goose Up
CREATE TABLE orders (
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id                  BIGINT NOT NULL,          -- Shopify's order id
    name                TEXT NOT NULL,            -- "#1001"
    email               TEXT NOT NULL DEFAULT '',
    customer_id         BIGINT NULL,
    customer_locale     TEXT NOT NULL DEFAULT '',
    customer_first_name TEXT NOT NULL DEFAULT '',
    shipping_country    TEXT NOT NULL DEFAULT '',
    redacted_at         TIMESTAMP NULL,
    shopify_updated_at  TIMESTAMP NOT NULL,       -- newer wins; older events never overwrite
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX orders_shop_name ON orders (shop_id, name);
CREATE INDEX orders_shop_email ON orders (shop_id, email);
CREATE INDEX orders_shop_customer ON orders (shop_id, customer_id);

CREATE TABLE order_line_items (
    shop_id              TEXT NOT NULL,
    order_id             BIGINT NOT NULL,
    id                   BIGINT NOT NULL,         -- Shopify's line item id
    sku                  TEXT NOT NULL DEFAULT '',
    title                TEXT NOT NULL DEFAULT '',
    quantity             INTEGER NOT NULL,
    fulfillable_quantity INTEGER NOT NULL,
    position             INTEGER NOT NULL,
    PRIMARY KEY (shop_id, order_id, id),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id) ON DELETE CASCADE
);

CREATE TABLE shipments (
    id                     TEXT PRIMARY KEY,
    shop_id                TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    -- How the source named the order ("#1001", or "id:450789469" when only
    -- the id was given and the order was not known yet): the duplicate key.
    order_ref              TEXT NOT NULL,
    order_id               BIGINT NOT NULL DEFAULT 0, -- 0 until resolved
    order_name             TEXT NOT NULL DEFAULT '',
    tracking_number        TEXT NOT NULL,
    carrier                TEXT NOT NULL DEFAULT '',
    tracking_url           TEXT NOT NULL DEFAULT '',
    source                 TEXT NOT NULL,         -- api, csv, manual, shopify
    state                  TEXT NOT NULL,         -- pending, syncing, synced, failed, needs_attention
    state_reason           TEXT NOT NULL DEFAULT '',
    notify_customer        BOOLEAN NOT NULL DEFAULT TRUE,
    shopify_fulfillment_id BIGINT NULL,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
-- One shipment per Shopify fulfillment, and never two for one (order, number).
CREATE UNIQUE INDEX shipments_shop_fulfillment ON shipments (shop_id, shopify_fulfillment_id);
CREATE UNIQUE INDEX shipments_shop_order_number ON shipments (shop_id, order_ref, tracking_number);
CREATE INDEX shipments_shop_order ON shipments (shop_id, order_id, tracking_number);
CREATE INDEX shipments_shop_created ON shipments (shop_id, created_at);
CREATE INDEX shipments_state_updated ON shipments (state, updated_at);

-- Lines as the source named them (by line item id, or by SKU until the
-- order is resolved); no lines means everything still unfulfilled.
CREATE TABLE shipment_line_items (
    shipment_id  TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    line_item_id BIGINT NOT NULL DEFAULT 0,
    sku          TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL DEFAULT '',
    quantity     INTEGER NOT NULL,
    PRIMARY KEY (shipment_id, position)
);

-- The history a merchant reads on a shipment: received, pushed, changed, failed.
CREATE TABLE shipment_events (
    id          TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX shipment_events_shipment ON shipment_events (shipment_id, created_at);

-- Webhook events already processed: a re-delivery, even days later, is a no-op.
CREATE TABLE webhook_events (
    shop_domain  TEXT NOT NULL,
    topic        TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (topic, event_id)
);
CREATE INDEX webhook_events_processed ON webhook_events (processed_at);

-- customers/data_request: what was asked and the data Waybill holds, for the merchant.
CREATE TABLE data_requests (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    customer_id     BIGINT NULL,
    customer_email  TEXT NOT NULL DEFAULT '',
    orders_requested TEXT NOT NULL DEFAULT '',   -- JSON array of order ids
    report          TEXT NOT NULL DEFAULT '',    -- JSON: the customer's data held by Waybill
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX data_requests_shop ON data_requests (shop_id, created_at);

-- +goose Down
DROP TABLE data_requests;
DROP TABLE webhook_events;
DROP TABLE shipment_events;
DROP TABLE shipment_line_items;
DROP TABLE shipments;
DROP TABLE order_line_items;
DROP TABLE orders;
