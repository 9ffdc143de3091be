// Store factories for tests: a SQLite file in a temp dir, or a fresh PostgreSQL schema on TEST_DATABASE_URL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store';
import { openPostgresStore } from '../../src/store/postgres';
import type { Repositories } from '../../src/domain/ports';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const testRedisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Which store the HTTP tests run on: the jest project sets it (jest.config.js); SQLite otherwise. */
export const testStore: 'sqlite' | 'postgres' = process.env.MARGINALIA_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestSchema {
  /** TEST_DATABASE_URL with this schema as the search path: everything the service creates lands in it. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty schema, so tests running at once (jest workers, replicas) never see each other's rows. */
export async function freshSchema(): Promise<TestSchema> {
  const name = `t_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(testDatabaseUrl);
  u.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface OpenedStore {
  repos: Repositories;
  /** Closes the store and removes its file or schema. */
  destroy(): Promise<void>;
}

export const storeFactories: Record<'sqlite' | 'postgres', () => Promise<OpenedStore>> = {
  async sqlite() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-store-'));
    const repos = openStore(path.join(dir, 'test.db'));
    return {
      repos,
      async destroy() {
        await repos.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres() {
    const schema = await freshSchema();
    const repos = await openPostgresStore(schema.url, 4);
    return {
      repos,
      async destroy() {
        await repos.close();
        await schema.drop();
      },
    };
  },
};
