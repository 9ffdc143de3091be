#!/usr/bin/env node
// Seeds one site with N comments (default 1,000,000) straight into PostgreSQL, for the moderation-queue benchmark:
// the same rows as seed-queue.js writes into SQLite, in batches of unnested arrays, counters computed once at the end.
// Usage: DATABASE_URL=… SECRET_KEY=… node bench/seed-queue-postgres.js [count]
'use strict';
const { loadConfig } = require('../dist/src/config');
const { createPool, migratePostgres } = require('../dist/src/store/postgres');
const { deriveKeys, Privacy } = require('../dist/src/domain/privacy');
const { ulid } = require('../dist/src/domain/ids');
const { renderMarkdown } = require('../dist/src/domain/render');
const { defaultSettings } = require('../dist/src/domain/settings');

async function main() {
  const total = Number(process.argv[2] ?? 1_000_000);
  const config = loadConfig();
  if (!config.secretKey || !config.databaseUrl) throw new Error('set SECRET_KEY and DATABASE_URL');
  const privacy = new Privacy(deriveKeys(config.secretKey));
  const pool = createPool(config.databaseUrl, 1);
  await migratePostgres(pool);
  const db = await pool.connect();
  // Bulk load: no per-row triggers (the counters are computed once below) and no waiting on each commit.
  await db.query(`SET session_replication_role = replica; SET synchronous_commit = off`);
  const site = 'queue-bench';
  const start = Date.now() - total * 1000;
  await db.query('INSERT INTO sites (id, name, settings, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [site, 'Queue bench', JSON.stringify(defaultSettings()), start]);
  const PAGES = 2000;
  const pageIds = (
    await db.query(
      `INSERT INTO pages (site_id, key, title, url, created_at)
       SELECT $1, '/articles/' || i, 'Article ' || i, 'https://news.example/articles/' || i, $2 FROM generate_series(0, $3 - 1) i
       ORDER BY i RETURNING id`,
      [site, start, PAGES],
    )
  ).rows.map((r) => r.id);
  const authors = Array.from({ length: 500 }, (_, i) => {
    const email = `reader${i}@example.com`;
    return { name: `Reader ${i}`, emailEnc: privacy.encryptEmail(email), emailHmac: privacy.emailHmac(site, email), avatar: privacy.avatarHash(site, email) };
  });
  const bodies = Array.from({ length: 50 }, (_, i) => {
    const source = `Comment text number ${i}: *thoughtful* words about the article, with a [link](https://example.com/${i}).`;
    return { source, html: renderMarkdown(source) };
  });
  const statuses = ['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'pending', 'pending', 'pending', 'spam'];
  const BATCH = 10_000;
  const t0 = Date.now();
  for (let done = 0; done < total; done += BATCH) {
    const cols = { id: [], page: [], status: [], shown: [], name: [], avatar: [], enc: [], hmac: [], ip: [], source: [], html: [], hash: [], reasons: [], at: [] };
    for (let i = done; i < Math.min(total, done + BATCH); i++) {
      const a = authors[i % authors.length];
      const b = bodies[i % bodies.length];
      const status = statuses[i % statuses.length];
      const createdAt = start + i * 1000;
      cols.id.push(`c_${ulid(createdAt)}`);
      cols.page.push(pageIds[i % PAGES]);
      cols.status.push(status);
      cols.shown.push(status === 'approved');
      cols.name.push(a.name);
      cols.avatar.push(a.avatar);
      cols.enc.push('\\x' + a.emailEnc.toString('hex'));
      cols.hmac.push(a.emailHmac);
      cols.ip.push(`ip${i % 1000}`);
      cols.source.push(b.source);
      cols.html.push(b.html);
      cols.hash.push(`h${i}`);
      cols.reasons.push(status === 'pending' ? '[{"code":"first_time","detail":"First comment"}]' : '[]');
      cols.at.push(createdAt);
    }
    await db.query(
      `INSERT INTO comments (id, site_id, page_id, parent_id, root_id, depth, path, status, shown, author_name, author_website,
         avatar, email_enc, email_hmac, ip_hmac, user_agent, body_source, body_html, body_hash, reasons, edit_token_hash,
         created_at, status_changed_at)
       SELECT id, $1, page, NULL, id, 0, id, status, shown, name, NULL, avatar, enc, hmac, ip, 'bench', source, html, hash,
         reasons, NULL, at, at
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::bytea[], $9::text[],
         $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[])
         AS t(id, page, status, shown, name, avatar, enc, hmac, ip, source, html, hash, reasons, at)`,
      [site, cols.id, cols.page, cols.status, cols.shown, cols.name, cols.avatar, cols.enc, cols.hmac, cols.ip, cols.source, cols.html, cols.hash, cols.reasons, cols.at],
    );
    process.stderr.write(`\rseeded ${Math.min(total, done + BATCH).toLocaleString('en')} / ${total.toLocaleString('en')}`);
  }
  // The counts from the rows, each in one row (the triggers spread later changes over more).
  await db.query('DELETE FROM comment_counts WHERE site_id = $1', [site]);
  await db.query('DELETE FROM page_counts WHERE page_id IN (SELECT id FROM pages WHERE site_id = $1)', [site]);
  await db.query(`INSERT INTO comment_counts (site_id, status, n) SELECT site_id, status, count(*) FROM comments WHERE site_id = $1 GROUP BY 1, 2`, [site]);
  await db.query(`UPDATE pages p SET approved_count = c.a, pending_count = c.p FROM (
      SELECT page_id, count(*) FILTER (WHERE status = 'approved') AS a, count(*) FILTER (WHERE status = 'pending') AS p
      FROM comments WHERE site_id = $1 GROUP BY page_id) c WHERE c.page_id = p.id`, [site]);
  await db.query('ANALYZE');
  db.release();
  await pool.end();
  process.stderr.write(`\nseeded ${total.toLocaleString('en')} comments into PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
