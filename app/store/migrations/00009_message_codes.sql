-- What a merchant reads about a shipment — its history lines and why it
-- waits or failed — as a code and its parameters (a JSON object of strings),
-- which the admin puts into the merchant's language. detail and state_reason
-- keep the English sentence for logs and API users.

-- +goose Up
ALTER TABLE shipment_events ADD COLUMN code TEXT NOT NULL DEFAULT '';
ALTER TABLE shipment_events ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
ALTER TABLE shipments ADD COLUMN state_code TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN state_params TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE shipments DROP COLUMN state_params;
ALTER TABLE shipments DROP COLUMN state_code;
ALTER TABLE shipment_events DROP COLUMN params;
ALTER TABLE shipment_events DROP COLUMN code;
