// Store: tokens, bans and the audit log.
import { atomic, type Db } from '../db';
import type { AuditRepository, BanRepository, TokenRepository } from '../../domain/ports';
import type { AuditEntry, Ban, Role, Token } from '../../domain/types';
import { toAuditEntry, type AuditRow } from '../audit-rows';
import { toBan, toToken, type BanRow, type TokenRow } from './rows';
import { cannotWrite } from './busy';

// Writing last_used_at on every request would turn reads into writes; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000;

export class SqliteTokens implements TokenRepository {
  private readonly insertStmt;
  private readonly byHashStmt;
  private readonly touchStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly revokeStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO tokens (id, hash, role, site_id, label, created_at)
      VALUES (@id, @hash, @role, @siteId, @label, @createdAt)`);
    this.byHashStmt = db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL');
    this.touchStmt = db.prepare('UPDATE tokens SET last_used_at = @now WHERE id = @id AND coalesce(last_used_at, 0) < @stale');
    this.getStmt = db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?');
    this.listStmt = db.prepare<{ siteId: string | null; role: Role | null }, TokenRow>(
      `SELECT * FROM tokens WHERE (@siteId IS NULL OR site_id = @siteId) AND (@role IS NULL OR role = @role)
       ORDER BY created_at, id`,
    );
    this.revokeStmt = db.prepare('UPDATE tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL');
  }

  async create(t: Token & { hash: string }): Promise<Token> {
    this.insertStmt.run({ id: t.id, hash: t.hash, role: t.role, siteId: t.siteId, label: t.label, createdAt: t.createdAt });
    return toToken(this.getStmt.get(t.id)!);
  }

  async authenticate(hash: string, now: number): Promise<Token | null> {
    const row = this.byHashStmt.get(hash);
    if (!row) return null;
    if ((row.last_used_at ?? 0) < now - LAST_USED_PRECISION_MS) {
      try {
        this.touchStmt.run({ id: row.id, now, stale: now - LAST_USED_PRECISION_MS });
        row.last_used_at = now;
      } catch (err) {
        // The last-used time is a courtesy: a moderator's read must not fail because a write cannot happen now.
        if (!cannotWrite(err)) throw err;
      }
    }
    return toToken(row);
  }

  async get(id: string): Promise<Token | null> {
    const row = this.getStmt.get(id);
    return row ? toToken(row) : null;
  }

  async list(filter: { siteId: string | null; role?: Role }): Promise<Token[]> {
    return this.listStmt.all({ siteId: filter.siteId, role: filter.role ?? null }).map(toToken);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return this.revokeStmt.run({ id, now }).changes > 0;
  }
}

export class SqliteBans implements BanRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly removeStmt;
  private readonly activeStmt;
  private readonly activeTwoStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO bans (id, site_id, kind, value_hmac, email_enc, reason, comment_id, expires_at, created_at, created_by)
      VALUES (@id, @siteId, @kind, @valueHmac, @emailEnc, @reason, @commentId, @expiresAt, @createdAt, @createdBy)`);
    this.listStmt = db.prepare<[string], BanRow>('SELECT * FROM bans WHERE site_id = ? ORDER BY created_at DESC, id DESC');
    this.removeStmt = db.prepare('DELETE FROM bans WHERE site_id = ? AND id = ?');
    this.activeStmt = db.prepare<{ siteId: string; values: string; now: number }, BanRow>(
      `SELECT * FROM bans WHERE site_id = @siteId AND value_hmac IN (SELECT value FROM json_each(@values))
         AND (expires_at IS NULL OR expires_at > @now) LIMIT 1`,
    );
    // A post asks about two values (its e-mail and address): plain parameters, without building and reading JSON.
    this.activeTwoStmt = db.prepare<{ siteId: string; a: string; b: string; now: number }, BanRow>(
      `SELECT * FROM bans WHERE site_id = @siteId AND value_hmac IN (@a, @b)
         AND (expires_at IS NULL OR expires_at > @now) LIMIT 1`,
    );
  }

  async create(bans: Ban[]): Promise<Ban[]> {
    atomic(this.db, () => {
      for (const b of bans) this.insertStmt.run(b);
    });
    return bans;
  }

  async list(siteId: string): Promise<Ban[]> {
    return this.listStmt.all(siteId).map(toBan);
  }

  async remove(siteId: string, id: string): Promise<boolean> {
    return this.removeStmt.run(siteId, id).changes > 0;
  }

  async findActive(siteId: string, valueHmacs: string[], now: number): Promise<Ban | null> {
    const row =
      valueHmacs.length === 1 || valueHmacs.length === 2
        ? this.activeTwoStmt.get({ siteId, a: valueHmacs[0], b: valueHmacs[valueHmacs.length - 1], now })
        : this.activeStmt.get({ siteId, values: JSON.stringify(valueHmacs), now });
    return row ? toBan(row) : null;
  }
}

export class SqliteAudit implements AuditRepository {
  private readonly listStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare<{ siteId: string; beforeId: number; commentId: string | null; limit: number }, AuditRow>(
      `SELECT a.*, t.label AS actor_label FROM moderation_actions a LEFT JOIN tokens t ON t.id = a.actor_id
        WHERE a.site_id = @siteId AND a.id < @beforeId AND (@commentId IS NULL OR a.comment_id = @commentId)
        ORDER BY a.id DESC LIMIT @limit`,
    );
  }

  async list(siteId: string, opts: { beforeId: number | null; commentId: string | null; limit: number }): Promise<AuditEntry[]> {
    return this.listStmt
      .all({ siteId, beforeId: opts.beforeId ?? Number.MAX_SAFE_INTEGER, commentId: opts.commentId, limit: opts.limit })
      .map(toAuditEntry);
  }
}
