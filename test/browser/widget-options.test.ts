// The widget in real Chromium: languages, the server's error codes in the reader's language, data-sort,
// relative times that stay current, and the stylesheet fallback under a strict CSP.
import type { Browser, Page } from 'playwright-core';
import { buildEmbed, launchBrowser, openPage, foreignRequests, type PageRecord } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';

jest.setTimeout(60_000);

let browser: Browser;
let server: TestServer;
let page: Page;
let rec: PageRecord;
let closePage: () => Promise<void>;

beforeAll(async () => {
  buildEmbed();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, moderation: 'none' });
  ({ page, rec, close: closePage } = await openPage(browser));
});
afterEach(async () => {
  await closePage();
  await server.stop();
});

const widget = () => page.locator('#comments');
const field = (name: string) => widget().getByRole('textbox', { name, exact: true });
const errorOf = async (name: string) => widget().locator(`[id="${await field(name).getAttribute('aria-describedby')}"]`).textContent();

async function seed(body: string, page = '/'): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: { page, name: 'Grace', email: 'grace@example.com', body } });
  expect(r.status).toBe(201);
  return r.body.comment.id;
}

/** A page on the service's origin with the widget's script tag carrying `attrs`, under the demo page's CSP. */
async function host(attrs: string, lang = 'en'): Promise<void> {
  const demo = await fetch(server.baseUrl + '/');
  const csp = demo.headers.get('content-security-policy')!;
  await page.route(server.baseUrl + '/host.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'Content-Security-Policy': csp },
      body: `<!doctype html><html lang="${lang}"><head><title>Host</title></head><body>
        <div id="comments"></div><script src="/embed.js" data-site="demo" data-page="/" ${attrs}></script></body></html>`,
    }),
  );
  await page.goto(server.baseUrl + '/host.html');
}

