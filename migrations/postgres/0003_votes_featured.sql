-- Votes and featured comments, as migrations/0003_votes_featured.sql has them for SQLite. A vote is kept per voter
-- as a per-site HMAC of the widget's key; the comment carries its totals so a thread read never counts rows.
ALTER TABLE comments ADD COLUMN upvotes integer NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN downvotes integer NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN featured_at bigint;
ALTER TABLE comments ADD COLUMN voter_hmac text;

CREATE TABLE votes (
  comment_id  text NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  voter_hmac  text NOT NULL,
  value       integer NOT NULL CHECK (value IN (-1, 1)),
  voted_at    bigint NOT NULL,
  PRIMARY KEY (comment_id, voter_hmac)
);

-- Recent changes of vote totals, so later pages of "best" rank by the totals of their first page's snapshot.
CREATE TABLE vote_changes (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  page_id     bigint NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
  comment_id  text NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  d_up        integer NOT NULL,
  d_down      integer NOT NULL,
  at          bigint NOT NULL
);
CREATE INDEX vote_changes_page ON vote_changes (page_id, seq);
CREATE INDEX vote_changes_at ON vote_changes (at);

CREATE INDEX comments_featured ON comments (site_id, featured_at) WHERE featured_at IS NOT NULL;

-- The lower bound of the 95 % Wilson score interval, as src/domain/ranking.ts defines it.
CREATE FUNCTION wilson(up double precision, down double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN up + down <= 0 THEN 0::double precision ELSE
    ((up / (up + down)) + 3.8416 / (2 * (up + down))
      - 1.96 * sqrt(((up / (up + down)) * (1 - up / (up + down)) + 3.8416 / (4 * (up + down))) / (up + down)))
    / (1 + 3.8416 / (up + down)) END
$$;
