// The moderation console in real Chromium against the real server: sign-in, keyboard triage, bulk, bans, settings, XSS.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, launchBrowser, openPage, foreignRequests, watchCsp, cspViolations, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

jest.setTimeout(30_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

beforeAll(async () => {
  buildAdmin();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  // TRUST_PROXY lets a test post from distinct client addresses (X-Forwarded-For), so an address ban is testable.
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', TRUST_PROXY: 'true' } });
  await configure(server, { ...fastPosting, moderation: 'all' });
  ({ page, rec, close: closePage } = await openPage(browser));
  // CSP violations, recorded by the page itself (console messages alone can be missed or reworded).
  await watchCsp(page);
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

// ---- helpers -------------------------------------------------------------------------------------------------

let seq = 0;
/** Posts a comment over the public API (held, as the policy is `all`) and returns its id. */
async function post(over: Record<string, unknown> = {}, ip?: string): Promise<string> {
  seq++;
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/post', name: `Reader ${seq}`, email: `reader${seq}@example.com`, body: `Comment number ${seq}, written for the queue.`, ...over },
    headers: ip ? { 'x-forwarded-for': ip } : {},
  });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id;
}

async function statuses(): Promise<Record<string, string>> {
  const r = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all&limit=200', { token: server.ownerToken });
  expect(r.status).toBe(200);
  return Object.fromEntries(r.body.items.map((i: { id: string; status: string }) => [i.id, i.status]));
}

/** Polls `get` until it deep-equals `want` (actions reach the server after their undo delay), then asserts. */
async function eventually<T>(get: () => Promise<T>, want: T, timeoutMs = 9000): Promise<void> {
  const end = Date.now() + timeoutMs;
  // Same test as the final expect (key order does not matter), so a match ends the wait at once.
  const matches = (value: T) => {
    try {
      expect(value).toEqual(want);
      return true;
    } catch {
      return false;
    }
  };
  let got = await get();
  while (Date.now() < end && !matches(got)) {
    await new Promise((r) => setTimeout(r, 100));
    got = await get();
  }
  expect(got).toEqual(want);
}

async function signIn(secret = server.ownerToken): Promise<void> {
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', secret);
  await page.press('#token', 'Enter');
}

async function signInToQueue(count: number): Promise<string[]> {
  await signIn();
  await page.waitForSelector(`.item[data-index="${count - 1}"]`);
  return page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id as string));
}

/** The element with keyboard focus: an `.item` (its index and id), or another element by tag and id. */
function active(): Promise<{ index: number; id: string } | { tag: string; id: string } | null> {
  return page.evaluate(() => {
    const el = (globalThis as any).document.activeElement;
    if (!el || el === (globalThis as any).document.body) return null;
    if (el.classList.contains('item')) return { index: Number(el.dataset.index), id: el.dataset.id };
    return { tag: el.tagName.toLowerCase(), id: el.id };
  });
}

/** Nothing blocked by the CSP, no uncaught error, no request to another host; other console errors only if allowed. */
async function expectCleanPage(allowedConsole: RegExp[] = []): Promise<void> {
  expect(await cspViolations(page)).toEqual([]);
  expect(rec.consoleErrors.filter((m) => /content security policy/i.test(m))).toEqual([]);
  expect(rec.consoleErrors.filter((m) => !allowedConsole.some((re) => re.test(m)))).toEqual([]);
  expect(rec.errors).toEqual([]);
  expect(rec.dialogs).toEqual([]);
  expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
  expect(rec.requests.length).toBeGreaterThan(0);
}

// ---- sign-in -------------------------------------------------------------------------------------------------

test('signs in with the owner token and shows the pending queue', async () => {
  const ids = [await post({ name: 'Ada' }), await post({ name: 'Grace' })];
  await signIn();
  await page.waitForSelector('.item');
  expect(await page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id))).toEqual([...ids].reverse()); // newest first
  expect(await page.textContent('.list')).toContain('Grace');
  expect(await page.textContent('.status-tabs [data-status=pending] .count')).toBe('2');
  expect(await page.textContent('header.top')).toContain('owner');
  // The token lives in this tab's sessionStorage only.
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('marginalia.token'))).toBe(server.ownerToken);
  expect(await active()).toEqual({ index: 0, id: ids[1] });
  await expectCleanPage();
});

