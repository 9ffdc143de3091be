// The widget in real Chromium against the real server: errors, the reader's own comments, options and SPA use.
import type { Browser, Page, Request } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage, focused, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;
let posts: Request[];

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
  posts = [];
  page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/sites/demo/comments') && posts.push(r));
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

const widget = () => page.locator('#comments');
const item = (id: string) => widget().locator(`li[data-id="${id}"]`);
const field = (name: string) => widget().getByRole('textbox', { name, exact: true });
const postButton = () => widget().getByRole('button', { name: 'Post Comment' });
const errorOf = async (name: string) => {
  const describedBy = await field(name).getAttribute('aria-describedby');
  return widget().locator(`[id="${describedBy}"]`).textContent();
};
const shadow = <T>(fn: string): Promise<T> =>
  page.evaluate(`(() => { const root = document.querySelector('#comments').shadowRoot; return ${fn}; })()`);

async function seed(over: Record<string, unknown> = {}): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', {
    body: { page: '/', name: 'Grace', email: 'grace@example.com', body: 'A seeded comment.', ...over },
  });
  expect(r.status).toBe(201);
  return r.body.comment.id;
}

async function approve(...ids: string[]): Promise<void> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action: 'approve', ids } });
  expect(r.status).toBe(200);
}

async function openDemo(): Promise<void> {
  await page.goto(server.baseUrl + '/');
  await widget().locator('h2', { hasText: /Comment/ }).waitFor();
}

async function fillForm(body: string, name = 'Ada Lovelace', email = 'ada@example.com') {
  await field('Comment').fill(body);
  await field('Name').fill(name);
  await field('Email').fill(email);
}

const alertText = () => widget().locator('section.respond [role=alert]').textContent();

test('client-side checks name each bad field beside it, focus the first, and send nothing', async () => {
  await openDemo();
  await postButton().click();
  expect(await alertText()).toBe('Please correct the marked fields.');
  expect(await errorOf('Comment')).toBe('This field is required.');
  expect(await errorOf('Name')).toBe('This field is required.');
  expect(await errorOf('Email')).toBe('This field is required.');
  expect(await errorOf('Website')).toBe('');
  expect(await field('Comment').getAttribute('aria-invalid')).toBe('true');
  expect((await focused(page))?.name).toBe('body');

  await field('Comment').fill('   ');
  await field('Name').fill('N'.repeat(101));
  await field('Email').fill('not-an-address');
  await field('Website').fill('javascript:alert(1)');
  await postButton().click();
  expect(await errorOf('Comment')).toBe('This field is required.');
  expect(await errorOf('Name')).toBe('Use at most 100 characters.');
  expect(await errorOf('Email')).toBe('Enter a valid email address.');
  expect(await errorOf('Website')).toBe('Enter a web address starting with http:// or https://.');

  // Lengths count characters as the server does: 100 emoji are a valid name.
  await field('Name').fill('🚲'.repeat(100));
  await field('Comment').fill('x'.repeat(10_001));
  await field('Email').fill('ada@example.com');
  // A bare host name is taken as https.
  await field('Website').fill('ada.example');
  await postButton().click();
  expect(await errorOf('Comment')).toBe('Use at most 10000 characters.');
  expect(await errorOf('Name')).toBe('');
  expect(await errorOf('Website')).toBe('');
  expect(await field('Website').inputValue()).toBe('https://ada.example');
  expect(posts).toHaveLength(0);
});

test('a field error from the server is shown beside that field and the reader keeps their text', async () => {
  await openDemo();
  // Passes the widget's loose e-mail check, fails the server's.
  await fillForm('My carefully written comment.', 'Ada', 'ada@example.c');
  await postButton().click();
  await widget().locator('[aria-invalid=true]').waitFor();
  expect(posts).toHaveLength(1);
  // The widget's own words for the server's code (invalid_email).
  expect(await errorOf('Email')).toBe('Enter a valid email address.');
  expect(await errorOf('Comment')).toBe('');
  expect(await field('Email').getAttribute('aria-invalid')).toBe('true');
  expect(await alertText()).toBe('Please correct the marked fields.');
  expect(await field('Comment').inputValue()).toBe('My carefully written comment.');
  expect((await focused(page))?.name).toBe('email');
});

test('a 429 says how long to wait (from Retry-After) and keeps the text', async () => {
  await configure(server, { floodSeconds: 120 });
  await seed(); // same address, so the next post from the browser is a flood
  await openDemo();
  await fillForm('Posting again too soon.');
  await postButton().click();
  await widget().locator('section.respond [role=alert]', { hasText: /wait/ }).waitFor();
  const posted = await posts[0].response();
  expect(posted!.status()).toBe(429);
  const wait = Number(posted!.headers()['retry-after']);
  expect(wait).toBeGreaterThan(100);
  expect(await alertText()).toBe(`You are posting too quickly. Please wait ${wait} seconds and try again.`);
  expect(await field('Comment').inputValue()).toBe('Posting again too soon.');
  expect(await postButton().textContent()).toBe('Post Comment');
});

