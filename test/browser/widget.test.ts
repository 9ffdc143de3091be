// The widget in real Chromium against the real server: the reader's main flows on the demo page.
import type { Browser, Page } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage, foreignRequests, focused, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

beforeAll(async () => {
  buildEmbed(); // the server serves dist/embed/embed.js: test the current sources
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, fastPosting);
  ({ page, rec, close: closePage } = await openPage(browser));
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

const widget = () => page.locator('#comments');
const item = (id: string) => widget().locator(`li[data-id="${id}"]`);
/** A form field by its accessible name (the label without its aria-hidden asterisk). */
const field = (name: string) => widget().getByRole('textbox', { name, exact: true });

async function seed(over: Record<string, unknown> = {}): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/', name: 'Grace', email: 'grace@example.com', body: 'A seeded comment.', ...over },
  });
  expect(r.status).toBe(201);
  return r.body.comment.id;
}

async function approve(...ids: string[]): Promise<void> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', {
    token: server.ownerToken,
    body: { action: 'approve', ids },
  });
  expect(r.status).toBe(200);
  expect(r.body.results.map((x: { ok: boolean }) => x.ok)).toEqual(ids.map(() => true));
}

async function openDemo(): Promise<void> {
  await page.goto(server.baseUrl + '/');
  await expect(widget().locator('h2')).toHaveCountText(/\d+ Comments?/);
}

async function fillForm(body: string, name = 'Ada Lovelace', email = 'ada@example.com') {
  await field('Comment').fill(body);
  await field('Name').fill(name);
  await field('Email').fill(email);
}

// A tiny polling matcher so assertions wait for the widget's asynchronous rendering.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveCountText(re: RegExp): Promise<R>;
    }
  }
}
expect.extend({
  async toHaveCountText(locator: ReturnType<Page['locator']>, re: RegExp) {
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await locator.first().textContent({ timeout: 5000 }).catch(() => '')) ?? '';
      if (re.test(text)) return { pass: true, message: () => `text ${text} matches ${re}` };
      await new Promise((r) => setTimeout(r, 50));
    }
    return { pass: false, message: () => `expected text matching ${re}, last saw ${JSON.stringify(text)}` };
  },
});

test('posts a comment that waits for moderation, then lists it once approved and the page reloads', async () => {
  await openDemo();
  await expect(widget().locator('h2')).toHaveCountText(/^0 Comments$/);
  await fillForm('I walked the whole greenway on **Sunday**.');
  await widget().getByRole('button', { name: 'Post Comment' }).click();

  const mine = widget().locator('li', { hasText: 'I walked the whole greenway' });
  await mine.getByText('Your comment is awaiting moderation.').waitFor();
  expect(await mine.locator('.body strong').textContent()).toBe('Sunday');
  // Focus moves to the new comment, so screen readers read it next.
  expect((await focused(page))?.tag).toBe('li');
  // Pending comments are not counted and the form is ready for another comment.
  await expect(widget().locator('h2')).toHaveCountText(/^0 Comments$/);
  expect(await field('Comment').inputValue()).toBe('');
  const id = (await mine.getAttribute('data-id'))!;
  expect(id).toMatch(/^c_/);

  await approve(id);
  await page.reload();
  await expect(widget().locator('h2')).toHaveCountText(/^1 Comment$/);
  await item(id).waitFor();
  expect(await item(id).locator('.body').textContent()).toContain('I walked the whole greenway on Sunday.');
  expect(await item(id).locator('.author').textContent()).toBe('Ada Lovelace');
  expect(await item(id).locator('.pending').count()).toBe(0);
  // The relative time carries the full date in its title.
  const time = item(id).locator('time');
  expect(await time.textContent()).toMatch(/now|second|minute/);
  expect(await time.getAttribute('title')).toMatch(/20\d\d/);

  expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
  expect(await page.context().cookies()).toEqual([]);
  expect(rec.errors).toEqual([]);
});