test('a wrong token shows a clear error and no queue', async () => {
  await post();
  await signIn('mt_this-is-not-a-token');
  const error = page.locator('#signin-error[role=alert]');
  await error.filter({ hasText: /\S/ }).waitFor();
  expect(await error.textContent()).toMatch(/not accepted.*wrong or has been revoked/);
  expect(await page.locator('.list, .item, .status-tabs').count()).toBe(0);
  expect(await page.locator('#token').isVisible()).toBe(true);
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('marginalia.token'))).toBeNull();
  // An empty token is refused before any request.
  await page.fill('#token', '');
  await page.press('#token', 'Enter');
  await page.locator('#signin-error', { hasText: 'Paste a token' }).waitFor();
  await expectCleanPage([/status of 401/]);
});

test('signing out sends the action still in its undo time and forgets the token; signing in again starts clean', async () => {
  await post();
  await post();
  const [first, second] = await signInToQueue(2);
  await page.keyboard.press('a');
  expect(await active()).toEqual({ index: 0, id: second });
  await page.click('#sign-out');
  await page.waitForSelector('#token');
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('marginalia.token'))).toBeNull();
  // Sooner than the undo delay: only the sign-out can have sent it (the timer would have no token left).
  await eventually(statuses, { [first]: 'approved', [second]: 'pending' }, 3000);
  // Signing in again in the same tab: the earlier session no longer reacts (one settings request, not two).
  await page.fill('#token', server.ownerToken);
  await page.press('#token', 'Enter');
  await page.waitForSelector(`.item[data-id="${second}"]`);
  await page.click('a[data-view=settings]');
  await page.waitForSelector('form.settings');
  await page.waitForTimeout(200);
  expect(rec.requests.filter((u) => u.endsWith('/api/v1/sites/demo/settings'))).toHaveLength(1);
  await expectCleanPage();
});

test('a moderator token sees the queue but not the owner-only sections', async () => {
  const created = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'Night shift' } });
  expect(created.status).toBe(201);
  const id = await post();
  await signIn(created.body.token);
  await page.waitForSelector(`.item[data-id="${id}"]`);
  expect(await page.textContent('header.top')).toContain('moderator · Night shift');
  expect(await page.$$eval('nav.tabs-main a', (els) => els.map((e) => (e as any).dataset.view))).toEqual(['queue', 'pages', 'bans', 'log', 'sites']);
  await expectCleanPage();
});

// ---- keyboard triage -------------------------------------------------------------------------------------------

