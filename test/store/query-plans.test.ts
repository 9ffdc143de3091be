// Every statement the SQLite store prepares, as SQLite would run it on a database without statistics: a lookup by
// one author (their e-mail's HMAC) or by one address must use its own index, never walk all of a site's comments.
// Such a walk is invisible on a small database and grows with the site (a post's duplicate and trust checks did it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store';
import type { Repositories } from '../../src/domain/ports';

let dir: string;
let repos: Repositories;
const prepared = new Set<string>();
const original = Database.prototype.prepare;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-plans-'));
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    prepared.add(sql);
    return original.call(this, sql);
  } as typeof original;
  try {
    repos = openStore(path.join(dir, 'db.sqlite'));
  } finally {
    Database.prototype.prepare = original;
  }
});
afterAll(async () => {
  await repos.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string): string[] {
  const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
  try {
    // The functions the store registers on its own connection do not matter to the plan.
    db.function('wilson', () => 0);
    const named = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]))];
    const positional = (sql.replace(/'[^']*'/g, '').match(/\?/g) ?? []).length;
    const args: unknown[] = [];
    if (named.length) args.push(Object.fromEntries(named.map((n) => [n, null])));
    for (let i = 0; i < positional; i++) args.push(null);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
  } finally {
    db.close();
  }
}

const statements = () => [...prepared].filter((s) => /^\s*(SELECT|WITH|UPDATE|DELETE)/i.test(s));

test('the store prepares the statements this test looks at', () => {
  expect(statements().some((s) => /email_hmac = @emailHmac AND c\.body_hash/.test(s))).toBe(true);
  expect(statements().filter((s) => /email_hmac = [@?]/.test(s)).length).toBeGreaterThanOrEqual(5);
});

test('every lookup by an author uses comments_author', () => {
  const byAuthor = statements().filter((s) => /\bemail_hmac = [@?]/.test(s) && /FROM comments/.test(s));
  const wrong = byAuthor.map((s) => ({ s: s.replace(/\s+/g, ' ').slice(0, 160), plan: plan(s) })).filter(
    (x) => !x.plan.some((d) => /USING (COVERING )?INDEX comments_author \(email_hmac/.test(d)),
  );
  expect(wrong).toEqual([]);
});

test('every lookup by an address uses comments_ip', () => {
  const byIp = statements().filter((s) => /\bip_hmac = [@?]/.test(s) && /FROM comments/.test(s) && !/SET ip_hmac/.test(s));
  expect(byIp.length).toBeGreaterThan(0);
  const wrong = byIp.map((s) => ({ s: s.replace(/\s+/g, ' ').slice(0, 160), plan: plan(s) })).filter(
    (x) => !x.plan.some((d) => /INDEX comments_ip \(ip_hmac/.test(d)),
  );
  expect(wrong).toEqual([]);
});

test('the count of reported comments reads the partial index of reported ones', () => {
  const counts = statements().filter((s) => /count\(\*\)/.test(s) && /report_count > 0/.test(s));
  expect(counts.length).toBeGreaterThan(0);
  for (const s of counts) expect(plan(s).join('\n')).toMatch(/INDEX comments_reported/);
});
