-- Where an imported comment came from (Disqus, WordPress, Isso), so running the same import again adds nothing.
-- Tallies the source kept (Isso's likes and dislikes) stay with the comment they counted.
CREATE TABLE comment_sources (
  site_id    TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  source     TEXT NOT NULL CHECK (source IN ('disqus','wordpress','isso')),
  source_id  TEXT NOT NULL,
  comment_id TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  upvotes    INTEGER NOT NULL DEFAULT 0,
  downvotes  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, source, source_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX comment_sources_comment ON comment_sources (comment_id);
