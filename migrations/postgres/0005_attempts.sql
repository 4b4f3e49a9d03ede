-- Attempt counters, account locks and single-use code markers (Portcullis'
-- own, see portcullis_core::store::AttemptStore): a key, a whole number and
-- an expiry in Unix milliseconds. Flask-Security has nothing like it, so an
-- app can keep sharing its database with Flask-Security.
CREATE TABLE IF NOT EXISTS portcullis_attempts (
	id VARCHAR(200) NOT NULL PRIMARY KEY,
	val BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_portcullis_attempts_expires_at ON portcullis_attempts (expires_at);
