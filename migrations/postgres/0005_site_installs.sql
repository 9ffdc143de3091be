-- The install check: on which origins a site's widget loaded, first and last. Only the origin and the times
-- are kept (no address, no user agent, no page), written at most about once a minute per site and origin.
CREATE TABLE site_installs (
  site_id        text COLLATE "C" NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  origin         text COLLATE "C" NOT NULL,
  allowed        boolean NOT NULL,   -- the origin was in the site's list when last seen; others are capped per site
  first_seen_at  bigint NOT NULL,
  last_seen_at   bigint NOT NULL,
  PRIMARY KEY (site_id, origin)
);
