-- Customer texts (WhatsApp and SMS): the phone of each order, the shop's
-- own provider accounts (secrets sealed) and what they know of Waybill's
-- WhatsApp templates, the shop's per-channel switches and contact button,
-- the log of every text, consents and the customer's preferences. Phones
-- are kept in E.164 where a text needs one (erased by customers/redact);
-- consents and preferences keep a SHA-256 of the phone or address only.

-- +goose Up
ALTER TABLE orders ADD COLUMN phone TEXT NOT NULL DEFAULT '';           -- Shopify's, as E.164; erased by customers/redact
ALTER TABLE orders ADD COLUMN sms_consent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN notify_phone TEXT NOT NULL DEFAULT '';    -- given on the tracking page; SaveOrder never writes it

-- One account per shop and channel. The token and the app secret are
-- sealed like the shop's tokens, bound to the shop, the channel and the field.
CREATE TABLE channel_connections (
    id                TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    channel           TEXT NOT NULL,             -- whatsapp, sms
    provider          TEXT NOT NULL,             -- meta, twilio
    account_id        TEXT NOT NULL DEFAULT '',  -- WhatsApp Business Account id, Twilio Account SID
    sender_id         TEXT NOT NULL DEFAULT '',  -- WhatsApp phone number id, Twilio number or MG… SID
    token_sealed      TEXT NOT NULL,
    app_secret_sealed TEXT NOT NULL DEFAULT '',  -- Meta's app secret (webhook signatures); '' for Twilio
    verify_token      TEXT NOT NULL DEFAULT '',  -- Meta's webhook handshake
    token_hint        TEXT NOT NULL DEFAULT '',
    test_phone        TEXT NOT NULL DEFAULT '',  -- the merchant's own phone
    checked_at        TIMESTAMP NULL,
    check_error       TEXT NOT NULL DEFAULT '',  -- a message code; '' when the last test worked
    test_message_id   TEXT NOT NULL DEFAULT '',  -- the provider's id of the last test message (its reports are acknowledged)
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX channel_connections_shop_channel ON channel_connections (shop_id, channel);

-- Waybill's WhatsApp templates as the connection's account has them.
CREATE TABLE text_templates (
    connection_id TEXT NOT NULL REFERENCES channel_connections (id) ON DELETE CASCADE,
    event         TEXT NOT NULL,
    language      TEXT NOT NULL,             -- Meta's code: es, en
    name          TEXT NOT NULL,             -- waybill_shipped, …
    status        TEXT NOT NULL,             -- missing, pending, approved, rejected, paused, disabled
    reason        TEXT NOT NULL DEFAULT '',  -- Meta's rejection reason
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, event, language)
);

-- A shop's text switches and the tracking page's contact button: one row,
-- each half saved without touching the other.
CREATE TABLE shop_text_settings (
    shop_id          TEXT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    disabled_events  TEXT NOT NULL DEFAULT '{}', -- JSON: {"whatsapp": {"delayed": false, "shipped": true}}
    contact_whatsapp TEXT NOT NULL DEFAULT '',
    contact_email    TEXT NOT NULL DEFAULT '',
    contact_phone    TEXT NOT NULL DEFAULT '',
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE customer_texts (
    id                  TEXT PRIMARY KEY,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    shipment_id         TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    channel             TEXT NOT NULL,             -- whatsapp, sms
    event               TEXT NOT NULL,
    event_key           TEXT NOT NULL,             -- as notifications.event_key
    phone               TEXT NOT NULL DEFAULT '',  -- E.164; erased by customers/redact
    locale              TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,             -- queued, sent, delivered, read, failed, suppressed, skipped
    reason              TEXT NOT NULL DEFAULT '',
    detail              TEXT NOT NULL DEFAULT '',  -- English, with the provider's error code; never the number
    provider_message_id TEXT NOT NULL DEFAULT '',  -- wamid…, SM…
    segments            INTEGER NOT NULL DEFAULT 0,
    encoding            TEXT NOT NULL DEFAULT '',  -- gsm7, ucs2
    queued_at           TIMESTAMP NOT NULL,
    sent_at             TIMESTAMP NULL,
    delivered_at        TIMESTAMP NULL,
    read_at             TIMESTAMP NULL,
    sending_at          TIMESTAMP NULL,            -- a send in flight, as notifications.sending_at
    send_attempts       INTEGER NOT NULL DEFAULT 0,
    updated_at          TIMESTAMP NOT NULL
);
-- One text per (shipment, event key, channel).
CREATE UNIQUE INDEX customer_texts_shipment_event_channel ON customer_texts (shipment_id, event_key, channel);
CREATE INDEX customer_texts_shop_queued ON customer_texts (shop_id, queued_at);
CREATE INDEX customer_texts_status_updated ON customer_texts (status, updated_at);
CREATE INDEX customer_texts_provider_message ON customer_texts (channel, provider_message_id);

-- A customer's agreement to texts on a channel, by phone hash. A revoked
-- row stays (with no grant when STOP came first) so that Shopify's consent
-- does not bring it back; only a new opt-in does.
CREATE TABLE text_consents (
    shop_id    TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    phone_hash TEXT NOT NULL,
    channel    TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',     -- shopify_sms_consent, tracking_page
    granted_at TIMESTAMP NULL,
    revoked_at TIMESTAMP NULL,
    revoked_by TEXT NOT NULL DEFAULT '',     -- stop_reply, preferences
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, phone_hash, channel)
);

-- What a customer chose to hear and where, by contact hash (phone or email).
CREATE TABLE customer_preferences (
    shop_id      TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    contact_hash TEXT NOT NULL,
    channels     TEXT NOT NULL DEFAULT '{}', -- JSON: {"whatsapp": false}
    topics       TEXT NOT NULL DEFAULT '{}', -- JSON: {"delays": false}
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, contact_hash)
);

-- +goose Down
DROP TABLE customer_preferences;
DROP TABLE text_consents;
DROP TABLE customer_texts;
DROP TABLE shop_text_settings;
DROP TABLE text_templates;
DROP TABLE channel_connections;
ALTER TABLE orders DROP COLUMN notify_phone;
ALTER TABLE orders DROP COLUMN sms_consent;
ALTER TABLE orders DROP COLUMN phone;
