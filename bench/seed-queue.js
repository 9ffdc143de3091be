#!/usr/bin/env node
// Seeds one site with N comments (default 1,000,000) straight into SQLite, for the moderation-queue benchmark.
// Usage: DATA_DIR=… SECRET_KEY=… node bench/seed-queue.js [count]
'use strict';
const path = require('node:path');
const { loadConfig } = require('../dist/src/config');
const { openDatabase, migrate } = require('../dist/src/store');
const { deriveKeys, Privacy } = require('../dist/src/domain/privacy');
const { ulid } = require('../dist/src/domain/ids');
const { renderMarkdown } = require('../dist/src/domain/render');
const { defaultSettings } = require('../dist/src/domain/settings');

const total = Number(process.argv[2] ?? 1_000_000);
const config = loadConfig();
if (!config.secretKey) throw new Error('set SECRET_KEY so the server can read what this seeds');
const privacy = new Privacy(deriveKeys(config.secretKey));
const db = openDatabase(config.databasePath);
migrate(db);
db.pragma('synchronous = OFF');

const site = 'queue-bench';
const start = Date.now() - total * 1000;
db.prepare('INSERT OR IGNORE INTO sites (id, name, settings, created_at) VALUES (?, ?, ?, ?)').run(site, 'Queue bench', JSON.stringify(defaultSettings()), start);

const PAGES = 2000;
const insertPage = db.prepare('INSERT INTO pages (site_id, key, title, url, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id');
const pageIds = db.transaction(() =>
  Array.from({ length: PAGES }, (_, i) => insertPage.get(site, `/articles/${i}`, `Article ${i}`, `https://news.example/articles/${i}`, start).id),
)();

// A few hundred authors, their e-mails encrypted once each.
const authors = Array.from({ length: 500 }, (_, i) => {
  const email = `reader${i}@example.com`;
  return { name: `Reader ${i}`, emailEnc: privacy.encryptEmail(email), emailHmac: privacy.emailHmac(site, email), avatar: privacy.avatarHash(site, email) };
});
const bodies = Array.from({ length: 50 }, (_, i) => {
  const source = `Comment text number ${i}: *thoughtful* words about the article, with a [link](https://example.com/${i}).`;
  return { source, html: renderMarkdown(source) };
});
const statuses = ['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'pending', 'pending', 'pending', 'spam'];

const insert = db.prepare(`INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown,
  author_name, author_website, avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html, body_hash,
  reasons, edit_token_hash, created_at, status_changed_at)
  VALUES (@id, @site, @pageId, NULL, @id, 0, @id, @status, @shown, @name, NULL, @avatar, @emailEnc, @emailHmac, @ipHmac,
  'bench', @source, @html, @hash, @reasons, NULL, @createdAt, @createdAt)`);

const BATCH = 20_000;
const t0 = Date.now();
for (let done = 0; done < total; done += BATCH) {
  db.transaction(() => {
    for (let i = done; i < Math.min(total, done + BATCH); i++) {
      const a = authors[i % authors.length];
      const b = bodies[i % bodies.length];
      const status = statuses[i % statuses.length];
      const createdAt = start + i * 1000;
      const id = `c_${ulid(createdAt)}`;
      insert.run({
        id, site, pageId: pageIds[i % PAGES], status, shown: status === 'approved' ? 1 : 0, name: a.name, avatar: a.avatar,
        emailEnc: a.emailEnc, emailHmac: a.emailHmac, ipHmac: `ip${i % 1000}`, source: b.source, html: b.html,
        hash: `h${i}`, reasons: status === 'pending' ? '[{"code":"first_time","detail":"First comment"}]' : '[]', createdAt,
      });
    }
  })();
  process.stderr.write(`\rseeded ${Math.min(total, done + BATCH).toLocaleString('en')} / ${total.toLocaleString('en')}`);
}
db.pragma('optimize');
db.close();
process.stderr.write(`\nseeded ${total.toLocaleString('en')} comments into ${path.basename(config.databasePath)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
