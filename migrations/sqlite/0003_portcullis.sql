-- Portcullis' additions. All optional for Flask-Security, which keeps
-- working on the same database:
-- * fs_token_uniquifier (Flask-Security supports the column when present):
--   auth tokens that survive a password change. Existing users keep NULL,
--   and their tokens keep naming fs_uniquifier, which still works.
-- * case-insensitive email uniqueness enforced by the database.
-- * indexes for the role and credential joins.
ALTER TABLE user ADD COLUMN fs_token_uniquifier VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_token_uniquifier ON user (fs_token_uniquifier);
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_email_lower ON user (lower(email));
CREATE INDEX IF NOT EXISTS ix_roles_users_user_id ON roles_users (user_id);
CREATE INDEX IF NOT EXISTS ix_roles_users_role_id ON roles_users (role_id);
CREATE INDEX IF NOT EXISTS ix_web_authn_user_id ON web_authn (user_id);
