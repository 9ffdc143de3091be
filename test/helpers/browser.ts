// Headless Chromium for browser tests: one launcher, and a recorder for what a page does (requests, errors, dialogs).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's chromium by default; CHROMIUM_PATH points elsewhere (e.g. a local Chrome). */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Rebuilds dist/embed/embed.js from the current sources (written atomically, so parallel runs are safe). */
export function buildEmbed(): void {
  const root = path.join(__dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-embed.js')], { cwd: root, stdio: 'inherit' });
}

/** Rebuilds dist/admin from the current sources (the server serves that directory at /admin). */
export function buildAdmin(): void {
  const root = path.join(__dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-admin.js')], { cwd: root, stdio: 'inherit' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface PageRecord {
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Uncaught exceptions thrown in the page. */
  errors: string[];
  /** Console messages of type error (includes CSP violations). */
  consoleErrors: string[];
  /** Messages of any alert/confirm/prompt that opened (each is dismissed). */
  dialogs: string[];
}

/** Starts recording a page's requests, errors and dialogs; dialogs are dismissed so a test never hangs on one. */
export function recordPage(page: Page): PageRecord {
  const rec: PageRecord = { requests: [], errors: [], consoleErrors: [], dialogs: [] };
  page.on('request', (r) => rec.requests.push(r.url()));
  page.on('pageerror', (e) => rec.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && rec.consoleErrors.push(m.text()));
  page.on('dialog', (d) => {
    rec.dialogs.push(d.message());
    void d.dismiss();
  });
  return rec;
}

/** A fresh, isolated context (own storage, no cookies) and a page in it, already recording. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page; rec: PageRecord; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, ...options });
  const page = await context.newPage();
  const rec = recordPage(page);
  return { page, rec, close: () => context.close() };
}

/** The URLs of rec.requests that went anywhere but `origin` (data: URLs excluded). */
export function foreignRequests(rec: PageRecord, origin: string): string[] {
  return rec.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
}

/**
 * Describes the element that has keyboard focus, looking through open shadow roots:
 * tag, accessible-ish label (aria-label, label text or text content) and name attribute.
 */
export function focused(page: Page): Promise<{ tag: string; name: string | null; text: string; inShadow: boolean } | null> {
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    let el = doc.activeElement;
    let inShadow = false;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) {
      el = el.shadowRoot.activeElement;
      inShadow = true;
    }
    if (!el || el === doc.body) return null;
    const label = el.labels && el.labels[0] ? el.labels[0].textContent : null;
    return {
      tag: String(el.tagName).toLowerCase(),
      name: el.getAttribute('name'),
      text: String(el.getAttribute('aria-label') || label || el.textContent || '').trim(),
      inShadow,
    };
  });
}

/** Makes every page of `page`'s documents record CSP violations; read them with `cspViolations(page)`. */
export async function watchCsp(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const g = globalThis as any;
    g.__csp = [];
    g.document.addEventListener('securitypolicyviolation', (e: any) => g.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

/** The CSP violations the current document recorded (see `watchCsp`): directive and blocked URI. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as any).__csp);
}
