-- Every post, approval and removal changes its site's totals and its page's counts. In one row each, concurrent
-- writes queue on that row's lock, held until the commit is flushed, so a busy site commits one post per disk
-- flush. Spread over 16 rows (chosen by the connection's backend), concurrent commits share a flush instead.
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

CREATE FUNCTION count_shard() RETURNS smallint LANGUAGE sql STABLE AS 'SELECT (pg_backend_pid() % 16)::smallint';

CREATE FUNCTION add_counts(p_site text, p_page bigint, p_status text, p_delta integer) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  -- A site or page being deleted (its comments go with it) keeps no counts.
  INSERT INTO comment_counts (site_id, status, shard, n)
    SELECT p_site, p_status, count_shard(), p_delta WHERE EXISTS (SELECT 1 FROM sites WHERE id = p_site)
    ON CONFLICT (site_id, status, shard) DO UPDATE SET n = comment_counts.n + p_delta;
  IF p_status IN ('approved', 'pending') THEN
    INSERT INTO page_counts (page_id, shard, approved, pending)
      SELECT p_page, count_shard(), CASE WHEN p_status = 'approved' THEN p_delta ELSE 0 END, CASE WHEN p_status = 'pending' THEN p_delta ELSE 0 END
      WHERE EXISTS (SELECT 1 FROM pages WHERE id = p_page)
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
