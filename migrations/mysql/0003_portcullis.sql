-- Portcullis' additions: fs_token_uniquifier and join indexes. Email is
-- already unique case-insensitively through the table's collation.
ALTER TABLE `user` ADD COLUMN IF NOT EXISTS fs_token_uniquifier VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_token_uniquifier ON `user` (fs_token_uniquifier);
CREATE INDEX IF NOT EXISTS ix_roles_users_user_id ON roles_users (user_id);
CREATE INDEX IF NOT EXISTS ix_roles_users_role_id ON roles_users (role_id);
CREATE INDEX IF NOT EXISTS ix_web_authn_user_id ON web_authn (user_id);
