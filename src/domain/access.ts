// Service: who may do what. Tokens are random secrets stored as SHA-256; roles owner > moderator; scope one site or all.
import type { Repositories } from './ports';
import type { Role, Site, Token } from './types';
import { newSecret, newTokenId } from './ids';
import { sha256Hex } from './privacy';
import { forbidden, notFound, unauthorized } from './errors';

/** A token covers every site (siteId null) or exactly one. */
export const covers = (token: Token, siteId: string): boolean => token.siteId === null || token.siteId === siteId;

export interface AccessDeps {
  repos: Repositories;
}

export class AccessService {
  constructor(private readonly deps: AccessDeps) {}

  /** The live token for a bearer secret; any failure is the same 401, with no hint of why. */
  async authenticate(secret: string | undefined, now: number): Promise<Token> {
    if (!secret) throw unauthorized();
    const token = await this.deps.repos.tokens.authenticate(sha256Hex(secret), now);
    if (!token) throw unauthorized();
    return token;
  }

  /** A site outside the token's scope answers 404, as if it did not exist. */
  async authorise(token: Token, siteId: string, need: Role): Promise<Site> {
    const site = covers(token, siteId) ? await this.deps.repos.sites.get(siteId) : null;
    if (!site) throw notFound('Site');
    if (need === 'owner' && token.role !== 'owner') throw forbidden('owner_only', 'Only an owner may do this.');
    return site;
  }

  async sitesFor(token: Token): Promise<Site[]> {
    const sites = await this.deps.repos.sites.list();
    return sites.filter((s) => covers(token, s.id));
  }

  async createToken(
    input: { role: Role; siteId: string | null; label: string },
    now: number,
  ): Promise<{ secret: string; token: Token }> {
    if (input.siteId !== null && !(await this.deps.repos.sites.get(input.siteId))) throw notFound('Site');
    const secret = newSecret('mt');
    const token = await this.deps.repos.tokens.create({
      id: newTokenId(),
      hash: sha256Hex(secret),
      role: input.role,
      siteId: input.siteId,
      label: input.label,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    });
    return { secret, token };
  }

  /** An owner manages tokens within its own scope: an all-sites owner every token, a site owner its site's. */
  private canManage(owner: Token, target: { siteId: string | null }): boolean {
    return owner.role === 'owner' && (owner.siteId === null || owner.siteId === target.siteId);
  }

  async createTokenAs(actor: Token, input: { role: Role; siteId: string | null; label: string }, now: number) {
    if (actor.role !== 'owner') throw forbidden('owner_only', 'Only an owner may do this.');
    if (!this.canManage(actor, input)) throw notFound('Site');
    return this.createToken(input, now);
  }

  async listTokensAs(actor: Token): Promise<Token[]> {
    if (actor.role !== 'owner') throw forbidden('owner_only', 'Only an owner may do this.');
    const tokens = await this.deps.repos.tokens.list({ siteId: actor.siteId });
    return tokens;
  }

  async revokeTokenAs(actor: Token, id: string, now: number): Promise<void> {
    if (actor.role !== 'owner') throw forbidden('owner_only', 'Only an owner may do this.');
    const target = await this.deps.repos.tokens.get(id);
    if (!target || !this.canManage(actor, target)) throw notFound('Token');
    await this.deps.repos.tokens.revoke(id, now);
  }
}
