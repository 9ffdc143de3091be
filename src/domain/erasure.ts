// Service: a person's data on a site, found by e-mail — their comments, exported for them, or erased for good.
import type { Repositories } from './ports';
import type { Site, Token } from './types';
import type { DomainEvents } from './events';
import { Privacy } from './privacy';
import { AppError, invalidField } from './errors';

const looksLikeEmail = (s: string) => s.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(s);

export class ErasureService {
  constructor(private readonly deps: { repos: Repositories; privacy: Privacy; events: DomainEvents }) {}

  private transfer() {
    const t = this.deps.repos.transfer;
    if (!t) throw new AppError('not_supported', 501, 'Not Implemented', 'This store cannot erase yet.');
    return t;
  }

  /**
   * Every comment of that e-mail on the site (matched as e-mails are: case-insensitively) loses author, e-mail and
   * its HMAC, website and body; one audit row records the erase without naming the person.
   */
  async erase(site: Site, email: string, actor: Token | null, now: number): Promise<{ erased: number }> {
    const trimmed = email.trim();
    if (!looksLikeEmail(trimmed)) throw invalidField('email', 'invalid_email', 'must be an e-mail address');
    const transfer = this.transfer();
    const ids = await transfer.commentsByEmail(site.id, this.deps.privacy.emailHmac(site.id, trimmed));
    if (!ids.length) return { erased: 0 };
    const r = await transfer.erase(site.id, ids, {
      actorId: actor?.id ?? null,
      reason: `erased ${ids.length} comment${ids.length === 1 ? '' : 's'} of one person at their request`,
      now,
    });
    this.deps.events.emit({ type: 'comments.changed', siteId: site.id, pageIds: r.pageIds, commentIds: r.ids, cause: 'erased', at: now });
    return { erased: r.ids.length };
  }
}
