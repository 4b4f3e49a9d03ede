-- Portcullis' additions (Flask-Security keeps working with them):
-- fs_token_uniquifier, case-insensitive email uniqueness (lower() is
-- Unicode-aware in PostgreSQL), join indexes.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS fs_token_uniquifier VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_token_uniquifier ON "user" (fs_token_uniquifier);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_email_lower ON "user" (lower(email));
CREATE INDEX IF NOT EXISTS ix_roles_users_user_id ON roles_users (user_id);
CREATE INDEX IF NOT EXISTS ix_roles_users_role_id ON roles_users (role_id);
CREATE INDEX IF NOT EXISTS ix_web_authn_user_id ON web_authn (user_id);
