// Helpers for import and export tests: a second, empty database with its own services, and exports as text.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store';
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
  for (const t of ['sites', 'pages', 'comments', 'comment_sources', 'moderation_actions', 'reports', 'bans', 'comment_counts'])
    out[t] = db
      .prepare(`SELECT * FROM ${t}`)
      .all()
      .map((row: Record<string, unknown>) => JSON.stringify(row, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)))
      .sort();
  db.close();
  return JSON.stringify(out);
}
