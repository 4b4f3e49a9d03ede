-- Flask-Security 5.9's refresh-token trackers (fsqla_v4's FsRefreshTracker,
-- table name as Flask-SQLAlchemy derives it); IF NOT EXISTS, so a
-- Flask-Security database that has it is left as it is.
CREATE TABLE IF NOT EXISTS fs_refresh_tracker (
	id INTEGER NOT NULL,
	refresh_family VARCHAR(64) NOT NULL,
	gen INTEGER,
	expires_at DATETIME NOT NULL,
	revoked_at DATETIME,
	last_used_at DATETIME NOT NULL,
	create_datetime DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
	name VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (refresh_family),
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_fs_refresh_tracker_user_id ON fs_refresh_tracker (user_id);
