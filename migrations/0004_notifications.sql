-- Notifications: what happened to comments (written in the same transaction as the change), the outbox of mails
-- and webhook deliveries made from it, readers' subscriptions, and moderators' single-use action links.

-- Facts about comments, recorded in the transaction that changed them; the notifier turns each into deliveries
-- and removes it in one transaction, so a committed change is fanned out exactly once.
CREATE TABLE notification_events (
  id          INTEGER PRIMARY KEY,
  site_id     TEXT NOT NULL,
  type        TEXT NOT NULL,
  payload     TEXT NOT NULL,          -- JSON: comment id, statuses, actor; never an address
  created_at  INTEGER NOT NULL
) STRICT;

-- One row per mail or webhook delivery. `delivery_id` is what receivers see, the same on every attempt.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  delivery_id      TEXT NOT NULL UNIQUE,
  site_id          TEXT NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('mail','webhook')),
  topic            TEXT NOT NULL,      -- webhook event name, or the kind of mail
  target           TEXT,               -- webhook URL; NULL for mail
  recipient_enc    BLOB,               -- mail: the address, encrypted like comment e-mails
  batch_key        TEXT,               -- mail that later items may join while it waits (reply batches, digests)
  payload          TEXT NOT NULL,      -- JSON the message is rendered from
  state            TEXT NOT NULL CHECK (state IN ('pending','sending','delivered','failed','cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  claimed_until    INTEGER,
  created_at       INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_status      INTEGER,            -- webhook: the receiver's HTTP status
  last_error       TEXT,               -- short, never an address
  delivered_at     INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_batch ON outbox (batch_key, state) WHERE batch_key IS NOT NULL;
CREATE INDEX outbox_site ON outbox (site_id, channel, id);

-- A reader's address for reply mail on a site: asked (pending), confirmed (verified), or unsubscribed.
CREATE TABLE subscribers (
  site_id          TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  email_hmac       TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending','confirmed','unsubscribed')),
  confirm_sent_at  INTEGER,
  confirmed_at     INTEGER,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (site_id, email_hmac)
) STRICT, WITHOUT ROWID;

-- Comments whose author asked to hear of replies.
CREATE TABLE reply_watches (
  comment_id  TEXT PRIMARY KEY REFERENCES comments(id) ON DELETE CASCADE,
  site_id     TEXT NOT NULL,
  email_hmac  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Threads (pages) an address no longer wants reply mail from.
CREATE TABLE thread_unsubscribes (
  site_id     TEXT NOT NULL,
  email_hmac  TEXT NOT NULL,
  page_id     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (site_id, email_hmac, page_id)
) STRICT, WITHOUT ROWID;

-- Each reply is told to each watcher once, whatever its status does later.
CREATE TABLE reply_notices (
  reply_id    TEXT NOT NULL,
  email_hmac  TEXT NOT NULL,
  PRIMARY KEY (reply_id, email_hmac)
) STRICT, WITHOUT ROWID;

-- A moderator mail's links for one comment: single-use (any one action spends it), expiring.
CREATE TABLE action_links (
  id          TEXT PRIMARY KEY,
  site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  comment_id  TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  moderator   TEXT NOT NULL,           -- the address from the site's notification settings
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_action TEXT
) STRICT, WITHOUT ROWID;

-- A moderator acting from a mailed link is recorded with that address (actor_type 'token': a person holding a
-- credential, here the signed link; actor_id stays NULL). A new column rather than a rebuilt table keeps the log's rows
-- and any column another migration adds.
ALTER TABLE moderation_actions ADD COLUMN actor_address TEXT;