test('a reply opens the form under the comment and shows up nested beneath it, before and after approval', async () => {
  const parentId = await seed({ body: 'Does the path flood in winter?' });
  await approve(parentId);
  await openDemo();
  await item(parentId).getByRole('button', { name: 'Reply to Grace', exact: true }).click();

  // The form moved inside the comment, titled for the reply, with its text box focused.
  const form = item(parentId).locator('section.respond');
  await form.waitFor();
  expect(await form.locator('h3').textContent()).toBe('Reply to Grace');
  expect((await focused(page))?.name).toBe('body');

  await fillForm('Only the stretch by Saltmarsh Lane, after heavy rain.');
  await form.getByRole('button', { name: 'Post Comment' }).click();
  const reply = item(parentId).locator('ol.replies > li', { hasText: 'Only the stretch by Saltmarsh Lane' });
  await reply.getByText('Your comment is awaiting moderation.').waitFor();
  // The form went back to the end of the thread.
  expect(await item(parentId).locator('section.respond').count()).toBe(0);
  expect(await widget().locator('section.respond h3').textContent()).toBe('Add a Comment');

  const replyId = (await reply.getAttribute('data-id'))!;
  // After a reload the reader still sees their waiting reply in its place (kept in localStorage).
  await page.reload();
  await item(parentId).locator(`ol.replies > li[data-id="${replyId}"] p.pending`).waitFor();

  await approve(replyId);
  await page.reload();
  await item(replyId).waitFor();
  expect(await item(parentId).locator(`ol.replies > li[data-id="${replyId}"]`).count()).toBe(1);
  expect(await item(replyId).getAttribute('data-depth')).toBe('1');
  await expect(widget().locator('h2')).toHaveCountText(/^2 Comments$/);
  // The reply is indented under its parent.
  const parentBox = (await item(parentId).locator('.author').first().boundingBox())!;
  const replyBox = (await item(replyId).locator('.author').boundingBox())!;
  expect(replyBox.x).toBeGreaterThan(parentBox.x + 20);
});

test('a comment carrying XSS payloads renders as harmless text and its javascript: link does nothing', async () => {
  const payload = [
    '<script>window.__pwned = 1; alert(1)</script>',
    '<img src=x onerror="window.__pwned = 2; alert(2)">',
    '[click me](javascript:window.__pwned=3;alert(3))',
    '<a href="javascript:alert(4)">raw link</a>',
    '"><svg onload=alert(5)>',
  ].join('\n\n');
  const id = await seed({ name: '<img src=x onerror=alert(6)>', body: payload, website: 'https://grace.example/' });
  await approve(id);
  await openDemo();
  await item(id).waitFor();

  const body = item(id).locator('.body');
  // Raw HTML in Markdown is text, shown literally.
  expect(await body.textContent()).toContain('<script>window.__pwned = 1; alert(1)</script>');
  expect(await body.textContent()).toContain('<img src=x onerror="window.__pwned = 2; alert(2)">');
  expect(await item(id).locator('.author').textContent()).toBe('<img src=x onerror=alert(6)>');

  // Nothing active made it into the widget's DOM.
  const active = await page.evaluate(() => {
    const root = (globalThis as any).document.querySelector('#comments').shadowRoot;
    const all = Array.from(root.querySelectorAll('*')) as any[];
    return {
      scripts: root.querySelectorAll('script, iframe, object, embed, img:not(.av), svg').length,
      handlers: all.flatMap((el) => Array.from(el.attributes as ArrayLike<{ name: string }>).map((a) => a.name)).filter((n) => /^on/i.test(n)),
      badHrefs: all.map((el) => el.getAttribute('href')).filter((h) => h !== null && !/^(https?:|mailto:)/i.test(h.trim())),
    };
  });
  expect(active).toEqual({ scripts: 0, handlers: [], badHrefs: [] });

  // Clicking the text of the javascript: link does nothing.
  const before = page.url();
  await body.getByText('click me').click();
  await page.waitForTimeout(300);
  expect(page.url()).toBe(before);
  expect(rec.dialogs).toEqual([]);
  expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();
  // The author link is a plain http(s) link that opens safely.
  const author = item(id).locator('.author a');
  expect(await author.getAttribute('href')).toBe('https://grace.example/');
  expect(await author.getAttribute('rel')).toContain('noopener');
});