test('triages 20 pending comments with the keyboard alone; statuses land over the API', async () => {
  const created: string[] = [];
  for (let i = 0; i < 20; i++) created.push(await post({ name: `Triage ${i}`, email: `triage${i}@example.com`, body: `Queue item ${i}: a distinct body.` }));
  const shown = await signInToQueue(20);
  expect([...shown].sort()).toEqual([...created].sort());

  // A model of the queue the UI should follow: what is listed, which is focused, what each comment becomes.
  const TO: Record<string, string> = { a: 'approved', r: 'rejected', s: 'spam', d: 'deleted' };
  let list = [...shown];
  let focus = 0;
  let selected = new Set<string>();
  const expected: Record<string, string> = Object.fromEntries(shown.map((id) => [id, 'pending']));
  let last: { ids: string[]; removed: { id: string; index: number }[] } | null = null;
  let undone: string | null = null;

  const expectFocusOnModel = async () => expect(await active()).toEqual({ index: focus, id: list[focus] });

  async function key(k: string): Promise<void> {
    await page.keyboard.press(k);
    if (k === 'j') focus = Math.min(list.length - 1, focus + 1);
    else if (k === 'k') focus = Math.max(0, focus - 1);
    else if (k === 'x') {
      const id = list[focus];
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      expect(await page.$eval(`.item[data-id="${id}"]`, (e) => e.classList.contains('selected'))).toBe(selected.has(id));
    } else if (k in TO) {
      const ids = selected.size ? list.filter((id) => selected.has(id)) : [list[focus]];
      const removed = list.map((id, index) => ({ id, index })).filter((r) => ids.includes(r.id));
      // The next comment after the focused one takes the focus: it is at the count of kept comments before it.
      focus = list.slice(0, focus).filter((id) => !ids.includes(id)).length;
      list = list.filter((id) => !ids.includes(id));
      focus = Math.min(focus, list.length - 1);
      for (const id of ids) expected[id] = TO[k];
      selected = new Set([...selected].filter((id) => !ids.includes(id)));
      last = { ids, removed };
    } else if (k === 'u') {
      expect(last).not.toBeNull();
      for (const { id, index } of last!.removed) list.splice(index, 0, id);
      for (const id of last!.ids) expected[id] = 'pending';
      focus = last!.removed[0].index;
      undone = last!.ids[0];
      last = null;
    } else throw new Error(`no model for ${k}`);
    await expectFocusOnModel();
    expect(await page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id))).toEqual(list);
  }

  await key('a');
  await key('r');
  await key('j');
  await key('s');
  await key('k');
  await key('d');
  // Two selected with x, then one key acts on both.
  await key('x');
  await key('j');
  await key('j');
  await key('x');
  expect(await page.textContent('.bulk')).toContain('2 selected');
  await key('r');
  expect(await page.isHidden('.bulk')).toBe(true);
  // Approve, then undo at once: the comment comes back, focused, and stays pending.
  await key('j');
  await key('a');
  await key('u');
  expect(await page.textContent('.toasts')).toContain('Undone');

  // `?` opens the key help; Escape closes it and gives the focus back to the comment.
  await page.keyboard.press('?');
  await page.waitForSelector('[role=dialog]');
  expect(await page.textContent('[role=dialog]')).toContain('Keyboard shortcuts');
  expect(await active()).toEqual({ tag: 'button', id: 'help-close' });
  await page.keyboard.press('Escape');
  expect(await page.locator('[role=dialog]').count()).toBe(0);
  await expectFocusOnModel();

  // `/` focuses the search box without typing a slash into it; Escape leaves it, and j/k work again.
  await page.keyboard.press('/');
  expect(await active()).toEqual({ tag: 'input', id: 'search' });
  expect(await page.inputValue('#search')).toBe('');
  await page.keyboard.press('Escape');
  await key('j');
  await key('k');

  // Clear the rest, cycling through the actions and stepping over the comment that was undone.
  const cycle = ['a', 's', 'a', 'r', 'd'];
  for (let n = 0; list.length > 1; n++) {
    if (list[focus] === undone) await key(focus === list.length - 1 ? 'k' : 'j');
    await key(cycle[n % cycle.length]);
  }
  expect(list).toEqual([undone]);
  const tally = Object.values(expected).reduce<Record<string, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
  expect(Object.keys(tally).sort()).toEqual(['approved', 'deleted', 'pending', 'rejected', 'spam']);
  expect(tally.pending).toBe(1);

  // The last action goes out when its undo time is up.
  await eventually(statuses, expected);
  await page.locator('.status-tabs [data-status=pending] .count', { hasText: /^1$/ }).waitFor();
  // Undo means the approval was never sent: the undone comment has no moderator entry in the audit log.
  const log = await call(server, 'GET', `/api/v1/sites/demo/moderation/log?commentId=${undone}`, { token: server.ownerToken });
  expect(log.status).toBe(200);
  expect(log.body.items.filter((e: { actor: { type: string } }) => e.actor.type === 'token')).toEqual([]);
  await expectCleanPage();
});

// ---- bulk ----------------------------------------------------------------------------------------------------

test('bulk approves the comments selected with x and the checkboxes', async () => {
  for (let i = 0; i < 6; i++) await post({ name: `Bulk ${i}`, email: `bulk${i}@example.com` });
  const shown = await signInToQueue(6);
  await page.keyboard.press('x'); // item 0
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('x'); // item 2
  await page.check('.item[data-index="4"] input.select');
  expect(await page.textContent('.bulk')).toContain('3 selected');
  const chosen = [shown[0], shown[2], shown[4]];
  await page.click('.bulk [data-bulk=approve]');
  expect(await page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id))).toEqual([shown[1], shown[3], shown[5]]);
  expect(await page.isHidden('.bulk')).toBe(true);
  // Leaving the tab sends the waiting action at once; the approved tab lists the three.
  await page.click('.status-tabs [data-status=approved]');
  await page.waitForSelector('.item');
  await page.locator('.status-tabs [data-status=approved] .count', { hasText: /^3$/ }).waitFor();
  expect((await page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id))).sort()).toEqual([...chosen].sort());
  await eventually(statuses, Object.fromEntries(shown.map((id) => [id, chosen.includes(id) ? 'approved' : 'pending'])), 3000);
  await expectCleanPage();
});

// ---- bans ----------------------------------------------------------------------------------------------------

