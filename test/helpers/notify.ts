// Helpers for notification tests: the stored rows, links out of received mails, and the forms on the pages they open.
import pg from 'pg';
import type { TestServer } from './server';
import { call } from './api';
import { rawQuery } from './moderation';
import type { ReceivedMail } from './receivers';

const INT8_OID = 20;
// Counts, ids and times come back as numbers on both stores, so one expectation fits either.
const numbers = {
  getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')),
} as pg.CustomTypesConfig;

/** The rows a query reads from the server's own store, SQLite or PostgreSQL (`?` placeholders on both). */
export async function storedRows(server: Pick<TestServer, 'dataDir' | 'databaseUrl'>, text: string, params: unknown[] = []): Promise<Record<string, any>[]> {
  return rawQuery(server, text, params, { types: numbers });
}

/** The first row the query reads, or undefined. */
export async function storedRow(server: Pick<TestServer, 'dataDir' | 'databaseUrl'>, text: string, params: unknown[] = []): Promise<Record<string, any> | undefined> {
  return (await storedRows(server, text, params))[0];
}

/** Every link in a mail's text part, in order. */
export function linksIn(mail: ReceivedMail): string[] {
  return [...(mail.parsed.text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
}

export function linkTo(mail: ReceivedMail, path: string): string[] {
  return linksIn(mail).filter((l) => new URL(l).pathname === path);
}

/** A mailed link (on PUBLIC_URL) as the same path on the test server. */
export function local(server: Pick<TestServer, 'baseUrl'>, url: string): string {
  const u = new URL(url);
  return server.baseUrl + u.pathname + u.search;
}

/** The URL in a mail's List-Unsubscribe header. */
export function listUnsubscribe(mail: ReceivedMail): string {
  // Headers may be folded (RFC 5322 §2.2.3): unfold before reading.
  const head = mail.raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const raw = /^List-Unsubscribe:\s*<([^>\s]+)>\s*$/m.exec(head);
  if (!raw) throw new Error('no List-Unsubscribe header');
  return raw[1];
}

/** Fetches a page and returns its status, HTML and the first form's action and hidden fields. */
export async function openPage(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  const html = await res.text();
  const formMatch = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
  const fields: Record<string, string> = {};
  if (formMatch) for (const m of formMatch[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = decode(m[2]);
  return { status: res.status, html, form: formMatch ? { action: decode(formMatch[1]), fields } : null };
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** Submits a page's form as a browser would (form-encoded POST to its action, on the service's origin). */
export async function submit(server: Pick<TestServer, 'baseUrl'>, form: { action: string; fields: Record<string, string> }) {
  const res = await fetch(new URL(form.action, server.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form.fields).toString(),
    redirect: 'manual',
  });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

export async function approve(server: TestServer, ids: string[], action = 'approve') {
  const r = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action, ids } });
  if (r.status !== 200) throw new Error(`moderation failed: ${r.status} ${r.text}`);
  return r.body;
}
