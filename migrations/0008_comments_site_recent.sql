-- The moderation queue's "all statuses" view and its search, newest first: without this index SQLite reads every
-- comment of the site and sorts them (seconds on a million comments); with it, it walks the site's newest first and
-- stops at the page's end.
CREATE INDEX comments_site_recent ON comments (site_id, id);