test('even hostile HTML from the API is defused by the widget (second line of defence), with no foreign request', async () => {
  const evil = {
    id: 'c_01HOSTILEHOSTILEHOSTILE000', parentId: null, depth: 0, deleted: false,
    createdAt: new Date().toISOString(), editedAt: null,
    author: { name: 'Mallory', website: 'javascript:alert(1)', avatar: 'https://evil.example/track.png' },
    html: '<p>hi<img src="https://evil.example/x.png" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
      + '<a href=" JaVaScRiPt:alert(4)">spaced</a><script>alert(5)</script><iframe src="https://evil.example/"></iframe>'
      + '<b onclick="alert(6)" style="position:fixed">bold</b><a href="https://ok.example/">fine</a></p>',
  };
  await page.route('**/api/v1/sites/demo/comments?*', (route) => route.request().method() === 'GET'
    ? route.fulfill({ contentType: 'application/json', body: JSON.stringify({ comments: [evil], nextCursor: null, page: { key: '/', title: null, url: null, closed: false, commentCount: 1 }, maxDepth: 5 }) })
    : route.continue());
  await openDemo();
  const li = item(evil.id);
  await li.waitFor();
  await page.waitForTimeout(300);
  const dom = await page.evaluate(() => {
    const root = (globalThis as any).document.querySelector('#comments').shadowRoot;
    const body = root.querySelector('.body');
    return {
      html: body.innerHTML,
      author: root.querySelector('.author').innerHTML,
      avatar: root.querySelector('.av').tagName,
    };
  });
  const rel = 'rel="nofollow ugc noopener noreferrer"';
  expect(dom.html).toBe(`<p>hi<a ${rel}>link</a><a ${rel}>spaced</a><b>bold</b><a href="https://ok.example/" ${rel}>fine</a></p>`);
  expect(dom.author).toBe('Mallory');
  expect(dom.avatar).toBe('SPAN');
  await li.getByText('link', { exact: true }).click();
  await li.getByText('bold').click();
  await page.waitForTimeout(200);
  expect(rec.dialogs).toEqual([]);
  expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
});

test('a host page with hostile CSS leaves the widget usable, and the widget styles do not leak out', async () => {
  const hostile = `<!doctype html><html lang="en"><head><title>Hostile</title>
    <style>* { all: unset } div { display: none !important } label { color: rgb(1, 2, 3) }</style></head>
    <body><p>Article text.</p><label id="host-label">host label</label>
    <div id="comments"></div><script src="/embed.js" data-site="demo" data-page="/hostile"></script></body></html>`;
  await page.route(server.baseUrl + '/hostile.html', (route) => route.fulfill({ contentType: 'text/html', body: hostile }));
  await page.goto(server.baseUrl + '/hostile.html');
  await expect(widget().locator('h2')).toHaveCountText(/^0 Comments$/);

  const textarea = field('Comment');
  expect(await textarea.isVisible()).toBe(true);
  const box = (await textarea.boundingBox())!;
  expect(box.width).toBeGreaterThan(200);
  expect(box.height).toBeGreaterThan(60);
  // The widget's own look survives: labels are blocks, the submit button has its accent background.
  const styles = await page.evaluate(() => {
    const g = globalThis as any;
    const root = g.document.querySelector('#comments').shadowRoot;
    return {
      label: g.getComputedStyle(root.querySelector('label')).display,
      button: g.getComputedStyle(root.querySelector('button[type=submit]')).backgroundColor,
      hostLabel: g.getComputedStyle(g.document.getElementById('host-label')).display,
      hostLabelColor: g.getComputedStyle(g.document.getElementById('host-label')).color,
    };
  });
  expect(styles.label).toBe('block');
  expect(styles.button).not.toBe('rgba(0, 0, 0, 0)');
  // ...and none of it leaks out to the page's own label.
  expect(styles.hostLabel).toBe('inline');
  expect(styles.hostLabelColor).toBe('rgb(1, 2, 3)');

  await fillForm('Still works on an ugly page.');
  await widget().getByRole('button', { name: 'Post Comment' }).click();
  await widget().locator('p.pending', { hasText: 'Your comment is awaiting moderation.' }).waitFor();
  expect(await widget().locator('p.pending', { hasText: 'Your comment is awaiting moderation.' }).isVisible()).toBe(true);
});

