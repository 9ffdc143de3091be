// Automated accessibility audit (axe-core) in real Chromium: the demo page with the widget and every console
// view, each in the states a person meets them in, light and dark. No serious or critical finding is allowed.
import type { Browser, Page } from 'playwright-core';
import { buildAdmin, buildEmbed, launchBrowser, openPage } from '../helpers/browser';
import { seriousFindings, type Finding } from '../helpers/axe';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

jest.setTimeout(90_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let closePage: () => Promise<void>;

beforeAll(async () => {
  buildEmbed();
  buildAdmin();
  browser = await launchBrowser();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', TRUST_PROXY: 'true' } });
  await configure(server, { ...fastPosting, moderation: 'none', reportThreshold: 2, blockedWords: ['casino'] });
  await seedThread();
});
afterAll(async () => {
  await server.stop();
  await browser.close();
});
afterEach(async () => {
  await closePage();
});

const demo = (path: string) => call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/', ...JSON.parse(path) } });
let heldId = '';

/** A thread on the demo page, a held comment with reasons and reports, a ban and audit rows. */
async function seedThread(): Promise<void> {
  const first = await demo(JSON.stringify({ name: 'Grace', email: 'grace@example.com', website: 'https://grace.example/', body: 'Does the path **flood** in winter? See https://a.example' }));
  await demo(JSON.stringify({ parentId: first.body.comment.id, name: 'Ada', email: 'ada@example.com', body: 'Only by Saltmarsh Lane.\n\n> after heavy rain' }));
  // Reported twice (the threshold), and it carries held reasons: links and a blocked word.
  const held = await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/', name: 'Mallory', email: 'mallory@example.com', body: 'Best casino deals: https://a.example https://b.example' },
    headers: { 'x-forwarded-for': '203.0.113.9' },
  });
  heldId = held.body.comment.id;
  await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action: 'approve', ids: [heldId] } });
  for (const [ip, reason, note] of [['198.51.100.1', 'spam', 'Advertising.'], ['198.51.100.2', 'abuse', null]] as const) {
    const r = await call(server, 'POST', `/api/v1/comments/${heldId}/reports`, { body: { reason, ...(note ? { note } : {}) }, headers: { 'x-forwarded-for': ip } });
    expect(r.status).toBe(202);
  }
  await configure(server, { moderation: 'all' });
  for (let i = 0; i < 3; i++)
    await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page: '/post', name: `Reader ${i}`, email: `r${i}@example.com`, body: `Pending comment ${i}.` } });
  const ban = await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { email: 'spammer@example.com', reason: 'Spam run' } });
  expect(ban.status).toBe(201);
}

function describeFindings(where: string, findings: Finding[]): string {
  return findings.map((f) => `${where}: [${f.impact}] ${f.id} — ${f.help}\n${f.nodes.map((n) => `    ${n.target}: ${n.summary}`).join('\n')}`).join('\n');
}

/** Audits the page in its current state; the message lists every serious or critical finding. */
async function expectAccessible(where: string): Promise<void> {
  const findings = await seriousFindings(page);
  if (findings.length) throw new Error(`axe found serious or critical problems\n${describeFindings(where, findings)}`);
}

async function open(colorScheme: 'light' | 'dark'): Promise<void> {
  ({ page, close: closePage } = await openPage(browser, { colorScheme }));
}

async function signIn(secret = server.ownerToken): Promise<void> {
  await page.goto(server.baseUrl + '/admin');
  await page.fill('#token', secret);
  await page.press('#token', 'Enter');
}