describe('languages', () => {
  it('speaks German with data-lang="de", fetching the catalogue from the service only', async () => {
    await seed('Ein Kommentar.');
    await host('data-lang="de"');
    await widget().locator('h2', { hasText: '1 Kommentar' }).waitFor();
    expect(await widget().locator('h3').textContent()).toBe('Einen Kommentar schreiben');
    expect(await widget().getByRole('button', { name: 'Kommentar abschicken' }).count()).toBe(1);
    expect(await widget().locator('.note').textContent()).toBe('Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert');
    expect(await widget().locator('.mg').getAttribute('lang')).toBe('de');
    expect(rec.requests.filter((u) => u.includes('/embed/i18n/'))).toEqual([server.baseUrl + '/embed/i18n/de.json']);
    expect(foreignRequests(rec, server.baseUrl)).toEqual([]);
  });

  it("speaks Spanish from the page's <html lang>, and English for a language it has no catalogue for", async () => {
    await host('', 'es-MX');
    await widget().locator('h2', { hasText: '0 comentarios' }).waitFor();
    expect(await widget().locator('h3').textContent()).toBe('Añadir un comentario');
    await widget().getByRole('button', { name: 'Publicar el comentario' }).click();
    expect(await errorOf('Comentario')).toBe('Este campo es obligatorio.');

    await host('data-lang="ja"');
    await widget().locator('h2', { hasText: '0 Comments' }).waitFor();
    // No catalogue asked for: the bundle knows which languages exist.
    expect(rec.requests.filter((u) => u.includes('/embed/i18n/'))).toEqual([server.baseUrl + '/embed/i18n/es.json']);
  });

  it('serves each catalogue with every key English has, readable from any origin', async () => {
    const en = require('../../embed/i18n/en.json');
    for (const lang of ['de', 'es', 'fr']) {
      const r = await fetch(`${server.baseUrl}/embed/i18n/${lang}.json`, { headers: { origin: 'https://blog.example' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      const cat = (await r.json()) as Record<string, string>;
      expect(Object.keys(cat).sort()).toEqual(Object.keys(en).sort());
      // The same placeholders in every translation.
      for (const k of Object.keys(en)) expect({ k, p: cat[k].match(/\{\w+\}/g) }).toEqual({ k, p: en[k].match(/\{\w+\}/g) });
    }
    expect((await fetch(`${server.baseUrl}/embed/i18n/..%2Fsrc.json`)).status).toBe(404);
  });
});

describe("the server's error codes in the reader's language", () => {
  it("shows the site's own name limit in German, from too_long and its limit", async () => {
    await configure(server, { limits: { nameMax: 40 } });
    await host('data-lang="de"');
    await field('Kommentar').fill('Ein Kommentar.');
    await field('Name').fill('N'.repeat(41)); // within the widget's own 100, over the site's 40
    await field('E-Mail').fill('ada@example.com');
    await widget().getByRole('button', { name: 'Kommentar abschicken' }).click();
    await widget().locator('[aria-invalid=true]').waitFor();
    expect(await errorOf('Name')).toBe('Verwende höchstens 40 Zeichen.');
    expect(await widget().locator('section.respond [role=alert]').first().textContent()).toBe('Bitte korrigiere die markierten Felder.');
  });

  it('says "already posted" in French for a duplicate (409 duplicate-comment)', async () => {
    await host('data-lang="fr"');
    for (let i = 0; i < 2; i++) {
      await field('Commentaire').fill('Deux fois la même chose.');
      await field('Nom').fill('Ada');
      await field('E-mail').fill('ada@example.com');
      await widget().getByRole('button', { name: 'Publier le commentaire' }).click();
      if (i === 0) await widget().locator('li', { hasText: 'Deux fois' }).waitFor();
    }
    await widget().locator('section.respond [role=alert]', { hasText: /\S/ }).waitFor();
    expect(await widget().locator('section.respond [role=alert]').first().textContent()).toBe('Vous avez déjà publié ce commentaire ici.');
  });

  it("falls back to the server's text for a code it does not know", async () => {
    await page.route('**/api/v1/sites/demo/comments', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 400,
            contentType: 'application/problem+json',
            body: JSON.stringify({ type: 'urn:marginalia:problem:invalid-request', title: 'Invalid request', status: 400, detail: 'name', errors: [{ path: 'name', code: 'some_future_code', message: 'must be something new' }] }),
          })
        : route.continue(),
    );
    await host('data-lang="es"');
    await field('Comentario').fill('Hola.');
    await field('Nombre').fill('Ada');
    await field('Correo electrónico').fill('ada@example.com');
    await widget().getByRole('button', { name: 'Publicar el comentario' }).click();
    await widget().locator('[aria-invalid=true]').waitFor();
    expect(await errorOf('Nombre')).toBe('Nombre must be something new.');
  });
});

describe('data-sort', () => {
  it('lists the newest first with data-sort="newest", and puts a new comment at the top; oldest first by default', async () => {
    const ids = [await seed('First.'), await seed('Second.'), await seed('Third.')];
    const order = () => widget().locator('ol.list > li').evaluateAll((els) => els.map((e) => (e as any).dataset.id));
    await host('data-sort="newest"');
    await widget().locator('h2', { hasText: '3 Comments' }).waitFor();
    expect(await order()).toEqual([...ids].reverse());
    expect(rec.requests.some((u) => u.includes('sort=newest'))).toBe(true);
    await field('Comment').fill('Fourth, newest.');
    await field('Name').fill('Ada');
    await field('Email').fill('ada@example.com');
    await widget().getByRole('button', { name: 'Post Comment' }).click();
    await widget().locator('h2', { hasText: '4 Comments' }).waitFor();
    expect(await widget().locator('ol.list > li').first().textContent()).toContain('Fourth, newest.');

    await host('');
    await widget().locator('h2', { hasText: '4 Comments' }).waitFor();
    expect((await order()).slice(0, 3)).toEqual(ids);
  });
});

describe('relative times', () => {
  it('keep current while the page stays open, with one timer for the whole widget', async () => {
    for (const b of ['One.', 'Two.', 'Three.']) await seed(b);
    await page.clock.install({ time: Date.now() });
    await page.addInitScript(() => {
      const g = globalThis as any;
      g.__intervals = 0;
      const real = g.setInterval;
      g.setInterval = (...a: unknown[]) => (g.__intervals++, real(...a));
    });
    await host('');
    await widget().locator('h2', { hasText: '3 Comments' }).waitFor();
    const times = () => widget().locator('ol.list time').allTextContents();
    expect(await times()).toEqual(['now', 'now', 'now']);
    await page.clock.runFor(3 * 60_000 + 1000);
    expect(await times()).toEqual(['3 minutes ago', '3 minutes ago', '3 minutes ago']);
    await page.clock.runFor(60 * 60_000);
    expect(await times()).toEqual(['1 hour ago', '1 hour ago', '1 hour ago']);
    expect(await page.evaluate(() => (globalThis as any).__intervals)).toBe(1);
  });
});

describe('stylesheet without constructable stylesheets', () => {
  it('links the hashed stylesheet from the service inside the shadow root, allowed by a strict CSP', async () => {
    await seed('Styled.');
    await page.addInitScript(() => {
      const g = globalThis as any;
      delete g.CSSStyleSheet.prototype.replaceSync;
      delete g.ShadowRoot.prototype.adoptedStyleSheets;
      delete g.Document.prototype.adoptedStyleSheets;
      g.__csp = [];
      g.document.addEventListener('securitypolicyviolation', (e: any) => g.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const res = await page.goto(server.baseUrl + '/');
    expect(res!.headers()['content-security-policy']).toMatch(/style-src 'self'(;|$)/);
    await widget().locator('h2', { hasText: '1 Comment' }).waitFor();
    const href = await page.evaluate(() => {
      const root = (globalThis as any).document.querySelector('#comments').shadowRoot;
      return root.adoptedStyleSheets === undefined ? root.querySelector('link[rel=stylesheet]')?.href : 'constructable';
    });
    expect(href).toMatch(new RegExp(`^${server.baseUrl}/embed/widget\\.[0-9a-f]{16}\\.css$`));
    await page.waitForFunction(() => {
      const root = (globalThis as any).document.querySelector('#comments').shadowRoot;
      return (globalThis as any).getComputedStyle(root.querySelector('label')).display === 'block';
    });
    const look = await page.evaluate(() => {
      const g = globalThis as any;
      const root = g.document.querySelector('#comments').shadowRoot;
      return {
        button: g.getComputedStyle(root.querySelector('button[type=submit]')).backgroundColor,
        hp: g.getComputedStyle(root.querySelector('.hp')).position,
        csp: g.__csp,
        styleElements: root.querySelectorAll('style').length,
      };
    });
    expect(look).toEqual({ button: expect.stringMatching(/^rgb\(/), hp: 'absolute', csp: [], styleElements: 0 });
    const css = await fetch(href!);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toContain('immutable');
    expect(await css.text()).toContain(':host{');
    expect(rec.consoleErrors).toEqual([]);
  });
});