test('bans an author from the queue; their next post is refused, others still post', async () => {
  await post({ name: 'Bystander', email: 'bystander@example.com' }, '198.51.100.1');
  await post({ name: 'Mallory', email: 'mallory@example.com', body: 'Buy my stuff.' }, '203.0.113.7');
  await signInToQueue(2);
  expect(await page.textContent('.item[data-index="0"] .author')).toBe('Mallory');
  await page.keyboard.press('b');
  await page.waitForSelector('.item[data-index="0"] .ban-form');
  expect(await page.textContent('.item[data-index="0"] .ban-form')).toContain('Ban Mallory (mallory@example.com)');
  await page.selectOption('.ban-expiry', { label: 'for 7 days' });
  await page.fill('.ban-reason', 'selling things');
  const bannedAt = Date.now();
  await page.click('.item[data-index="0"] .ban-confirm');
  await page.locator('.toasts', { hasText: 'Banned Mallory' }).waitFor();
  expect(await page.locator('.ban-form').count()).toBe(0);

  const bans = await call(server, 'GET', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken });
  expect(bans.body.items.map((b: { kind: string }) => b.kind).sort()).toEqual(['email', 'ip']);
  const emailBan = bans.body.items.find((b: { kind: string }) => b.kind === 'email');
  expect(emailBan.value).toBe('mallory@example.com');
  expect(emailBan.reason).toBe('selling things');
  expect(Math.abs(Date.parse(emailBan.expiresAt) - (bannedAt + 7 * 86_400_000))).toBeLessThan(60_000);

  const attempt = (over: Record<string, unknown>, ip: string) =>
    call(server, 'POST', '/api/v1/sites/demo/comments', {
      body: { page: '/post', body: `Another try ${ip} ${JSON.stringify(over)}`, ...over },
      headers: { 'x-forwarded-for': ip },
    });
  // Same e-mail from a new address: refused by the e-mail ban.
  const sameEmail = await attempt({ name: 'Mallory', email: 'mallory@example.com' }, '192.0.2.50');
  expect(sameEmail.status).toBe(403);
  expect(sameEmail.body.detail).toBe('You cannot comment on this site.');
  // A new e-mail from the same address: refused by the address ban.
  expect((await attempt({ name: 'M.', email: 'm2@example.com' }, '203.0.113.7')).status).toBe(403);
  // Somebody else is unaffected.
  expect((await attempt({ name: 'Bystander', email: 'bystander@example.com' }, '198.51.100.1')).status).toBe(201);
  await expectCleanPage();
});

// ---- settings ------------------------------------------------------------------------------------------------

test('setting the policy to `all` holds the next public post', async () => {
  await configure(server, { moderation: 'none' });
  const before = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/post', name: 'Early', email: 'early@example.com', body: 'Published at once.' } });
  expect(before.status).toBe(201);
  expect(before.body.status).toBe('approved');

  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=settings]');
  await page.waitForSelector('form.settings');
  expect(await page.inputValue('#f-moderation')).toBe('none');
  await page.selectOption('#f-moderation', 'all');
  await page.click('form.settings button[type=submit]');
  await page.locator('form.settings [role=status]', { hasText: 'Saved.' }).waitFor();

  const settings = await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken });
  expect(settings.body.settings.moderation).toBe('all');
  const after = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/post', name: 'Late', email: 'late@example.com', body: 'Held for a moderator.' } });
  expect(after.status).toBe(201);
  expect(after.body.status).toBe('pending');
  await expectCleanPage();
});

test('a settings error is shown beside its field and nothing is saved', async () => {
  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=settings]');
  await page.waitForSelector('form.settings');
  await page.selectOption('#f-moderation', 'none');
  await page.fill('#f-maxLinks', '-1');
  await page.click('form.settings button[type=submit]');
  await page.locator('#err-maxLinks', { hasText: /\S/ }).waitFor();
  expect(await page.textContent('#err-maxLinks')).toMatch(/0|least|negative/i);
  expect(await page.getAttribute('#f-maxLinks', 'aria-invalid')).toBe('true');
  expect(await active()).toEqual({ tag: 'input', id: 'f-maxLinks' });
  expect(await page.textContent('form.settings [role=status]')).toContain('nothing was saved');
  // Only the field at fault carries an error.
  const others = await page.$$eval('.field-error', (els) => els.filter((e) => e.id !== 'err-maxLinks' && e.textContent).map((e) => e.id));
  expect(others).toEqual([]);

  const settings = await call(server, 'GET', '/api/v1/sites/demo/settings', { token: server.ownerToken });
  expect(settings.body.settings.moderation).toBe('all');
  expect(settings.body.settings.maxLinks).toBe(2);
  await expectCleanPage([/status of 400/]);
});

// ---- XSS -----------------------------------------------------------------------------------------------------

