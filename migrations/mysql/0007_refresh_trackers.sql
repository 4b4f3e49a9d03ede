-- Flask-Security 5.9's refresh-token trackers (fsqla_v4's FsRefreshTracker,
-- table name as Flask-SQLAlchemy derives it); IF NOT EXISTS, so a
-- Flask-Security database that has it is left as it is.
CREATE TABLE IF NOT EXISTS fs_refresh_tracker (
	id INTEGER NOT NULL AUTO_INCREMENT,
	refresh_family VARCHAR(64) NOT NULL,
	gen INTEGER,
	expires_at DATETIME(6) NOT NULL,
	revoked_at DATETIME(6),
	last_used_at DATETIME(6) NOT NULL,
	create_datetime DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL,
	name VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY refresh_family (refresh_family),
	KEY ix_fs_refresh_tracker_user_id (user_id),
	FOREIGN KEY(user_id) REFERENCES `user` (id) ON DELETE CASCADE
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
