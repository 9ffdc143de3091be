// The widget in real Chromium: votes, the sort switch, the Featured block, and live updates — a comment approved in
// the console shows behind "1 new comment" in an open widget without a reload; vote counts change in place.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, buildEmbed, launchBrowser, openPage, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act } from '../helpers/moderation';

jest.setTimeout(90_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

beforeAll(async () => {
  buildEmbed();
  buildAdmin();
  browser = await launchBrowser();
});
afterAll(() => browser.close());
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, moderation: 'none', votes: 'updown', rateLimits: { ...fastPosting.rateLimits, votesPerMinute: 10_000 } });
  ({ page, rec, close: closePage } = await openPage(browser));
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

const widget = () => page.locator('#comments');
const item = (id: string) => widget().locator(`.list li[data-id="${id}"]`);
/** Texts of the top-level comments' bodies, in the order shown. */
const order = () => widget().locator('.list > li > article .body').allTextContents();

async function seed(body: string, over: Record<string, unknown> = {}): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/', body, ...over }) });
  expect(r.status).toBe(201);
  return r.body.comment.id;
}
const voteApi = (id: string, value: number, n: number) =>
  call(server, 'POST', `/api/v1/comments/${id}/votes`, { body: { value }, headers: { 'marginalia-voter': `browser-test-voter-${String(n).padStart(4, '0')}` } });

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function openDemo(): Promise<void> {
  await page.goto(server.baseUrl + '/');
  await widget().locator('h2', { hasText: /\d+ Comments?/ }).waitFor();
}

test('votes from the widget: up, withdraw, down; remembered after a reload; none on one\'s own comment', async () => {
  const id = await seed('Worth a vote.');
  await openDemo();
  const up = item(id).getByRole('button', { name: /^Upvote/ });
  const down = item(id).getByRole('button', { name: /^Downvote/ });
  const n = (b: typeof up) => b.locator('.n').textContent().then((x) => Number(x));
  expect(await n(up)).toBe(0);
  expect(await up.textContent()).toBe('Upvote▲ 0');
  await up.click();
  await until(async () => (await n(up)) === 1, 'the upvote to count');
  expect(await up.getAttribute('aria-pressed')).toBe('true');
  // Focus stays on the button that was pressed, for keyboard users.
  expect(await page.evaluate(() => (globalThis as any).document.querySelector('#comments').shadowRoot.activeElement?.textContent)).toBe('Upvote▲ 1');
  const pub = async () => (await call(server, 'GET', '/api/v1/sites/demo/comments?page=/')).body.comments.find((c: any) => c.id === id);
  expect(await pub()).toEqual(expect.objectContaining({ upvotes: 1, downvotes: 0 }));

  await page.reload();
  await up.waitFor();
  expect(await up.getAttribute('aria-pressed')).toBe('true');
  await up.click(); // pressed again: withdrawn
  await until(async () => (await n(up)) === 0, 'the vote to be withdrawn');
  await down.click();
  await until(async () => (await n(down)) === 1, 'the downvote');
  expect(await pub()).toEqual(expect.objectContaining({ upvotes: 0, downvotes: 1, score: -1 }));

  // A comment the reader posted: counts shown, buttons off; the server refuses it too (the widget sent its voter key).
  const field = (name: string) => widget().getByRole('textbox', { name, exact: true });
  await field('Comment').fill('My own words.');
  await field('Name').fill('Ada');
  await field('Email').fill('ada@example.com');
  await widget().getByRole('button', { name: 'Post Comment' }).click();
  const mine = widget().locator('.list li', { hasText: 'My own words.' });
  await mine.waitFor();
  expect(await mine.getByRole('button', { name: /^Upvote/ }).isDisabled()).toBe(true);
  const myId = (await mine.getAttribute('data-id'))!;
  const key = await page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('marginalia:voter')));
  const refused = await call(server, 'POST', `/api/v1/comments/${myId}/votes`, { body: { value: 1 }, headers: { 'marginalia-voter': key } });
  expect(refused.status).toBe(403);
  expect(rec.errors).toEqual([]);
});

test('the sort switch: Best, Newest, Oldest, and Best only where the site counts votes', async () => {
  const a = await seed('Alpha');
  const b = await seed('Bravo');
  const c = await seed('Charlie');
  for (let i = 0; i < 3; i++) await voteApi(b, 1, i);
  await voteApi(a, 1, 10);
  await voteApi(c, -1, 11);
  await openDemo();
  expect(await order()).toEqual(['Alpha', 'Bravo', 'Charlie']);
  const sortButton = (name: string) => widget().getByRole('group', { name: 'Sort comments' }).getByRole('button', { name, exact: true });
  expect(await sortButton('Oldest').getAttribute('aria-pressed')).toBe('true');
  await sortButton('Best').click();
  await until(async () => (await order()).join() === 'Bravo,Alpha,Charlie', 'best order');
  expect(await sortButton('Best').getAttribute('aria-pressed')).toBe('true');
  expect(rec.requests.some((u) => u.includes('sort=best'))).toBe(true);
  await sortButton('Newest').click();
  await until(async () => (await order()).join() === 'Charlie,Bravo,Alpha', 'newest order');
  await configure(server, { votes: 'off' });
  await page.reload();
  await widget().getByRole('group', { name: 'Sort comments' }).getByRole('button', { name: 'Newest' }).waitFor();
  expect(await sortButton('Best').count()).toBe(0);
  expect(await widget().getByRole('button', { name: /^Upvote/ }).count()).toBe(0);
});

