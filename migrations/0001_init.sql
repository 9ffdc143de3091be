-- The whole data model. Times are epoch milliseconds; ids of comments are time-ordered (ULID), so
-- ordering by id is ordering by creation.

CREATE TABLE sites (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  settings    TEXT NOT NULL DEFAULT '{}',   -- JSON, read through the domain's settings schema
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE pages (
  id              INTEGER PRIMARY KEY,
  site_id         TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  key             TEXT NOT NULL,
  url             TEXT,
  title           TEXT,
  closed          INTEGER NOT NULL DEFAULT 0,
  approved_count  INTEGER NOT NULL DEFAULT 0,   -- kept by triggers below
  pending_count   INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  UNIQUE (site_id, key)
) STRICT;

CREATE TABLE comments (
  id                   TEXT PRIMARY KEY,
  site_id              TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  page_id              INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
  parent_id            TEXT REFERENCES comments(id),
  root_id              TEXT NOT NULL,           -- top-level ancestor; itself when top-level
  depth                INTEGER NOT NULL,
  path                 TEXT NOT NULL,           -- ancestor ids joined by '/': sorts a thread in reply order
  status               TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','spam','deleted')),
  status_before_delete TEXT,
  shown                INTEGER NOT NULL DEFAULT 0, -- approved, or a placeholder above a shown reply
  author_name          TEXT NOT NULL,
  author_website       TEXT,
  avatar               TEXT NOT NULL,           -- per-site keyed hash; the identicon is drawn from it
  email_enc            BLOB NOT NULL,           -- AES-256-GCM: iv | tag | ciphertext
  email_hmac           TEXT NOT NULL,           -- per-site HMAC for trust, bans, duplicates, search
  ip_hmac              TEXT,                    -- per-site HMAC; the address itself is never stored
  user_agent           TEXT,
  body_source          TEXT NOT NULL,
  body_html            TEXT NOT NULL,
  body_hash            TEXT NOT NULL,
  reasons              TEXT NOT NULL DEFAULT '[]',
  report_count         INTEGER NOT NULL DEFAULT 0, -- open reports
  edit_token_hash      TEXT,
  created_at           INTEGER NOT NULL,
  edited_at            INTEGER,
  status_changed_at    INTEGER NOT NULL
) STRICT;

-- Public thread: top-level comments of a page, then their replies in path order.
CREATE INDEX comments_thread_roots ON comments (page_id, shown, depth, id);
CREATE INDEX comments_thread_replies ON comments (root_id, path);
-- Moderation queue by status, newest first; one page. (Every status at once walks the primary key.)
CREATE INDEX comments_queue ON comments (site_id, status, id);
CREATE INDEX comments_page_queue ON comments (page_id, status, id);
CREATE INDEX comments_reported ON comments (site_id, id) WHERE report_count > 0 AND status <> 'deleted';
-- Flood, trust, duplicates.
CREATE INDEX comments_ip ON comments (ip_hmac, created_at);
-- Duplicates and trusted authors (e-mail HMACs are per site, so they need no site column).
CREATE INDEX comments_author ON comments (email_hmac, body_hash);
CREATE INDEX comments_parent ON comments (parent_id);

-- Per-site totals by status, so queue tabs need not count a million rows.
CREATE TABLE comment_counts (
  site_id  TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  status   TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (site_id, status)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER comments_count_insert AFTER INSERT ON comments BEGIN
  INSERT INTO comment_counts (site_id, status, n) VALUES (NEW.site_id, NEW.status, 1)
    ON CONFLICT (site_id, status) DO UPDATE SET n = n + 1;
  UPDATE pages SET approved_count = approved_count + (NEW.status = 'approved'),
                   pending_count  = pending_count  + (NEW.status = 'pending')
   WHERE id = NEW.page_id;
END;

CREATE TRIGGER comments_count_status AFTER UPDATE OF status ON comments WHEN OLD.status <> NEW.status BEGIN
  UPDATE comment_counts SET n = n - 1 WHERE site_id = OLD.site_id AND status = OLD.status;
  INSERT INTO comment_counts (site_id, status, n) VALUES (NEW.site_id, NEW.status, 1)
    ON CONFLICT (site_id, status) DO UPDATE SET n = n + 1;
  UPDATE pages SET approved_count = approved_count + (NEW.status = 'approved') - (OLD.status = 'approved'),
                   pending_count  = pending_count  + (NEW.status = 'pending')  - (OLD.status = 'pending')
   WHERE id = NEW.page_id;
END;

CREATE TRIGGER comments_count_delete AFTER DELETE ON comments BEGIN
  UPDATE comment_counts SET n = n - 1 WHERE site_id = OLD.site_id AND status = OLD.status;
  UPDATE pages SET approved_count = approved_count - (OLD.status = 'approved'),
                   pending_count  = pending_count  - (OLD.status = 'pending')
   WHERE id = OLD.page_id;
END;

CREATE TABLE tokens (
  id            TEXT PRIMARY KEY,
  hash          TEXT NOT NULL UNIQUE,          -- SHA-256 of the secret; the secret is shown once
  role          TEXT NOT NULL CHECK (role IN ('owner','moderator')),
  site_id       TEXT REFERENCES sites(id) ON DELETE CASCADE,   -- NULL: every site
  label         TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
) STRICT;

-- Append-only: every status change, by a rule or a person.
CREATE TABLE moderation_actions (
  id          INTEGER PRIMARY KEY,
  site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  comment_id  TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  actor_type  TEXT NOT NULL CHECK (actor_type IN ('system','author','token')),
  actor_id    TEXT,
  action      TEXT NOT NULL,
  from_status TEXT,
  to_status   TEXT NOT NULL,
  reason      TEXT,
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX moderation_actions_site ON moderation_actions (site_id, id);
CREATE INDEX moderation_actions_comment ON moderation_actions (comment_id, id);
CREATE TRIGGER moderation_actions_no_update BEFORE UPDATE ON moderation_actions BEGIN
  SELECT RAISE(ABORT, 'moderation_actions is append-only');
END;

CREATE TABLE reports (
  id             INTEGER PRIMARY KEY,
  comment_id     TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  reporter_hmac  TEXT NOT NULL,               -- per-site HMAC of the reader's address
  reason         TEXT NOT NULL CHECK (reason IN ('spam','abuse','off-topic','other')),
  note           TEXT,
  created_at     INTEGER NOT NULL,
  resolved_at    INTEGER,
  UNIQUE (comment_id, reporter_hmac)
) STRICT;

CREATE TABLE bans (
  id           TEXT PRIMARY KEY,
  site_id      TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('email','ip')),
  value_hmac   TEXT NOT NULL,
  email_enc    BLOB,
  reason       TEXT,
  comment_id   TEXT,
  expires_at   INTEGER,
  created_at   INTEGER NOT NULL,
  created_by   TEXT
) STRICT;
CREATE INDEX bans_value ON bans (site_id, value_hmac);
