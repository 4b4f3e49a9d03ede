-- Columns fsqla v1/v2 databases lack; no-ops on v3.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS us_totp_secrets TEXT;
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS us_phone_number VARCHAR(128);
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS fs_webauthn_user_handle VARCHAR(64);
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS mf_recovery_codes TEXT;
ALTER TABLE "user" ALTER COLUMN password DROP NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_us_phone_number ON "user" (us_phone_number);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_webauthn_user_handle ON "user" (fs_webauthn_user_handle);
