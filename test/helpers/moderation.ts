// Moderator-side helpers for HTTP tests: queue, actions, audit log, tokens, and a second look at the SQLite file.
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestServer } from './server';
import { call, type ApiResponse } from './api';

export const post = (server: TestServer, input: Record<string, unknown>, opts: { headers?: Record<string, string>; site?: string } = {}) =>
  call(server, 'POST', `/api/v1/sites/${opts.site ?? 'demo'}/comments`, { body: input, headers: opts.headers });

export const publicList = (server: TestServer, page = '/post', site = 'demo') =>
  call(server, 'GET', `/api/v1/sites/${site}/comments?page=${encodeURIComponent(page)}`);

/** GET /moderation/comments with the given query (an object, URL-encoded here). */
export function queue(
  server: TestServer,
  query: Record<string, string | number> = {},
  opts: { token?: string; site?: string } = {},
): Promise<ApiResponse> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return call(server, 'GET', `/api/v1/sites/${opts.site ?? 'demo'}/moderation/comments${qs ? `?${qs}` : ''}`, {
    token: opts.token ?? server.ownerToken,
  });
}

/** The moderator's view of one comment, whatever its status. */
export async function moderated(server: TestServer, id: string, site = 'demo') {
  const r = await queue(server, { status: 'all', limit: 200 }, { site });
  if (r.status !== 200) throw new Error(`queue failed: ${r.status} ${r.text}`);
  return r.body.items.find((c: any) => c.id === id);
}

export function act(
  server: TestServer,
  body: Record<string, unknown>,
  opts: { token?: string; site?: string } = {},
): Promise<ApiResponse> {
  return call(server, 'POST', `/api/v1/sites/${opts.site ?? 'demo'}/moderation/actions`, { token: opts.token ?? server.ownerToken, body });
}

/** Every audit row of a site (or of one comment), oldest first. */
export async function auditLog(server: TestServer, opts: { commentId?: string; site?: string; token?: string } = {}): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams({ limit: '200' });
    if (opts.commentId) qs.set('commentId', opts.commentId);
    if (cursor) qs.set('cursor', cursor);
    const r = await call(server, 'GET', `/api/v1/sites/${opts.site ?? 'demo'}/moderation/log?${qs}`, { token: opts.token ?? server.ownerToken });
    if (r.status !== 200) throw new Error(`log failed: ${r.status} ${r.text}`);
    rows.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return rows.reverse();
}

export async function createToken(server: TestServer, body: { role: 'owner' | 'moderator'; site: string | null; label?: string }) {
  const r = await call(server, 'POST', '/api/v1/tokens', { token: server.ownerToken, body: { label: '', ...body } });
  if (r.status !== 201) throw new Error(`token create failed: ${r.status} ${r.text}`);
  return { secret: r.body.token as string, id: r.body.item.id as string };
}

/** A second connection to the server's SQLite file, for what the API cannot do (age a page, add a trigger). */
// (On either store, prefer rawQuery and injectFailure below.)
export function openDb(server: Pick<TestServer, 'dataDir'>): Database.Database {
  const db = new Database(path.join(server.dataDir, 'marginalia.db'));
  db.pragma('busy_timeout = 5000');
  return db;
}

export function expectProblem(r: ApiResponse, status: number): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
}

/**
 * A statement on the server's own database, whichever store it runs on, for what the API cannot do (age a page,
 * read a stored row). `?` placeholders; the SQL must be valid on both SQLite and PostgreSQL.
 */
export async function rawQuery(
  server: Pick<TestServer, 'dataDir' | 'databaseUrl'>,
  text: string,
  params: unknown[] = [],
  opts: { types?: pg.CustomTypesConfig } = {},
): Promise<Record<string, unknown>[]> {
  if (server.databaseUrl) {
    const client = new pg.Client({ connectionString: server.databaseUrl, types: opts.types });
    await client.connect();
    try {
      let n = 0;
      return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
    } finally {
      await client.end();
    }
  }
  const db = openDb(server);
  try {
    const stmt = db.prepare(text);
    return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
  } finally {
    db.close();
  }
}

/**
 * Makes the database itself fail while a batch is half done: a trigger that refuses, with a constraint error, to
 * update the status of one comment or to insert one comment's audit row.
 */
export async function injectFailure(server: TestServer, on: 'status update' | 'audit insert', commentId: string): Promise<void> {
  const id = commentId.replace(/[^A-Za-z0-9_]/g, '');
  const name = on === 'status update' ? 'fail_status' : 'fail_audit';
  const sqliteEvent = on === 'status update' ? 'BEFORE UPDATE OF status ON comments WHEN OLD.id' : 'BEFORE INSERT ON moderation_actions WHEN NEW.comment_id';
  if (!server.databaseUrl) return void (await rawExec(server, `CREATE TRIGGER ${name} ${sqliteEvent} = '${id}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;`));
  const pgEvent = on === 'status update' ? `BEFORE UPDATE OF status ON comments FOR EACH ROW WHEN (OLD.id = '${id}')` : `BEFORE INSERT ON moderation_actions FOR EACH ROW WHEN (NEW.comment_id = '${id}')`;
  await rawExec(
    server,
    `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       RAISE EXCEPTION 'injected failure' USING ERRCODE = 'check_violation'; END $$;
     CREATE TRIGGER ${name} ${pgEvent} EXECUTE FUNCTION ${name}();`,
  );
}

export async function removeInjectedFailures(server: TestServer): Promise<void> {
  if (!server.databaseUrl) return void (await rawExec(server, 'DROP TRIGGER IF EXISTS fail_status; DROP TRIGGER IF EXISTS fail_audit;'));
  await rawExec(server, 'DROP TRIGGER IF EXISTS fail_status ON comments; DROP TRIGGER IF EXISTS fail_audit ON moderation_actions;');
}

async function rawExec(server: TestServer, text: string): Promise<void> {
  if (server.databaseUrl) {
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
    return;
  }
  const db = openDb(server);
  db.exec(text);
  db.close();
}