const XSS_BODY = [
  '<img src=x onerror=alert("img")>',
  '<script>alert("script")</script>',
  '[click me](javascript:alert("md-link"))',
  '<svg onload=alert("svg")><circle r=5></circle></svg>',
  '<a href="javascript:alert(\'a\')">raw link</a>',
  '<iframe src="javascript:alert(\'iframe\')"></iframe>',
  '![pic](javascript:alert("md-img"))',
  '<details open ontoggle=alert("details")>x</details>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert("mxss")>',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '<b style="background:url(javascript:alert(1))" onmouseover=alert("b")>bold text survives</b>',
  'plain words stay',
].join('\n\n');
const XSS_NAME = '"><img src=x onerror=alert("name")><script>alert("name")</script>';

test('a comment carrying XSS payloads is shown inert in the queue', async () => {
  // A parent with a hostile body and name, approved, so a held reply shows its excerpt and author too.
  const parent = await post({ name: XSS_NAME, email: 'parent@example.com', body: `<svg onload=alert("parent")> ${XSS_BODY}` });
  const approve = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action: 'approve', ids: [parent] } });
  expect(approve.body.results[0].ok).toBe(true);
  await post({ parentId: parent, name: 'Replier', email: 'replier@example.com', body: 'An ordinary reply.' });
  const hostile = await post({
    name: XSS_NAME,
    email: 'x@example.com',
    body: XSS_BODY,
    website: 'https://example.com/?q="><img src=x onerror=alert("web")>',
    pageTitle: '<img src=x onerror=alert("title")>',
  });

  await signInToQueue(2);
  const item = page.locator(`.item[data-id="${hostile}"]`);
  expect(await item.locator('.author').textContent()).toBe(XSS_NAME);
  expect(await item.locator('.page').textContent()).toContain('<img src=x onerror=alert("title")>');
  expect(await item.locator('.body').textContent()).toContain('bold text survives');
  expect(await item.locator('.body').textContent()).toContain('plain words stay');
  expect(await page.textContent('.item blockquote.parent')).toContain(`Reply to ${XSS_NAME}`);
  // Give any handler that slipped through the time to fire.
  await page.waitForTimeout(300);

  const found = await page.evaluate(() => {
    const doc = (globalThis as any).document;
    const all = Array.from(doc.querySelectorAll('#app *')) as any[];
    return {
      inBodies: Array.from(doc.querySelectorAll('.item .body *, .item blockquote *, .item .who *, .item .page *'))
        .map((e: any) => e.tagName.toLowerCase())
        .filter((t: string) => /^(script|img|svg|iframe|math|style|details|object|embed|form|input)$/.test(t)),
      handlers: all.flatMap((e) => Array.from(e.attributes as any[]).filter((a: any) => /^on/i.test(a.name)).map((a: any) => `${e.tagName}.${a.name}`)),
      badHrefs: all.map((e) => e.getAttribute('href') ?? e.getAttribute('src') ?? '').filter((u: string) => /^\s*(javascript|data|vbscript):/i.test(u)),
      scripts: doc.querySelectorAll('script').length,
    };
  });
  expect(found).toEqual({ inBodies: [], handlers: [], badHrefs: [], scripts: 1 }); // the one script is admin.js
  expect(rec.dialogs).toEqual([]);
  await expectCleanPage();
});

// ---- bulk restore and bulk ban ---------------------------------------------------------------------------------

