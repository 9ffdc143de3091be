#!/usr/bin/env node
// Seeds site `large` with N comments (default 1,000,000) over P pages (default 10,000), straight into SQLite: about
// a third are replies (to approved comments of the same page, nested up to four deep) and every status occurs.
// Usage: DATA_DIR=… SECRET_KEY=… node bench/seed-large.js [comments] [pages]
'use strict';
const path = require('node:path');
const { loadConfig } = require('../dist/src/config');
const { openDatabase, migrate } = require('../dist/src/store');
const { deriveKeys, Privacy } = require('../dist/src/domain/privacy');
const { ulid } = require('../dist/src/domain/ids');
const { renderMarkdown } = require('../dist/src/domain/render');
const { defaultSettings } = require('../dist/src/domain/settings');

const total = Number(process.argv[2] ?? 1_000_000);
const PAGES = Number(process.argv[3] ?? 10_000);
const config = loadConfig();
if (!config.secretKey) throw new Error('set SECRET_KEY so the server can read what this seeds');
const privacy = new Privacy(deriveKeys(config.secretKey));
const db = openDatabase(config.databasePath);
migrate(db);
db.pragma('synchronous = OFF');

const site = 'large';
const start = Date.now() - total * 1000;
const settings = {
  ...defaultSettings(),
  moderation: 'none',
  minSubmitSeconds: 0,
  floodSeconds: 0,
  maxLinks: 0,
  rateLimits: { postsPerMinute: 100000, reportsPerHour: 100000, readsPerMinute: 1000000, moderationPerMinute: 1000000 },
};
db.prepare('INSERT OR IGNORE INTO sites (id, name, settings, created_at) VALUES (?, ?, ?, ?)').run(site, 'Large', JSON.stringify(settings), start);

const insertPage = db.prepare('INSERT INTO pages (site_id, key, title, url, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id');
const pageIds = db.transaction(() =>
  Array.from({ length: PAGES }, (_, i) => insertPage.get(site, `/articles/${i}`, `Article ${i}`, `https://news.example/articles/${i}`, start).id),
)();

const authors = Array.from({ length: 2000 }, (_, i) => {
  const email = `reader${i}@example.com`;
  return { name: `Reader ${i}`, emailEnc: privacy.encryptEmail(email), emailHmac: privacy.emailHmac(site, email), avatar: privacy.avatarHash(site, email) };
});
const words = ['river', 'lantern', 'harbour', 'meadow', 'copper', 'violet', 'orchard', 'granite', 'willow', 'ember'];
const bodies = Array.from({ length: 200 }, (_, i) => {
  const source = `Comment ${i} about the ${words[i % 10]} and the ${words[(i * 7) % 10]}: *thoughtful* words, \`code\`, and a [link](https://example.com/${i}).\n\nA second paragraph to make it realistic.`;
  return { source, html: renderMarkdown(source) };
});
// 70 % approved, 12 % pending, 8 % spam, 5 % rejected, 5 % deleted.
const statusOf = (i) => {
  const r = (i * 2654435761) % 100;
  return r < 70 ? 'approved' : r < 82 ? 'pending' : r < 90 ? 'spam' : r < 95 ? 'rejected' : 'deleted';
};

const insert = db.prepare(`INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown,
  status_before_delete, author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source,
  body_html, body_hash, reasons, edit_token_hash, created_at, status_changed_at)
  VALUES (@id, @site, @pageId, @parentId, @rootId, @depth, @path, @status, @shown, @before, @name, NULL, @avatar, @emailEnc,
  @emailHmac, @ipHmac, 'bench', @source, @html, @hash, @reasons, NULL, @createdAt, @createdAt)`);

// The last few approved comments of each page, to reply to.
const approvedByPage = Array.from({ length: PAGES }, () => []);
const BATCH = 20_000;
const t0 = Date.now();
let replies = 0;
for (let done = 0; done < total; done += BATCH) {
  db.transaction(() => {
    for (let i = done; i < Math.min(total, done + BATCH); i++) {
      const page = i % PAGES;
      const a = authors[(i * 31) % authors.length];
      const b = bodies[i % bodies.length];
      const status = statusOf(i);
      const createdAt = start + i * 1000;
      const id = `c_${ulid(createdAt)}`;
      const candidates = approvedByPage[page];
      // A third are replies; deleted comments never have replies here, so none needs a placeholder.
      const parent = status !== 'deleted' && i % 3 === 0 && candidates.length ? candidates[(i >> 2) % candidates.length] : null;
      const depth = parent ? parent.depth + 1 : 0;
      if (parent) replies++;
      const row = { id, rootId: parent ? parent.rootId : id, depth, path: parent ? `${parent.path}/${id}` : id };
      insert.run({
        id, site, pageId: pageIds[page], parentId: parent ? parent.id : null, rootId: row.rootId, depth, path: row.path,
        status, shown: status === 'approved' ? 1 : 0, before: status === 'deleted' ? 'approved' : null, name: a.name,
        avatar: a.avatar, emailEnc: a.emailEnc, emailHmac: a.emailHmac, ipHmac: `ip${i % 5000}`, source: b.source,
        html: b.html, hash: `h${i}`, reasons: status === 'pending' ? '[{"code":"first_time","detail":"First comment"}]' : '[]', createdAt,
      });
      if (status === 'approved' && depth < 4) {
        candidates.push(row);
        if (candidates.length > 6) candidates.shift();
      }
    }
  })();
  if (process.stderr.isTTY) process.stderr.write(`\rseeded ${Math.min(total, done + BATCH).toLocaleString('en')} / ${total.toLocaleString('en')}`);
}
db.pragma('optimize');
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();
process.stderr.write(`\nseeded ${total.toLocaleString('en')} comments (${replies.toLocaleString('en')} replies) over ${PAGES.toLocaleString('en')} pages into ${path.basename(config.databasePath)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
