-- The email log says why an email was not sent as a code the admin puts in
-- the merchant's language (detail keeps the English sentence and the mail
-- server's answer), and a resend can carry the merchant's personal note.
-- The log page filters by status within a shop, newest first.

-- +goose Up
ALTER TABLE notifications ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_shop_status_queued ON notifications (shop_id, status, queued_at);

-- +goose Down
DROP INDEX notifications_shop_status_queued;
ALTER TABLE notifications DROP COLUMN note;
ALTER TABLE notifications DROP COLUMN reason;
