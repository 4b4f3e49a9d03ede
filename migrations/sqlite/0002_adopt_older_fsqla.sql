-- Databases made with fsqla v1/v2 lack the v2/v3 columns. The migration
-- runner skips an ADD COLUMN whose column already exists, so on a v3
-- database this changes nothing.
ALTER TABLE user ADD COLUMN us_totp_secrets TEXT;
ALTER TABLE user ADD COLUMN us_phone_number VARCHAR(128);
ALTER TABLE user ADD COLUMN fs_webauthn_user_handle VARCHAR(64);
ALTER TABLE user ADD COLUMN mf_recovery_codes TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_us_phone_number ON user (us_phone_number);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_webauthn_user_handle ON user (fs_webauthn_user_handle);
