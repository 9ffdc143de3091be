// The install check's write-behind, with `now` passed in: one write per site and origin a minute, a bounded memory.
import { openDatabase, migrate, createSqliteRepositories } from '../../src/store';
import type { Repositories } from '../../src/domain/ports';
import { defaultSettings } from '../../src/domain/settings';
import { InstallCheck } from '../../src/domain/install-check';

const T = Date.UTC(2026, 10, 28, 12, 0, 0);
let repos: Repositories;
const errors: unknown[] = [];
beforeEach(async () => {
  const db = openDatabase(':memory:');
  migrate(db);
  repos = createSqliteRepositories(db);
  await repos.sites.create({ id: 'blog', name: 'Blog', settings: defaultSettings(), createdAt: T });
  errors.length = 0;
});
afterEach(() => repos.close());

const check = (options = {}) => new InstallCheck({ repo: repos.siteActivity, sites: repos.sites, onError: (e) => errors.push(e), options });
/** Lets the write that note() started run. */
const settle = () => new Promise((r) => setImmediate(r));
const seen = () => repos.siteActivity.widgetSightings('blog');

test('writes the first sighting, skips repeats within the minute, and moves the last-seen time after it', async () => {
  await repos.sites.update('blog', { settings: { ...defaultSettings(), origins: ['https://blog.example'] } });
  const c = check();
  c.note('blog', 'https://blog.example', T);
  await settle();
  expect(c.isFresh('blog', 'https://blog.example', T + 59_999)).toBe(true);
  c.note('blog', 'https://blog.example', T + 30_000); // within the minute: not written
  await settle();
  expect(await seen()).toEqual([{ origin: 'https://blog.example', allowedWhenSeen: true, firstSeenAt: T, lastSeenAt: T }]);
  // A minute later it is written again, with the site's list as it is then.
  await repos.sites.update('blog', { settings: defaultSettings() });
  expect(c.isFresh('blog', 'https://blog.example', T + 60_000)).toBe(false);
  c.note('blog', 'https://blog.example', T + 60_000);
  await settle();
  expect(await seen()).toEqual([{ origin: 'https://blog.example', allowedWhenSeen: false, firstSeenAt: T, lastSeenAt: T + 60_000 }]);
});

test('remembers at most maxRemembered pairs, forgetting the oldest written first', async () => {
  const c = check({ maxRemembered: 3 });
  for (let i = 0; i < 5; i++) c.note('blog', `https://s${i}.example`, T + i);
  await settle();
  expect(c.remembered).toBe(3);
  expect(c.isFresh('blog', 'https://s0.example', T + 10)).toBe(false); // forgotten: it would be written again
  expect(c.isFresh('blog', 'https://s4.example', T + 10)).toBe(true);
  expect((await seen()).length).toBe(5); // the store has them all
});

test('an unknown site is not written; a failed write is reported, never thrown into the request', async () => {
  const c = check();
  c.note('no-such-site', 'https://blog.example', T);
  await settle();
  expect(errors).toEqual([]);
  await repos.close(); // the database goes away under it
  expect(() => c.note('blog', 'https://blog.example', T)).not.toThrow();
  await settle();
  expect(errors).toHaveLength(1);
});

test('ignores what is not an origin', async () => {
  const c = check();
  for (const o of ['null', '', 'file://x', 'https://blog.example/', 'HTTPS://BLOG.EXAMPLE', 'https://blog.example/path']) c.note('blog', o, T);
  await settle();
  expect(await seen()).toEqual([]);
  expect(c.remembered).toBe(0);
});
