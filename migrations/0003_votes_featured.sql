-- Votes and featured comments. A vote is kept per voter as a per-site HMAC of the key the widget holds, never the
-- key itself; the comment carries its totals so a thread read never counts rows.
ALTER TABLE comments ADD COLUMN upvotes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN downvotes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN featured_at INTEGER;   -- when a moderator featured it; NULL: not featured
ALTER TABLE comments ADD COLUMN voter_hmac TEXT;       -- the author's voter key (HMAC): they cannot vote on it

CREATE TABLE votes (
  comment_id  TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  voter_hmac  TEXT NOT NULL,
  value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
  voted_at    INTEGER NOT NULL,
  PRIMARY KEY (comment_id, voter_hmac)
) STRICT, WITHOUT ROWID;

-- Recent changes of vote totals, so a "best" page can be ranked by the totals as they were when its first page
-- was read (pagination that neither repeats nor skips while votes move). Rows older than the cursor lifetime are
-- deleted as new votes arrive.
CREATE TABLE vote_changes (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: a snapshot is "every change up to seq"
  page_id     INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
  comment_id  TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  d_up        INTEGER NOT NULL,
  d_down      INTEGER NOT NULL,
  at          INTEGER NOT NULL
) STRICT;
CREATE INDEX vote_changes_page ON vote_changes (page_id, seq);
CREATE INDEX vote_changes_at ON vote_changes (at);

CREATE INDEX comments_featured ON comments (site_id, featured_at) WHERE featured_at IS NOT NULL;