test('a network failure says so, keeps the text, and the next try goes through', async () => {
  await openDemo();
  await page.route('**/api/v1/sites/demo/comments', (route) =>
    route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue());
  await fillForm('Written on a train with bad signal.');
  await postButton().click();
  await widget().locator('section.respond [role=alert]', { hasText: /reach/ }).waitFor();
  expect(await alertText()).toBe('Could not reach the comment server. Your text is kept; please try again.');
  expect(await field('Comment').inputValue()).toBe('Written on a train with bad signal.');

  await page.unroute('**/api/v1/sites/demo/comments');
  await postButton().click();
  await widget().locator('p.pending', { hasText: 'Your comment is awaiting moderation.' }).waitFor();
  expect(await alertText()).toBe('');
});

test('the reader edits and deletes their own comment within the window; others get Report instead', async () => {
  const otherId = await seed({ body: 'Somebody else wrote this.' });
  await approve(otherId);
  await openDemo();
  await fillForm('First *draft*.');
  await postButton().click();
  const mine = widget().locator('li', { hasText: 'First draft.' });
  await mine.getByText('Your comment is awaiting moderation.').waitFor();
  const id = (await mine.getAttribute('data-id'))!;
  const stored = await page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('marginalia:edits')));
  expect(Object.keys(stored)).toEqual([id]);
  expect(stored[id].token).toEqual(expect.any(String));
  expect(stored[id].until).toBeGreaterThan(Date.now() + 10 * 60_000);
  expect(await item(otherId).getByRole('button', { name: 'Edit' }).count()).toBe(0);
  expect(await item(otherId).getByRole('button', { name: 'Report' }).count()).toBe(1);
  expect(await item(id).getByRole('button', { name: 'Report' }).count()).toBe(0);

  // Reloaded while still in moderation, the reader's own comment is still shown to them, with Edit.
  await page.reload();
  await item(id).locator('p.pending').waitFor();
  expect(await item(id).getByRole('button', { name: 'Edit' }).count()).toBe(1);
  expect(await widget().locator('h2').textContent()).toBe('1 Comment');

  // Approved and reloaded, it is listed once, and the edit token from localStorage still offers Edit and Delete.
  await approve(id);
  await page.reload();
  await item(id).waitFor();
  expect(await item(id).count()).toBe(1);
  expect(await item(id).locator('p.pending').count()).toBe(0);
  await item(id).getByRole('button', { name: 'Edit' }).click();
  const editor = item(id).getByRole('textbox', { name: 'Edit your comment' });
  expect(await editor.inputValue()).toBe('First *draft*.');
  expect((await focused(page))?.tag).toBe('textarea');
  await editor.fill('Second **version**.');
  await item(id).getByRole('button', { name: 'Save' }).click();
  await item(id).locator('.body strong', { hasText: 'version' }).waitFor();
  expect(await item(id).locator('.when').textContent()).toContain('edited');
  const afterEdit = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/');
  expect(afterEdit.body.comments.find((c: { id: string }) => c.id === id).html).toContain('<strong>version</strong>');

  await item(id).getByRole('button', { name: 'Delete' }).click();
  expect(await item(id).getByText('Delete this comment?').isVisible()).toBe(true);
  // Cancel first: nothing happens and focus returns to Delete.
  await item(id).getByRole('button', { name: 'Cancel' }).click();
  expect(await focused(page)).toMatchObject({ tag: 'button', text: 'Delete' });
  await item(id).getByRole('button', { name: 'Delete' }).click();
  await item(id).locator('.panel').getByRole('button', { name: 'Delete' }).click();
  await item(id).waitFor({ state: 'detached' });
  expect(await widget().locator('h2').textContent()).toBe('1 Comment');
  const afterDelete = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/');
  expect(afterDelete.body.comments.map((c: { id: string }) => c.id)).toEqual([otherId]);
  expect(await page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('marginalia:edits')))).toEqual({});
});

