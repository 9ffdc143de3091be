// Store: tokens, bans and the audit log on PostgreSQL.
import type { AuditRepository, BanRepository, TokenRepository } from '../../domain/ports';
import type { AuditEntry, Ban, Role, Token } from '../../domain/types';
import { toAuditEntry, type AuditRow } from '../audit-rows';
import { toBan, toToken, type BanRow, type TokenRow } from '../sqlite/rows';
import { one, rows, run, sql, transaction, type Pool } from './pool';

// Writing last_used_at on every request would turn reads into writes; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000;

const T = {
  insert: sql('tokens.insert', 'INSERT INTO tokens (id, hash, role, site_id, label, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *'),
  byHash: sql('tokens.byHash', 'SELECT * FROM tokens WHERE hash = $1 AND revoked_at IS NULL'),
  touch: sql('tokens.touch', 'UPDATE tokens SET last_used_at = $2 WHERE id = $1 AND coalesce(last_used_at, 0) < $3'),
  get: sql('tokens.get', 'SELECT * FROM tokens WHERE id = $1'),
  list: sql(
    'tokens.list',
    `SELECT * FROM tokens WHERE ($1::text IS NULL OR site_id = $1) AND ($2::text IS NULL OR role = $2)
     ORDER BY created_at, id`,
  ),
  revoke: sql('tokens.revoke', 'UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL'),
};

export class PgTokens implements TokenRepository {
  constructor(private readonly pool: Pool) {}

  async create(t: Token & { hash: string }): Promise<Token> {
    const row = await one<TokenRow>(this.pool, T.insert, [t.id, t.hash, t.role, t.siteId, t.label, t.createdAt]);
    return toToken(row!);
  }

  async authenticate(hash: string, now: number): Promise<Token | null> {
    const row = await one<TokenRow>(this.pool, T.byHash, [hash]);
    if (!row) return null;
    if ((row.last_used_at ?? 0) < now - LAST_USED_PRECISION_MS) {
      await run(this.pool, T.touch, [row.id, now, now - LAST_USED_PRECISION_MS]);
      row.last_used_at = now;
    }
    return toToken(row);
  }

  async get(id: string): Promise<Token | null> {
    const row = await one<TokenRow>(this.pool, T.get, [id]);
    return row ? toToken(row) : null;
  }

  async list(filter: { siteId: string | null; role?: Role }): Promise<Token[]> {
    return (await rows<TokenRow>(this.pool, T.list, [filter.siteId, filter.role ?? null])).map(toToken);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return (await run(this.pool, T.revoke, [id, now])) > 0;
  }
}

const B = {
  insert: sql(
    'bans.insert',
    `INSERT INTO bans (id, site_id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  ),
  list: sql('bans.list', 'SELECT * FROM bans WHERE site_id = $1 ORDER BY created_at DESC, id DESC'),
  remove: sql('bans.remove', 'DELETE FROM bans WHERE site_id = $1 AND id = $2'),
  active: sql(
    'bans.active',
    `SELECT * FROM bans WHERE site_id = $1 AND value_hmac = ANY($2::text[]) AND (expires_at IS NULL OR expires_at > $3) LIMIT 1`,
  ),
};

export class PgBans implements BanRepository {
  constructor(private readonly pool: Pool) {}

  async create(bans: Ban[]): Promise<Ban[]> {
    await transaction(this.pool, async (c) => {
      for (const b of bans)
        await run(c, B.insert, [b.id, b.siteId, b.kind, b.valueHmac, b.emailEnc, b.reason, b.commentId, b.expiresAt, b.createdAt, b.createdBy]);
    });
    return bans;
  }

  async list(siteId: string): Promise<Ban[]> {
    return (await rows<BanRow>(this.pool, B.list, [siteId])).map(toBan);
  }

  async remove(siteId: string, id: string): Promise<boolean> {
    return (await run(this.pool, B.remove, [siteId, id])) > 0;
  }

  async findActive(siteId: string, valueHmacs: string[], now: number): Promise<Ban | null> {
    const row = await one<BanRow>(this.pool, B.active, [siteId, valueHmacs, now]);
    return row ? toBan(row) : null;
  }
}

const A = {
  list: sql(
    'audit.list',
    `SELECT a.*, t.label AS actor_label FROM moderation_actions a LEFT JOIN tokens t ON t.id = a.actor_id
      WHERE a.site_id = $1 AND a.id < $2 AND ($3::text IS NULL OR a.comment_id = $3)
      ORDER BY a.id DESC LIMIT $4`,
  ),
};

export class PgAudit implements AuditRepository {
  constructor(private readonly pool: Pool) {}

  async list(siteId: string, opts: { beforeId: number | null; commentId: string | null; limit: number }): Promise<AuditEntry[]> {
    const list = await rows<AuditRow>(this.pool, A.list, [siteId, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.commentId, opts.limit]);
    return list.map(toAuditEntry);
  }
}
