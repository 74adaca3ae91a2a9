-- Orders waiting for a tracking number, and the supplier behind each number.

-- +goose Up
-- The supplier API key that sent the shipment (NULL: another source, or a
-- key deleted since). The awaiting list names, per SKU, the key that last
-- sent a number for it.
ALTER TABLE shipments ADD COLUMN api_key_id TEXT NULL;
CREATE INDEX shipments_shop_api_key ON shipments (shop_id, api_key_id, created_at) WHERE api_key_id IS NOT NULL;
CREATE INDEX shipment_line_items_sku ON shipment_line_items (sku) WHERE sku <> '';
-- The awaiting list: the shop's orders oldest first, only those with items
-- left to fulfil (a partial index: fulfilled orders are most of a shop's).
CREATE INDEX orders_shop_created ON orders (shop_id, created_at, id);
CREATE INDEX order_line_items_unfulfilled ON order_line_items (shop_id, order_id) WHERE fulfillable_quantity > 0;

-- +goose Down
DROP INDEX order_line_items_unfulfilled;
DROP INDEX orders_shop_created;
DROP INDEX shipment_line_items_sku;
DROP INDEX shipments_shop_api_key;
ALTER TABLE shipments DROP COLUMN api_key_id;
