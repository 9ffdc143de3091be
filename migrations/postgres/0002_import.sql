-- Where an imported comment came from, as migrations/0002_import.sql has it for SQLite. (Imports run on SQLite;
-- the table is here so an import-then-move keeps what it knows.)
CREATE TABLE comment_sources (
  site_id    text NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  source     text NOT NULL CHECK (source IN ('disqus','wordpress','isso')),
  source_id  text NOT NULL,
  comment_id text NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  upvotes    integer NOT NULL DEFAULT 0,
  downvotes  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, source, source_id)
);
CREATE UNIQUE INDEX comment_sources_comment ON comment_sources (comment_id);
