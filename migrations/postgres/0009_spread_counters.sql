-- Every post, approval and removal changes its site's totals and its page's counts. In one row each, concurrent
-- writes queue on that row's lock, held until the commit is flushed, so a busy site commits one post per disk
-- flush. Spread over several rows, concurrent commits share a flush instead.
-- A total is the sum of its rows; a row on its own may go below zero.
ALTER TABLE comment_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE comment_counts DROP CONSTRAINT comment_counts_pkey;
ALTER TABLE comment_counts ADD PRIMARY KEY (site_id, status, shard);

-- Changes to pages.approved_count and pending_count since this migration; a page's count is its column plus these.
CREATE TABLE page_counts (
  page_id   bigint NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
  shard     smallint NOT NULL,
  approved  integer NOT NULL DEFAULT 0,
  pending   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (page_id, shard)
);

-- Adds to a row of the count no other transaction holds (SKIP LOCKED), so a writer never waits for another's
-- commit; when every row is held, it starts one of up to 64 (a collision there waits, as before).
CREATE FUNCTION add_counts(p_site text, p_page bigint, p_status text, p_delta integer) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  d_approved integer := CASE WHEN p_status = 'approved' THEN p_delta ELSE 0 END;
  d_pending integer := CASE WHEN p_status = 'pending' THEN p_delta ELSE 0 END;
BEGIN
  UPDATE comment_counts SET n = n + p_delta WHERE ctid = (
    SELECT ctid FROM comment_counts WHERE site_id = p_site AND status = p_status LIMIT 1 FOR UPDATE SKIP LOCKED);
  -- A site being deleted (its comments go with it) keeps no counts.
  IF NOT FOUND THEN
    INSERT INTO comment_counts (site_id, status, shard, n)
      SELECT p_site, p_status, floor(random() * 64)::smallint, p_delta WHERE EXISTS (SELECT 1 FROM sites WHERE id = p_site)
      ON CONFLICT (site_id, status, shard) DO UPDATE SET n = comment_counts.n + p_delta;
  END IF;
  IF d_approved = 0 AND d_pending = 0 THEN RETURN; END IF;
  UPDATE page_counts c SET approved = c.approved + d_approved, pending = c.pending + d_pending WHERE ctid = (
    SELECT ctid FROM page_counts WHERE page_id = p_page LIMIT 1 FOR UPDATE SKIP LOCKED);
  IF NOT FOUND THEN
    INSERT INTO page_counts (page_id, shard, approved, pending)
      SELECT p_page, floor(random() * 64)::smallint, d_approved, d_pending WHERE EXISTS (SELECT 1 FROM pages WHERE id = p_page)
      ON CONFLICT (page_id, shard) DO UPDATE SET approved = page_counts.approved + excluded.approved, pending = page_counts.pending + excluded.pending;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION comments_count_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM add_counts(NEW.site_id, NEW.page_id, NEW.status, 1);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION comments_count_status() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM add_counts(OLD.site_id, OLD.page_id, OLD.status, -1);
  PERFORM add_counts(NEW.site_id, NEW.page_id, NEW.status, 1);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION comments_count_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM add_counts(OLD.site_id, OLD.page_id, OLD.status, -1);
  RETURN NULL;
END $$;
