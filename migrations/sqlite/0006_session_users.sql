-- Whose session it is (the user's fs_uniquifier), so that a user can list
-- and end their own sessions and an administrator can end them all.
ALTER TABLE portcullis_sessions ADD COLUMN user_id VARCHAR(64);
CREATE INDEX IF NOT EXISTS ix_portcullis_sessions_user_id ON portcullis_sessions (user_id);