test('restores spam in bulk, and bans the authors of the selected comments at once', async () => {
  const a = await post({ name: 'Spammer A', email: 'a@spam.example' }, '203.0.113.21');
  const b = await post({ name: 'Spammer B', email: 'b@spam.example' }, '203.0.113.22');
  const keep = await post({ name: 'Innocent', email: 'innocent@example.com' }, '198.51.100.9');
  const spam = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action: 'spam', ids: [a, b, keep] } });
  expect(spam.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);

  await signIn();
  await page.waitForSelector('.status-tabs [data-status=spam]');
  await page.click('.status-tabs [data-status=spam]');
  await page.waitForSelector(`.item[data-id="${keep}"]`);
  // Restore the innocent one from the spam tab, by selection and the bulk bar.
  await page.check(`.item[data-id="${keep}"] input.select`);
  expect(await page.$$eval('.bulk [data-bulk]', (els) => els.map((e) => (e as any).dataset.bulk))).toEqual(['approve', 'reject', 'delete', 'restore', 'ban']);
  await page.click('.bulk [data-bulk=restore]');
  expect(await page.locator(`.item[data-id="${keep}"]`).count()).toBe(0);

  // Select the other two with the keyboard and press b: one form bans both authors.
  await page.locator('.item[data-index="0"]').focus();
  await page.keyboard.press('x');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.keyboard.press('b');
  await page.waitForSelector('.bulk .ban-form');
  expect(await page.textContent('.bulk .ban-form')).toContain('Ban 2 authors');
  await page.click('.bulk .ban-confirm');
  await page.locator('.toasts', { hasText: 'Banned 2 authors' }).waitFor();
  expect(await page.isHidden('.bulk')).toBe(true);

  const bans = await call(server, 'GET', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken });
  expect(bans.body.items.filter((x: { kind: string }) => x.kind === 'email').map((x: { value: string }) => x.value).sort()).toEqual(['a@spam.example', 'b@spam.example']);
  const again = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/post', name: 'Spammer A', email: 'a@spam.example', body: 'Back again.' }, headers: { 'x-forwarded-for': '192.0.2.99' } });
  expect(again.status).toBe(403);
  // The restore reached the server once its undo delay ran out (a ban is not a status action and does not cancel it).
  await eventually(async () => (await statuses())[keep], 'pending');
  await expectCleanPage();
});

// ---- pages, audit log, tokens -----------------------------------------------------------------------------------

test('closes a page from the pages view; the next post to it is refused until it is opened again', async () => {
  await post({ page: '/closing', pageTitle: 'A page to close' });
  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=pages]');
  const toggle = page.locator('button[data-page="/closing"]');
  await toggle.waitFor();
  expect(await toggle.textContent()).toBe('Close comments');
  await toggle.click();
  await page.locator('button[data-page="/closing"]', { hasText: 'Open comments' }).waitFor();
  const refused = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/closing', name: 'Late', email: 'late@example.com', body: 'Too late.' } });
  expect(refused.status).toBe(403);
  await page.click('button[data-page="/closing"]');
  await page.locator('button[data-page="/closing"]', { hasText: 'Close comments' }).waitFor();
  const accepted = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/closing', name: 'Late', email: 'late@example.com', body: 'Open again.' } });
  expect(accepted.status).toBe(201);
  // The page's pending count leads to the queue filtered on that page.
  await page.click('a[data-view=bans]');
  await page.click('a[data-view=pages]');
  await page.locator('tr', { hasText: '/closing' }).locator('button.link', { hasText: '2 pending' }).click();
  await page.waitForSelector('.item');
  expect(await page.inputValue('#filter-page')).toBe('/closing');
  expect(await page.locator('.list .item').count()).toBe(2);
  await expectCleanPage();
});

test("fixes a page's title and URL from the pages view: an off-site URL is refused beside its field, then readers' posts leave them alone", async () => {
  await configure(server, { origins: ['https://blog.example'] });
  await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/greenway', pageTitle: 'Typed by a stranger', name: 'First', email: 'first@example.com', body: 'First!' },
  });
  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=pages]');
  const row = page.locator('tr', { hasText: '/greenway' });
  const editButton = row.getByRole('button', { name: 'Edit title and URL of Typed by a stranger' });
  await editButton.click();
  // Escape puts the row back as it was, the focus back on the button.
  await row.getByLabel('Title', { exact: true }).press('Escape');
  expect(await editButton.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
  await editButton.click();
  const title = row.getByLabel('Title', { exact: true });
  expect(await title.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
  await title.fill('The Greenway Opens');
  await row.getByLabel('URL', { exact: true }).fill('https://elsewhere.example/greenway');
  await row.getByRole('button', { name: 'Save' }).click();
  await row.locator('.field-error', { hasText: "Must be on one of the site's origins" }).waitFor();
  expect(await row.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
  expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=/greenway')).body.page.title).toBe('Typed by a stranger');
  await row.getByLabel('URL', { exact: true }).fill('https://blog.example/2026/greenway');
  await row.getByRole('button', { name: 'Save' }).click();
  const link = page.locator('tr', { hasText: '/greenway' }).getByRole('link', { name: 'The Greenway Opens' });
  await link.waitFor();
  expect(await link.getAttribute('href')).toBe('https://blog.example/2026/greenway');
  expect(await page.locator('tr', { hasText: '/greenway' }).textContent()).toContain('set by a moderator');
  await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/greenway', pageTitle: 'Hijacked', pageUrl: 'https://blog.example/hijacked', name: 'Later', email: 'later@example.com', body: 'Later.' },
  });
  expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=/greenway')).body.page).toMatchObject({ title: 'The Greenway Opens', url: 'https://blog.example/2026/greenway' });
  await expectCleanPage([/status of 400/]); // the refused URL
});