test('the whole flow works with the keyboard alone: post, then reply, and the honeypot is never reached', async () => {
  const parentId = await seed({ body: 'Is the viaduct open at night?' });
  await approve(parentId);
  await openDemo();
  await item(parentId).waitFor();

  /** Presses Tab until the focused element matches, recording every stop. */
  const stops: string[] = [];
  async function tabTo(match: (f: { tag: string; name: string | null; text: string }) => boolean, key = 'Tab') {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press(key);
      const f = await focused(page);
      if (f) stops.push(`${f.tag}:${f.name ?? f.text}`);
      if (f && match(f)) return;
    }
    throw new Error('focus never reached the target; stops: ' + stops.join(', '));
  }

  // Reply with the keyboard: Tab to the comment's Reply button, Enter, type into the form that opens.
  await tabTo((f) => f.tag === 'button' && f.text === 'Reply to Grace');
  await page.keyboard.press('Enter');
  expect((await focused(page))?.name).toBe('body');
  // Escape cancels the reply and returns to the Reply button.
  await page.keyboard.press('Escape');
  expect(await focused(page)).toMatchObject({ tag: 'button', text: 'Reply to Grace' });
  await page.keyboard.press('Enter');
  await page.keyboard.type('Yes, until ten in the evening.');
  await page.keyboard.press('Tab');
  expect((await focused(page))?.name).toBe('name');
  await page.keyboard.type('Keyboard Kim');
  await page.keyboard.press('Tab');
  expect((await focused(page))?.name).toBe('email');
  await page.keyboard.type('kim@example.com');
  await page.keyboard.press('Tab');
  expect((await focused(page))?.name).toBe('website');
  await page.keyboard.press('Tab');
  // The honeypot (tabindex=-1) is skipped: next stop is the remember-me checkbox.
  expect(await focused(page)).toMatchObject({ tag: 'input', text: expect.stringContaining('Save my name') });
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  expect(await focused(page)).toMatchObject({ tag: 'button', text: 'Post Comment' });
  await page.keyboard.press('Enter');

  const reply = item(parentId).locator('ol.replies > li');
  await reply.getByText('Your comment is awaiting moderation.').waitFor();
  expect((await focused(page))?.tag).toBe('li');
  expect(stops.some((s) => s.includes(':hp'))).toBe(false);

  // A new top-level comment: the remembered name and e-mail are filled in already.
  await tabTo((f) => f.name === 'body');
  await page.keyboard.type('Thanks for the details!');
  expect(await field('Name').inputValue()).toBe('Keyboard Kim');
  await tabTo((f) => f.tag === 'button' && f.text === 'Post Comment');
  await page.keyboard.press('Enter');
  await widget().locator('ol.list > li', { hasText: 'Thanks for the details!' }).getByText('Your comment is awaiting moderation.').waitFor();

  const stored = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=pending', { token: server.ownerToken });
  expect(stored.body.items.map((c: { author: { name: string } }) => c.author.name)).toEqual(['Keyboard Kim', 'Keyboard Kim']);
  expect(stored.body.items.every((c: { reasons: { code: string }[] }) => !c.reasons.some((r) => r.code === 'honeypot'))).toBe(true);
});

test('the demo page runs under its strict CSP with the widget styled, and talks only to the service', async () => {
  const id = await seed();
  await approve(id);
  const res = await page.goto(server.baseUrl + '/');
  expect(res!.headers()['content-security-policy']).toContain("style-src 'self'");
  await item(id).waitFor();
  // Constructable stylesheets apply despite style-src 'self' (no 'unsafe-inline').
  const bg = await page.evaluate(() => {
    const g = globalThis as any;
    return g.getComputedStyle(g.document.querySelector('#comments').shadowRoot.querySelector('button[type=submit]')).backgroundColor;
  });
  expect(bg).not.toBe('rgba(0, 0, 0, 0)');
  // The avatar is the service's own identicon.
  const avatar = await item(id).locator('img.av').getAttribute('src');
  expect(new URL(avatar!).origin).toBe(server.baseUrl);
  // It is lazy-loaded: scroll to it, then it loads (from the service) and is drawn.
  await item(id).scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = (globalThis as any).document.querySelector('#comments').shadowRoot.querySelector('img.av');
    return img && img.complete && img.naturalWidth > 0;
  });

  await field('Comment').focus();
  await fillForm('Checking the network tab.');
  await widget().getByRole('button', { name: 'Post Comment' }).click();
  await widget().locator('p.pending', { hasText: 'Your comment is awaiting moderation.' }).waitFor();

  // No CSP violation and no failed load (404) anywhere on the page.
  expect(rec.consoleErrors).toEqual([]);
  expect(rec.requests.some((u) => u.endsWith('/form-token'))).toBe(true);
  expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
  expect(await page.context().cookies()).toEqual([]);
});

test('embed.js is served with a content ETag and revalidates with 304', async () => {
  const first = await fetch(server.baseUrl + '/embed.js');
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toMatch(/javascript/);
  expect(first.headers.get('cache-control')).toMatch(/must-revalidate|no-cache/);
  const etag = first.headers.get('etag')!;
  expect(etag).toMatch(/^"[\w-]{10,}"$/);
  expect((await first.text()).length).toBeGreaterThan(1000);
  const again = await fetch(server.baseUrl + '/embed.js', { headers: { 'if-none-match': etag } });
  expect(again.status).toBe(304);
});
