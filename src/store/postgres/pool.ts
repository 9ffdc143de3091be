// Store: the PostgreSQL connection pool, named (prepared) statements and one-transaction-per-call helper.
import pg from 'pg';
import { conflict } from '../../domain/errors';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
/** A pool or a client inside a transaction: anything that runs a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const INT8_OID = 20;
// Times are epoch milliseconds and ids, counts are far below 2^53: bigint columns are read as numbers, in this pool only.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export function createPool(url: string, max: number): Pool {
  const pool = new pg.Pool({ connectionString: url, max, types, application_name: 'marginalia' } as pg.PoolConfig);
  // An idle client losing its connection (a restarted server) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/** A statement prepared once per connection, the first time that connection runs it. */
export interface Statement {
  name: string;
  text: string;
}

export function sql(name: string, text: string): Statement {
  return { name, text };
}

async function query(db: Queryable, s: Statement, values: unknown[]): Promise<pg.QueryResult> {
  try {
    return await db.query({ name: s.name, text: s.text, values });
  } catch (err) {
    // Integrity violations (class 23) are the caller's conflict, as SQLite's constraint errors are; the server's
    // detail (which quotes the values) stays out of the answer.
    if (/^23/.test(String((err as { code?: unknown }).code))) throw conflict('conflict', 'The request conflicts with stored data.');
    throw err;
  }
}

export async function rows<R>(db: Queryable, s: Statement, values: unknown[] = []): Promise<R[]> {
  return (await query(db, s, values)).rows as R[];
}

export async function one<R>(db: Queryable, s: Statement, values: unknown[] = []): Promise<R | undefined> {
  return (await rows<R>(db, s, values))[0];
}

export async function run(db: Queryable, s: Statement, values: unknown[] = []): Promise<number> {
  return (await query(db, s, values)).rowCount ?? 0;
}

// Deadlock and serialization failures: PostgreSQL rolled the whole transaction back, so it is safe to run again.
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/** Runs `fn` in one transaction on one client: BEGIN, COMMIT, or ROLLBACK when it throws. */
export async function transaction<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(pool, fn);
    } catch (err) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

async function once<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    // A client whose rollback failed is in an unknown state: the pool closes it instead of reusing it.
    client.release(broken);
  }
}

/** A LIKE pattern that matches the text literally anywhere. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}