test('the audit log shows who moved which comment from what to what', async () => {
  const id = await post();
  await signInToQueue(1);
  await page.keyboard.press('r');
  await eventually(async () => (await statuses())[id], 'rejected');
  await page.click('a[data-view=log]');
  const row = page.locator('table tbody tr', { hasText: id }).filter({ hasText: 'rejected' });
  await row.first().waitFor();
  expect(await row.first().textContent()).toContain('pending → rejected');
  await expectCleanPage();
});

test('an owner creates a moderator token that is shown once and works, then revokes it', async () => {
  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=tokens]');
  await page.waitForSelector('#token-label');
  await page.fill('#token-label', 'Weekend cover');
  await page.click('form.filters button[type=submit]');
  const secretEl = page.locator('.token-secret');
  await secretEl.waitFor();
  const secret = (await secretEl.textContent())!.trim();
  expect(await page.textContent('.secret')).toContain('will not be shown again');
  const me = await call(server, 'GET', '/api/v1/me', { token: secret });
  expect(me.status).toBe(200);
  expect(me.body.token).toMatchObject({ role: 'moderator', site: 'demo', label: 'Weekend cover' });
  // Shown once: another visit to the view does not show it.
  await page.click('a[data-view=bans]');
  await page.click('a[data-view=tokens]');
  const row = page.locator('tr', { hasText: 'Weekend cover' });
  await row.waitFor();
  expect(await page.locator('.token-secret').count()).toBe(0);
  expect(await page.content()).not.toContain(secret);
  await row.locator('button', { hasText: 'Revoke' }).click();
  await page.locator('tr', { hasText: 'Weekend cover' }).locator('text=revoked').waitFor();
  expect((await call(server, 'GET', '/api/v1/me', { token: secret })).status).toBe(401);
  await expectCleanPage();
});

test('a token revoked while the console is open sends the moderator back to sign-in with a reason', async () => {
  const created = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'Temp' } });
  await post();
  await signIn(created.body.token);
  await page.waitForSelector('.item');
  expect((await call(server, 'DELETE', `/api/v1/tokens/${created.body.item.id}`, { token: server.ownerToken })).status).toBe(204);
  await page.click('a[data-view=bans]');
  await page.locator('#signin-error', { hasText: 'no longer accepted' }).waitFor();
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('marginalia.token'))).toBeNull();
  await expectCleanPage([/status of 401/]);
});

// ---- several sites -------------------------------------------------------------------------------------------

test('a token that sees several sites switches between them; an action waiting on one site is sent to that site', async () => {
  await server.services.sites.create({ id: 'blog', name: 'The Blog', settings: { origins: [server.baseUrl], moderation: 'all', minSubmitSeconds: 0, floodSeconds: 0 } }, Date.now());
  const onDemo = await post({ name: 'Demo reader' });
  const onBlog = await call(server, 'POST', '/api/v1/sites/blog/comments', { body: { page: '/b', name: 'Blog reader', email: 'blog@example.com', body: 'On the blog.' } });
  expect(onBlog.status).toBe(201);

  await signIn();
  await page.waitForSelector('#site-switcher');
  expect((await page.$$eval('#site-switcher option', (els) => els.map((e) => (e as any).value))).sort()).toEqual(['blog', 'demo']);
  await page.selectOption('#site-switcher', 'demo');
  await page.waitForSelector(`.item[data-id="${onDemo}"]`);
  expect(await page.textContent('.list')).not.toContain('Blog reader');
  await page.keyboard.press('a'); // waits out its undo time…
  await page.selectOption('#site-switcher', 'blog'); // …or goes now, to demo, as the site changes
  await page.waitForSelector(`.item[data-id="${onBlog.body.comment.id}"]`);
  expect(await page.locator(`.item[data-id="${onDemo}"]`).count()).toBe(0);
  await eventually(async () => (await statuses())[onDemo], 'approved', 3000);
  const blog = await call(server, 'GET', '/api/v1/sites/blog/moderation/comments?status=pending', { token: server.ownerToken });
  expect(blog.body.items.map((i: { id: string }) => i.id)).toEqual([onBlog.body.comment.id]);
  await expectCleanPage();
});

