-- Flask-Security's fsqla_v3 schema as SQLAlchemy creates it on PostgreSQL.
-- IF NOT EXISTS: a database Flask-Security made is left as it is.
CREATE TABLE IF NOT EXISTS role (
	id SERIAL NOT NULL,
	name VARCHAR(80) NOT NULL,
	description VARCHAR(255),
	permissions TEXT,
	update_datetime TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE IF NOT EXISTS "user" (
	fs_webauthn_user_handle VARCHAR(64),
	mf_recovery_codes TEXT,
	password VARCHAR(255),
	us_phone_number VARCHAR(128),
	username VARCHAR(255),
	us_totp_secrets TEXT,
	id SERIAL NOT NULL,
	email VARCHAR(255) NOT NULL,
	active BOOLEAN NOT NULL,
	fs_uniquifier VARCHAR(64) NOT NULL,
	confirmed_at TIMESTAMP WITHOUT TIME ZONE,
	last_login_at TIMESTAMP WITHOUT TIME ZONE,
	current_login_at TIMESTAMP WITHOUT TIME ZONE,
	last_login_ip VARCHAR(64),
	current_login_ip VARCHAR(64),
	login_count INTEGER,
	tf_primary_method VARCHAR(64),
	tf_totp_secret VARCHAR(255),
	tf_phone_number VARCHAR(128),
	create_datetime TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
	update_datetime TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (fs_webauthn_user_handle),
	UNIQUE (us_phone_number),
	UNIQUE (username),
	UNIQUE (email),
	UNIQUE (fs_uniquifier)
);

CREATE TABLE IF NOT EXISTS roles_users (
	user_id INTEGER,
	role_id INTEGER,
	FOREIGN KEY(user_id) REFERENCES "user" (id),
	FOREIGN KEY(role_id) REFERENCES role (id)
);

CREATE TABLE IF NOT EXISTS web_authn (
	id SERIAL NOT NULL,
	credential_id BYTEA NOT NULL,
	public_key BYTEA NOT NULL,
	sign_count INTEGER,
	transports TEXT,
	backup_state BOOLEAN NOT NULL,
	device_type VARCHAR(64) NOT NULL,
	extensions VARCHAR(255),
	create_datetime TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
	lastuse_datetime TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	name VARCHAR(64) NOT NULL,
	usage VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX IF NOT EXISTS ix_web_authn_credential_id ON web_authn (credential_id);
