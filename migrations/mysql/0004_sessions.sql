-- Server-side sessions for the web adapters (Flask keeps its sessions in a
-- signed cookie; Portcullis keeps them here and puts only an id in the
-- cookie), so servers behind a load balancer share them. The id column is
-- binary so session ids compare exactly.
CREATE TABLE IF NOT EXISTS portcullis_sessions (
	id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
	data MEDIUMTEXT NOT NULL,
	expires_at DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
CREATE INDEX IF NOT EXISTS ix_portcullis_sessions_expires_at ON portcullis_sessions (expires_at);