describe.each(['light', 'dark'] as const)('%s colour scheme', (scheme) => {
  it('the demo page with the widget: thread, form errors, reply and report panels', async () => {
    await open(scheme);
    await page.goto(server.baseUrl + '/');
    const widget = page.locator('#comments');
    await widget.locator('h2', { hasText: '2 Comments' }).waitFor();
    await expectAccessible('demo page');

    await widget.getByRole('button', { name: 'Post Comment' }).click();
    await widget.locator('[aria-invalid=true]').first().waitFor();
    await expectAccessible('demo page, form errors');

    await widget.getByRole('button', { name: 'Reply to Grace' }).click();
    await widget.getByRole('button', { name: 'Report' }).first().click();
    await widget.locator('select').waitFor();
    await expectAccessible('demo page, reply form and report panel');
  });

  it('the console: sign-in, a wrong token, the queue with a focused item, its reasons and reports, and the help', async () => {
    await open(scheme);
    await page.goto(server.baseUrl + '/admin');
    await page.waitForSelector('#token');
    await expectAccessible('sign-in');
    await signIn('mt_wrong');
    await page.locator('#signin-error', { hasText: /\S/ }).waitFor();
    await expectAccessible('sign-in, wrong token');

    await signIn();
    await page.waitForSelector('.item.focused');
    await expectAccessible('queue, pending');
    await page.click('.status-tabs [data-status=reported]');
    await page.waitForSelector(`.item[data-id="${heldId}"].focused .reasons`);
    // The focused item shows each reason's detail and the report lines.
    expect(await page.locator('.item.focused .reasons .detail').first().isVisible()).toBe(true);
    expect(await page.locator('.item.focused .reports li').count()).toBe(2);
    await expectAccessible('queue, reported, focused item with reasons and reports');
    await page.keyboard.press('x');
    await page.waitForSelector('.bulk:not([hidden])');
    await page.keyboard.press('b');
    await page.waitForSelector('.ban-form');
    await expectAccessible('queue, selection, bulk bar and ban form');
    await page.keyboard.press('Escape');
    await page.click('.status-tabs [data-status=deleted]');
    await page.waitForSelector('.empty');
    await expectAccessible('queue, empty tab');
    await page.keyboard.press('?');
    await page.waitForSelector('[role=dialog]');
    await expectAccessible('help dialog');
  });

  it('the console: pages, bans, audit log, settings with an error, notifications, tokens with a new secret, import and export', async () => {
    await open(scheme);
    await signIn();
    await page.waitForSelector('.item');
    for (const [view, ready] of [
      ['pages', 'table'],
      ['bans', 'table'],
      ['log', 'table'],
      ['settings', 'form.settings'],
      ['notifications', 'ul.webhooks'],
      ['tokens', 'table'],
      ['transfer', 'form'],
    ]) {
      await page.click(`nav a[data-view=${view}]`);
      await page.waitForSelector(`main ${ready}`);
      await expectAccessible(view);
    }
    await page.click('nav a[data-view=settings]');
    await page.waitForSelector('form.settings');
    await page.fill('form.settings input[type=number] >> nth=0', '-5');
    await page.click('form.settings button[type=submit]');
    await page.waitForSelector('.field-error:not(:empty)');
    await expectAccessible('settings, field error');
    await page.click('nav a[data-view=tokens]');
    await page.waitForSelector('main table');
    await page.click('main form button[type=submit]');
    await page.waitForSelector('.secret:not(:empty)');
    await expectAccessible('tokens, new secret shown');
  });

  it('the console: sites list, the new-site form with an error, a site page with its snippet, install check and preview', async () => {
    await open(scheme);
    await signIn();
    await page.waitForSelector('.item');
    await page.click('nav a[data-view=sites]');
    await page.waitForSelector('form.new-site');
    await page.waitForSelector('main table tr[data-site=demo]');
    await expectAccessible('sites list with the new-site form');
    // An id that is taken: the field's own error is shown.
    await page.fill('#f-id', 'demo');
    await page.press('#f-id', 'Enter');
    await page.waitForSelector('#err-id:not(:empty)');
    await expectAccessible('new-site form, field error');
    await page.locator('tr[data-site=demo] button.open-site').click();
    await page.waitForSelector('#snippet');
    await page.waitForSelector('#install-check');
    await page.locator('#preview-widget h2').first().waitFor();
    await expectAccessible('site page: snippet, install check and preview');
  });

  it("the console's owners-only page for a moderator", async () => {
    const created = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { role: 'moderator', site: 'demo', label: 'a11y' } });
    await open(scheme);
    await signIn(created.body.token);
    await page.waitForSelector('.item');
    await page.evaluate(() => ((globalThis as any).location.hash = '#/settings'));
    await page.waitForSelector('.owners-only');
    await expectAccessible('owners only');
  });

  it("the console's Person panel: a person's comments, the erase confirmation and its result", async () => {
    // Its own site, so that erasing leaves the other audits' data alone.
    await server.services.sites.create({ id: `person-${scheme}`, settings: { ...fastPosting, moderation: 'all', origins: [server.baseUrl] } }, Date.now());
    const postOn = (body: Record<string, unknown>) => call(server, 'POST', `/api/v1/sites/person-${scheme}/comments`, { body: { page: '/p', ...body } });
    const first = await postOn({ name: 'Lin', email: 'lin@example.com', body: 'A first thought.' });
    await call(server, 'POST', `/api/v1/sites/person-${scheme}/moderation/actions`, { token: server.ownerToken, body: { action: 'approve', ids: [first.body.comment.id] } });
    await postOn({ parentId: first.body.comment.id, name: 'Lin', email: 'lin@example.com', body: 'And a reply to myself, still pending.' });
    await open(scheme);
    await page.addInitScript((site) => (globalThis as any).sessionStorage.setItem('marginalia.site', site), `person-${scheme}`);
    await signIn();
    await page.waitForSelector('.item.focused');
    await page.click('.item.focused button.person-open');
    await page.locator('.person-panel .person-comment').nth(1).waitFor();
    await expectAccessible('person panel');
    await page.click('#person-erase');
    await page.waitForSelector('#person-erase-confirm');
    await expectAccessible('person panel, erase confirmation');
    await page.click('#person-erase-confirm');
    await page.locator('.person-status', { hasText: 'Erased 2 comments.' }).waitFor();
    await expectAccessible('person panel, erased');
    await page.keyboard.press('Escape');
    await page.click('.status-tabs [data-status=deleted]');
    await page.waitForSelector('.item .placeholder');
    await expectAccessible('queue, erased placeholders');
  });
});
