-- +goose Up
-- A fulfillment may carry several tracking numbers (a 3PL's multi-parcel
-- order): one shipment per (fulfillment, number) instead of per fulfillment.
DROP INDEX shipments_shop_fulfillment;
CREATE UNIQUE INDEX shipments_shop_fulfillment_number ON shipments (shop_id, shopify_fulfillment_id, tracking_number);

-- +goose Down
DROP INDEX shipments_shop_fulfillment_number;
CREATE UNIQUE INDEX shipments_shop_fulfillment ON shipments (shop_id, shopify_fulfillment_id);