test('a reader reports a comment with a reason and a note, and moderators see the report', async () => {
  const id = await seed({ body: 'Buy cheap watches.' });
  await approve(id);
  await openDemo();
  await item(id).getByRole('button', { name: 'Report' }).click();
  const reason = item(id).getByRole('combobox', { name: 'Why are you reporting this comment?' });
  expect((await focused(page))?.tag).toBe('select');
  expect(await reason.locator('option').allTextContents()).toEqual(['Spam', 'Abusive or harassing', 'Off-topic', 'Something else']);
  await reason.selectOption('off-topic');
  await item(id).getByRole('textbox', { name: 'Details (optional)' }).fill('Nothing to do with the greenway.');
  await item(id).getByRole('button', { name: 'Send report' }).click();
  await item(id).getByText('Thank you. A moderator will take a look.').waitFor();
  expect(await item(id).getByRole('button', { name: 'Report' }).count()).toBe(0);

  const q = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=reported', { token: server.ownerToken });
  expect(q.body.items).toHaveLength(1);
  expect(q.body.items[0].reports.items).toEqual([expect.objectContaining({ reason: 'off-topic', note: 'Nothing to do with the greenway.' })]);
});

test('name, e-mail and website are remembered in localStorage only when the reader opts in', async () => {
  await openDemo();
  await fillForm('Not remembering me.');
  await postButton().click();
  await widget().locator('p.pending', { hasText: 'Your comment is awaiting moderation.' }).waitFor();
  expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('marginalia:author'))).toBeNull();

  await field('Comment').fill('Remember me this time.');
  await field('Website').fill('https://ada.example/');
  await widget().getByRole('checkbox', { name: /Save my name, email, and website in this browser/ }).check();
  await postButton().click();
  await widget().locator('li', { hasText: 'Remember me this time.' }).waitFor();
  expect(JSON.parse(await page.evaluate(() => (globalThis as any).localStorage.getItem('marginalia:author')))).toEqual({
    name: 'Ada Lovelace', email: 'ada@example.com', website: 'https://ada.example/',
  });

  await page.reload();
  await widget().locator('h2', { hasText: /Comment/ }).waitFor();
  expect(await field('Name').inputValue()).toBe('Ada Lovelace');
  expect(await field('Email').inputValue()).toBe('ada@example.com');
  expect(await field('Website').inputValue()).toBe('https://ada.example/');
  const box = widget().getByRole('checkbox', { name: /Save my name/ });
  expect(await box.isChecked()).toBe(true);

  // Opting out again forgets them.
  await box.uncheck();
  await field('Comment').fill('Forget me now.');
  await postButton().click();
  await widget().locator('li', { hasText: 'Forget me now.' }).waitFor();
  expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('marginalia:author'))).toBeNull();
});

test('"Load more" fetches the next page of threads with the cursor and moves focus to the first new one', async () => {
  await configure(server, { moderation: 'none' });
  for (let i = 1; i <= 52; i++) await seed({ body: `Comment number ${i}`, name: `Reader ${i}`, email: `r${i}@example.com` });
  await openDemo();
  expect(await widget().locator('h2').textContent()).toBe('52 Comments');
  expect(await widget().locator('ol.list > li').count()).toBe(50);
  const more = widget().getByRole('button', { name: 'Load more comments' });
  await more.click();
  await widget().locator('ol.list > li', { hasText: 'Comment number 52' }).waitFor();
  expect(await widget().locator('ol.list > li').count()).toBe(52);
  expect(await more.isVisible()).toBe(false);
  expect(await focused(page)).toMatchObject({ tag: 'li', text: expect.stringContaining('Comment number 51') });
  expect(rec.requests.filter((u) => u.includes('cursor='))).toHaveLength(1);
});

test('a closed page shows its comments but no form and no Reply', async () => {
  const id = await seed();
  await approve(id);
  const r = await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/', closed: true } });
  expect(r.status).toBe(200);
  await openDemo();
  await item(id).waitFor();
  expect(await widget().getByText('Comments are closed.').isVisible()).toBe(true);
  expect(await widget().locator('form').count()).toBe(0);
  expect(await item(id).getByRole('button', { name: 'Reply' }).count()).toBe(0);
});

test('the honeypot is hidden from people and from the accessibility tree', async () => {
  await openDemo();
  const tree = await widget().ariaSnapshot();
  expect(tree).toContain('textbox "Comment"');
  expect(tree).not.toMatch(/Leave this field empty|hp/);
  const hp = await shadow<{ tabIndex: number; hidden: string | null; right: number; autocomplete: string }>(
    `(() => { const i = root.querySelector('input[name=hp]'); const r = i.getBoundingClientRect();
      return { tabIndex: i.tabIndex, hidden: i.closest('[aria-hidden]').getAttribute('aria-hidden'), right: r.right, autocomplete: i.autocomplete }; })()`);
  expect(hp).toEqual({ tabIndex: -1, hidden: 'true', right: expect.any(Number), autocomplete: 'off' });
  expect(hp.right).toBeLessThanOrEqual(0);
});

