-- Flask-Security's fsqla_v3 schema on MySQL / MariaDB. Differences from
-- SQLAlchemy's output, on purpose:
-- * utf8mb4 with a case-insensitive collation, so UNIQUE (email) is
--   case-insensitive in the database itself;
-- * credential_id is VARBINARY(1024): MySQL cannot put a unique index on a
--   BLOB without a prefix length.
CREATE TABLE IF NOT EXISTS role (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(80) NOT NULL,
	description VARCHAR(255),
	permissions TEXT,
	update_datetime DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `user` (
	fs_webauthn_user_handle VARCHAR(64),
	mf_recovery_codes TEXT,
	password VARCHAR(255),
	us_phone_number VARCHAR(128),
	username VARCHAR(255),
	us_totp_secrets TEXT,
	id INTEGER NOT NULL AUTO_INCREMENT,
	email VARCHAR(255) NOT NULL,
	active BOOL NOT NULL,
	fs_uniquifier VARCHAR(64) NOT NULL,
	confirmed_at DATETIME(6),
	last_login_at DATETIME(6),
	current_login_at DATETIME(6),
	last_login_ip VARCHAR(64),
	current_login_ip VARCHAR(64),
	login_count INTEGER,
	tf_primary_method VARCHAR(64),
	tf_totp_secret VARCHAR(255),
	tf_phone_number VARCHAR(128),
	create_datetime DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL,
	update_datetime DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (fs_webauthn_user_handle),
	UNIQUE (us_phone_number),
	UNIQUE (username),
	UNIQUE (email),
	UNIQUE (fs_uniquifier)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS roles_users (
	user_id INTEGER,
	role_id INTEGER,
	FOREIGN KEY(user_id) REFERENCES `user` (id),
	FOREIGN KEY(role_id) REFERENCES role (id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS web_authn (
	id INTEGER NOT NULL AUTO_INCREMENT,
	credential_id VARBINARY(1024) NOT NULL,
	public_key BLOB NOT NULL,
	sign_count INTEGER,
	transports TEXT,
	backup_state BOOL NOT NULL,
	device_type VARCHAR(64) NOT NULL,
	extensions VARCHAR(255),
	create_datetime DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL,
	lastuse_datetime DATETIME(6) NOT NULL,
	name VARCHAR(64) NOT NULL,
	`usage` VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY ix_web_authn_credential_id (credential_id),
	FOREIGN KEY(user_id) REFERENCES `user` (id) ON DELETE CASCADE
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
