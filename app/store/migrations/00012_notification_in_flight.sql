-- A customer email is recorded as in flight before it goes to the mail server
-- and as sent right after: a send that finds it still in flight follows one
-- that may have reached the server (a crash between the two), and says so in
-- the log. sending_at is cleared when an outcome is recorded; send_attempts
-- counts the sends started.

-- +goose Up
ALTER TABLE notifications ADD COLUMN sending_at TIMESTAMP NULL;
ALTER TABLE notifications ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE notifications DROP COLUMN send_attempts;
ALTER TABLE notifications DROP COLUMN sending_at;