test('loading embed.js twice mounts one thread; Marginalia.render mounts more, in French and dark', async () => {
  await openDemo();
  const api = await page.evaluate(() => (globalThis as any).Marginalia.version);
  expect(api).toBe('1');
  await page.evaluate(`new Promise((resolve) => {
    window.__first = window.Marginalia;
    const s = document.createElement('script');
    s.src = '/embed.js'; s.dataset.site = 'demo';
    s.onload = resolve;
    document.body.append(s);
  })`);
  await page.waitForTimeout(300);
  expect(await page.evaluate('window.Marginalia === window.__first')).toBe(true);
  expect(await shadow('root.querySelectorAll(".mg").length')).toBe(1);
  expect(await shadow('root.querySelectorAll("form").length')).toBe(1);
  expect(await page.locator('#comments h2').count()).toBe(1);
  expect(rec.errors).toEqual([]);

  // Manual mounting, with an explicit language and theme.
  await page.evaluate(`(() => {
    const el = document.createElement('div'); el.id = 'more-comments'; document.body.append(el);
    window.Marginalia.render(el, { site: 'demo', page: '/other', lang: 'fr', theme: 'dark' });
  })()`);
  const fr = page.locator('#more-comments');
  await fr.locator('h2', { hasText: '0 commentaire' }).waitFor();
  expect(await fr.locator('h3').textContent()).toBe('Ajouter un commentaire');
  expect(await fr.getByRole('button', { name: 'Publier le commentaire' }).count()).toBe(1);
  expect(await fr.locator('.note').textContent()).toBe('Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *');
  const bg = await page.evaluate(`getComputedStyle(document.querySelector('#more-comments').shadowRoot.querySelector('.mg')).backgroundColor`);
  expect(bg).toBe('rgb(21, 24, 29)');

  // Rendering again into the same element replaces the thread; <html lang> picks the language when none is given.
  await page.evaluate(`(() => {
    document.documentElement.lang = 'fr-CA';
    window.Marginalia.render(document.querySelector('#more-comments'), { site: 'demo', page: '/other', theme: 'light' });
  })()`);
  await fr.locator('h2', { hasText: '0 commentaire' }).waitFor();
  expect(await page.evaluate(`document.querySelector('#more-comments').shadowRoot.querySelectorAll('.mg').length`)).toBe(1);
  expect(await page.evaluate(`getComputedStyle(document.querySelector('#more-comments').shadowRoot.querySelector('.mg')).backgroundColor`)).toBe('rgb(255, 255, 255)');
});

test('data-theme="auto" follows the reader\'s colour scheme', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openDemo();
  expect(await shadow('root.querySelector(".mg").classList.contains("dark")')).toBe(true);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction(`!document.querySelector('#comments').shadowRoot.querySelector('.mg').classList.contains('dark')`);
});

test('mounts where data-target points, or right after the script when no target matches; data-lang picks French', async () => {
  const html = (script: string) => `<!doctype html><html lang="en"><head><title>Host</title></head>
    <body><p id="before">Article.</p>${script}<p id="after">Footer.</p><section id="elsewhere"></section></body></html>`;
  await page.route(server.baseUrl + '/targeted.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: html('<script src="/embed.js" data-site="demo" data-target="#elsewhere" data-lang="fr" data-page="/t"></script>'),
  }));
  await page.route(server.baseUrl + '/untargeted.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: html('<script id="s" src="/embed.js" data-site="demo" data-page="/u"></script>'),
  }));

  await page.goto(server.baseUrl + '/targeted.html');
  await page.locator('#elsewhere h2', { hasText: '0 commentaire' }).waitFor();
  expect(await page.locator('#elsewhere h3').textContent()).toBe('Ajouter un commentaire');

  await page.goto(server.baseUrl + '/untargeted.html');
  await page.locator('#s + div h2', { hasText: '0 Comments' }).waitFor();
  expect(await page.evaluate(`document.getElementById('s').nextElementSibling.nextElementSibling.id`)).toBe('after');
  expect(await page.locator('#elsewhere').evaluate((el: any) => el.shadowRoot)).toBeNull();
});

test('a comment the server approves at once is listed, counted and announced as posted', async () => {
  await configure(server, { moderation: 'none' });
  await openDemo();
  await fillForm('Trusted straight away.');
  await postButton().click();
  const mine = widget().locator('ol.list > li', { hasText: 'Trusted straight away.' });
  await mine.waitFor();
  expect(await mine.locator('p.pending').count()).toBe(0);
  await widget().locator('h2', { hasText: '1 Comment' }).waitFor();
  await widget().getByRole('status').filter({ hasText: 'Your comment has been posted.' }).waitFor();
  expect(await mine.getByRole('button', { name: 'Edit' }).count()).toBe(1);
});
