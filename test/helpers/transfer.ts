// Helpers for import and export tests: a second, empty database with its own services, and exports as text.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store';
import { openPostgresStore } from '../../src/store/postgres';
import { freshSchema } from './stores';
import { deriveKeys, Privacy } from '../../src/domain/privacy';
import { buildServices, type Services } from '../../src/app';
import type { Repositories } from '../../src/domain/ports';
import type { DomainEvent } from '../../src/domain/events';

export interface Store {
  dir: string;
  file: string;
  repos: Repositories;
  services: Services;
  events: DomainEvent[];
  close(): Promise<void>;
}

/** A fresh SQLite database in a temp dir, migrated, with nothing in it (no demo site), and its own secret key. */
export function emptyStore(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-import-'));
  const file = path.join(dir, 'marginalia.db');
  const repos = openStore(file);
  const privacy = new Privacy(deriveKeys(crypto.randomBytes(32).toString('base64')));
  const services = buildServices({ repos, privacy });
  const events: DomainEvent[] = [];
  services.events.onAny((e) => events.push(e));
  return {
    dir,
    file,
    repos,
    services,
    events,
    async close() {
      await repos.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function exportText(services: Services, opts: { siteId?: string; now?: number } = {}): Promise<string> {
  let out = '';
  await services.json.export((chunk) => {
    out += chunk;
  }, opts);
  return out;
}

/** The document without its export time, which is all two exports of the same data may differ in. */
export const withoutTime = (text: string) => text.replace(/"exportedAt":"[^"]+"/, '"exportedAt":""');

/** Every row of the tables an import writes, for "nothing changed" checks. */
export function snapshot(file: string): string {
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true });
  const out: Record<string, unknown[]> = {};
  for (const t of SNAPSHOT_TABLES)
    out[t] = db
      .prepare(`SELECT * FROM ${t}`)
      .all()
      .map((row: Record<string, unknown>) => JSON.stringify(row, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)))
      .sort();
  db.close();
  return JSON.stringify(out);
}

const SNAPSHOT_TABLES = ['sites', 'pages', 'comments', 'comment_sources', 'moderation_actions', 'reports', 'bans', 'comment_counts', 'votes'];

/** Every row of the tables an import writes in a PostgreSQL schema (the URL's search path), for "nothing changed" checks. */
export async function pgSnapshot(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const t of SNAPSHOT_TABLES) out[t] = (await client.query(`SELECT t::text AS row FROM ${t} t`)).rows.map((r) => r.row as string).sort();
    return JSON.stringify(out);
  } finally {
    await client.end();
  }
}

/** Every row of every table of a PostgreSQL schema as text, to look for what must not be stored. */
export async function pgAllRows(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)).rows.map((r) => r.tablename as string);
    let out = '';
    for (const t of tables) for (const r of (await client.query(`SELECT t::text AS row FROM ${t} t`)).rows) out += `${t}: ${r.row}\n`;
    return out;
  } finally {
    await client.end();
  }
}

/** The rows a test server's store holds: its SQLite file, or its PostgreSQL schema. */
export function serverSnapshot(server: { dataDir: string; databaseUrl: string | null }): Promise<string> {
  return server.databaseUrl ? pgSnapshot(server.databaseUrl) : Promise.resolve(snapshot(path.join(server.dataDir, 'marginalia.db')));
}

/**
 * What a test server's store holds, to look for text that must not be there: the bytes of the SQLite file and its
 * WAL, or every row of its PostgreSQL schema.
 */
export function storedText(server: { dataDir: string; databaseUrl: string | null }): Promise<string> {
  if (server.databaseUrl) return pgAllRows(server.databaseUrl);
  const file = path.join(server.dataDir, 'marginalia.db');
  return Promise.resolve(fs.readFileSync(file).toString('latin1') + (fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`).toString('latin1') : ''));
}

export interface AnyStore {
  repos: Repositories;
  services: Services;
  /** The PostgreSQL URL (with the store's own schema), or null on SQLite. */
  databaseUrl: string | null;
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

/** A fresh, empty store of either kind (a new SQLite file, or a new PostgreSQL schema), with its own secret key. */
export async function emptyStoreOn(kind: 'sqlite' | 'postgres'): Promise<AnyStore> {
  if (kind === 'sqlite') {
    const s = emptyStore();
    return { repos: s.repos, services: s.services, databaseUrl: null, snapshot: async () => snapshot(s.file), close: () => s.close() };
  }
  const schema = await freshSchema();
  const repos = await openPostgresStore(schema.url, 4);
  const privacy = new Privacy(deriveKeys(crypto.randomBytes(32).toString('base64')));
  return {
    repos,
    services: buildServices({ repos, privacy }),
    databaseUrl: schema.url,
    snapshot: () => pgSnapshot(schema.url),
    async close() {
      await repos.close();
      await schema.drop();
    },
  };
}
