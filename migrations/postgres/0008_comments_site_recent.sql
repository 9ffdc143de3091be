-- The moderation queue's "all statuses" view and its search, newest first. PostgreSQL has had this index since
-- 0001 (comments_site); the statement keeps the file sets of both stores alike without building it twice.
CREATE INDEX IF NOT EXISTS comments_site ON comments (site_id, id);