test('the Featured block shows above the thread when moderators featured a comment, and not otherwise', async () => {
  await seed('Plain comment');
  const star = await seed('The best thing said here.');
  await openDemo();
  expect(await widget().locator('section.feat').isHidden()).toBe(true);
  await act(server, { action: 'feature', ids: [star] });
  await page.reload();
  const block = widget().getByRole('region', { name: 'Featured' });
  await block.waitFor();
  expect(await block.locator('h3').textContent()).toBe('Featured');
  expect(await block.locator('li .body').allTextContents()).toEqual(['The best thing said here.']);
  // Above the thread.
  const above = await page.evaluate(() => {
    const r = (globalThis as any).document.querySelector('#comments').shadowRoot;
    return !!(r.querySelector('section.feat').compareDocumentPosition(r.querySelector('.list')) & 4);
  });
  expect(above).toBe(true);
});

test('a comment approved in the console shows behind "1 new comment" in an open widget, without a reload; votes change in place', async () => {
  const first = await seed('Already here.');
  await configure(server, { moderation: 'all' });
  await openDemo();
  await item(first).waitFor();
  // The comments are below the article: no stream until the reader scrolls to them.
  await page.waitForTimeout(300);
  expect(rec.requests.filter((u) => u.includes('/stream?page='))).toEqual([]);
  await widget().scrollIntoViewIfNeeded();
  await until(async () => rec.requests.some((u) => u.includes('/stream?page=')), 'the stream to open');
  const held = await seed('Approved while you read.');

  const console = await openPage(browser);
  try {
    await console.page.goto(server.baseUrl + '/admin');
    await console.page.fill('#token', server.ownerToken);
    await console.page.press('#token', 'Enter');
    await console.page.waitForSelector(`.item[data-id="${held}"]`);
    await console.page.click(`.item[data-id="${held}"] button[data-action="approve"]`);
    // The console sends the action after its undo delay; the widget hears it over the stream.
    const fresh = widget().getByRole('button', { name: '1 new comment' });
    await fresh.waitFor({ timeout: 15_000 });
  } finally {
    await console.close();
  }
  // Not inserted under the reader's eyes until asked for.
  expect(await item(held).count()).toBe(0);
  expect(await widget().locator('h2').textContent()).toBe('1 Comment');
  await widget().getByRole('button', { name: '1 new comment' }).click();
  await item(held).waitFor();
  expect(await item(held).locator('.body').textContent()).toBe('Approved while you read.');
  expect(await widget().locator('h2').textContent()).toBe('2 Comments');
  expect(await widget().getByRole('button', { name: /new comment/ }).count()).toBe(0);

  // Someone else votes: the count changes in place.
  await voteApi(first, 1, 1);
  await voteApi(first, 1, 2);
  const up = item(first).getByRole('button', { name: /^Upvote/ });
  await until(async () => (await up.locator('.n').textContent()) === ' 2', 'the live vote count');
  expect(rec.errors).toEqual([]);
});

test('the stream is open only while the comments are on screen and the tab is visible, and resumes where it left off', async () => {
  const first = await seed('On the page.');
  await openDemo();
  await page.waitForTimeout(300);
  expect(server.openStreams()).toBe(0);
  await widget().scrollIntoViewIfNeeded();
  await until(async () => server.openStreams() === 1, 'the stream to open');
  await voteApi(first, 1, 1);
  const up = item(first).getByRole('button', { name: /^Upvote/ });
  await until(async () => (await up.locator('.n').textContent()) === ' 1', 'the live vote');
  const setVisibility = (state: string) =>
    page.evaluate((s) => {
      const d = (globalThis as any).document;
      Object.defineProperty(d, 'visibilityState', { value: s, configurable: true });
      d.dispatchEvent(new (globalThis as any).Event('visibilitychange'));
    }, state);
  await setVisibility('hidden');
  await until(async () => server.openStreams() === 0, 'the stream to close in a hidden tab');
  const missed = await seed('Posted while the tab was hidden.');
  await setVisibility('visible');
  await until(async () => server.openStreams() === 1, 'the stream to reopen');
  const streamUrls = () => rec.requests.filter((u) => u.includes('/stream?'));
  await until(async () => streamUrls().length === 2, 'the page to record the second stream request');
  expect(streamUrls()[1]).toMatch(/lastEventId=/);
  // What was missed arrives on resume, behind the button.
  await widget().getByRole('button', { name: '1 new comment' }).waitFor();
  await widget().getByRole('button', { name: '1 new comment' }).click();
  await item(missed).waitFor();
  // Scrolled away: closed again.
  await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
  await until(async () => server.openStreams() === 0, 'the stream to close off screen');
});