test('coming back to the queue from another section shows comments that arrived meanwhile', async () => {
  const first = await post();
  await signInToQueue(1);
  await page.click('a[data-view=bans]');
  await page.waitForSelector('h2:has-text("Bans")');
  const second = await post();
  await page.click('a[data-view=queue]');
  await page.waitForSelector(`.item[data-id="${second}"]`);
  expect(await page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id))).toEqual([second, first]);
  await page.locator('.status-tabs [data-status=pending] .count', { hasText: /^2$/ }).waitFor();
  await expectCleanPage();
});

test('the pages view pages on with Load more', async () => {
  for (let i = 0; i < 103; i++) await post({ page: `/many/${i}` });
  await signIn();
  await page.waitForSelector('.list');
  await page.click('a[data-view=pages]');
  await page.waitForSelector('table tbody tr');
  expect(await page.locator('table tbody tr').count()).toBe(100);
  await page.click('button.more');
  await page.locator('table tbody tr').nth(102).waitFor();
  expect(await page.locator('table tbody tr').count()).toBe(103);
  expect(await page.isHidden('button.more')).toBe(true);
  const keys = await page.$$eval('table tbody tr button[data-page]', (els) => els.map((e) => (e as any).dataset.page));
  expect(new Set(keys).size).toBe(103);
  await expectCleanPage();
});

test('approve & trust (A) takes the author\'s other pending comments out of the list too, and undo brings them all back', async () => {
  const ada1 = await post({ name: 'Ada', email: 'ada@example.com', body: 'First from Ada.' });
  const bob = await post({ name: 'Bob', email: 'bob@example.com' });
  const ada2 = await post({ name: 'Ada', email: 'ada@example.com', body: 'Second from Ada.' });
  const ids = () => page.$$eval('.list .item', (els) => els.map((e) => (e as any).dataset.id));
  expect(await signInToQueue(3)).toEqual([ada2, bob, ada1]);
  await page.keyboard.press('Shift+A');
  expect(await ids()).toEqual([bob]);
  expect(await active()).toEqual({ index: 0, id: bob });
  expect(await page.textContent('.toasts')).toContain('and 1 more by that author');
  await page.keyboard.press('u');
  expect(await ids()).toEqual([ada2, bob, ada1]);
  expect(await active()).toEqual({ index: 0, id: ada2 });
  await page.keyboard.press('Shift+A');
  await eventually(statuses, { [ada1]: 'approved', [ada2]: 'approved', [bob]: 'pending' });
  await expectCleanPage();
});

test('Escape in the search box returns focus to the comment it came from, and the keys work there again', async () => {
  for (let i = 0; i < 4; i++) await post();
  const ids = await signInToQueue(4);
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  expect(await active()).toEqual({ index: 2, id: ids[2] });
  await page.keyboard.press('/');
  expect(await active()).toEqual({ tag: 'input', id: 'search' });
  await page.keyboard.type('jjj'); // typed into the box, not moving the focus
  await page.keyboard.press('Escape');
  expect(await active()).toEqual({ index: 2, id: ids[2] });
  await page.keyboard.press('j');
  expect(await active()).toEqual({ index: 3, id: ids[3] });
  // From the other filter boxes too.
  await page.focus('#filter-email');
  await page.keyboard.press('Escape');
  expect(await active()).toEqual({ index: 3, id: ids[3] });
  await expectCleanPage();
});

test('a moderator who opens an owner-only view by its address sees a plain "owners only" page', async () => {
  const created = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'Night shift' } });
  const id = await post();
  await signIn(created.body.token);
  await page.waitForSelector(`.item[data-id="${id}"]`);
  // Typed into the address bar while signed in.
  await page.evaluate(() => ((globalThis as any).location.hash = '#/settings'));
  await page.locator('.owners-only', { hasText: 'Owners only' }).waitFor();
  expect(await page.textContent('main h2')).toBe('Settings');
  expect(await page.locator('main [role=alert], main .error, form.settings').count()).toBe(0);
  // Opened directly (a bookmark or a shared link), after a reload.
  await page.goto(server.baseUrl + '/admin#/tokens');
  await page.locator('.owners-only', { hasText: 'Owners only' }).waitFor();
  expect(await page.textContent('main h2')).toBe('Tokens');
  expect(await page.locator('main [role=alert], main .error').count()).toBe(0);
  // Neither view asked the API for what the token may not see.
  expect(rec.requests.filter((u) => /\/api\/v1\/(sites\/demo\/settings|tokens)/.test(u))).toEqual([]);
  await page.click('.owners-only a');
  await page.waitForSelector(`.item[data-id="${id}"]`);
  await expectCleanPage();
});
