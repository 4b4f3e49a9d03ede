-- Columns fsqla v1/v2 databases lack. MariaDB understands IF NOT EXISTS
-- here; on MySQL 8 the SeaORM migrator checks information_schema first and
-- skips an ADD COLUMN whose column exists (as the SQLite runner does).
ALTER TABLE `user` ADD COLUMN IF NOT EXISTS us_totp_secrets TEXT;
ALTER TABLE `user` ADD COLUMN IF NOT EXISTS us_phone_number VARCHAR(128);
ALTER TABLE `user` ADD COLUMN IF NOT EXISTS fs_webauthn_user_handle VARCHAR(64);
ALTER TABLE `user` ADD COLUMN IF NOT EXISTS mf_recovery_codes TEXT;
ALTER TABLE `user` MODIFY COLUMN password VARCHAR(255) NULL;
