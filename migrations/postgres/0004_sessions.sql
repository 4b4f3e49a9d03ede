-- Server-side sessions for the web adapters (Flask keeps its sessions in a
-- signed cookie; Portcullis keeps them here and puts only an id in the
-- cookie), so servers behind a load balancer share them.
CREATE TABLE IF NOT EXISTS portcullis_sessions (
	id VARCHAR(128) NOT NULL PRIMARY KEY,
	data TEXT NOT NULL,
	expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_portcullis_sessions_expires_at ON portcullis_sessions (expires_at);
