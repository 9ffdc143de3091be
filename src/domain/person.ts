// Service: one person on a site, identified by one of their comments (so their e-mail never travels in a URL):
// their comments for the console's Person panel, and their data-subject access export. No HTTP knowledge.
import type { QueueRow, Repositories } from './ports';
import type { Comment, Site, Token } from './types';
import { commentCursor, withEmails, type ModeratedComment } from './moderation';
import { Privacy } from './privacy';
import { AppError, notFound } from './errors';

/** The export document's name and version; a reader checks both before trusting the rest. */
export const PERSON_EXPORT_FORMAT = 'marginalia-person';
export const PERSON_EXPORT_VERSION = 1;

/** What one page of the panel's list holds at most, and what the export reads per step. */
const PAGE_MAX = 200;

export interface PersonComments {
  /** As the comment they were identified by gives them. */
  email: string;
  name: string;
  items: ModeratedComment[];
  nextCursor: string | null;
}

export interface PersonExport {
  format: typeof PERSON_EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  site: { id: string; name: string };
  person: { email: string; names: string[]; websites: string[] };
  comments: {
    id: string;
    page: { key: string; title: string | null; url: string | null };
    parentId: string | null;
    status: string;
    author: { name: string; email: string; website: string | null };
    body: string;
    html: string;
    userAgent: string | null;
    createdAt: string;
    editedAt: string | null;
    votes: { upvotes: number; downvotes: number };
  }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export class PersonService {
  constructor(private readonly deps: { repos: Repositories; privacy: Privacy }) {}

  /** The comment that names the person; a comment of another site is not found, an erased author has nobody left. */
  private async anchor(site: Site, commentId: string): Promise<Comment> {
    const c = await this.deps.repos.comments.get(commentId);
    if (!c || c.siteId !== site.id) throw notFound('Comment');
    if (!c.emailHmac || !c.emailEnc.length) throw new AppError('person_erased', 404, 'Not Found', 'The author of this comment was erased.');
    return c;
  }

  private async page(site: Site, c: Comment, beforeId: string | null, limit: number) {
    return this.deps.repos.comments.queue({ siteId: site.id, status: 'all', pageId: null, text: null, emailHmac: c.emailHmac, beforeId, limit });
  }

  /** Every comment of the person on the site, in every status, newest first (by e-mail, matched as e-mails are). */
  async comments(site: Site, input: { commentId: string; cursor?: string; limit: number }): Promise<PersonComments> {
    const c = await this.anchor(site, input.commentId);
    const { items, hasMore } = await this.page(site, c, input.cursor ? commentCursor.read(input.cursor) : null, Math.min(input.limit, PAGE_MAX));
    return {
      email: this.deps.privacy.decryptEmail(c.emailEnc),
      name: c.authorName,
      items: withEmails(items, this.deps.privacy),
      nextCursor: commentCursor.after(items, hasMore),
    };
  }

  /**
   * The person's data on the site, e-mail decrypted, for a data-subject access request; one audit row records that
   * it was given out, naming the comment it was asked by and no personal data.
   */
  async export(site: Site, commentId: string, actor: Token | null, now: number): Promise<PersonExport> {
    const c = await this.anchor(site, commentId);
    // The audit row is written through the transfer repository, which a store may not have yet.
    const transfer = this.deps.repos.transfer;
    if (!transfer) throw new AppError('not_supported', 501, 'Not Implemented', 'This store cannot export a person yet.');
    const rows: QueueRow[] = [];
    for (let before: string | null = null; ; ) {
      const { items, hasMore } = await this.page(site, c, before, PAGE_MAX);
      rows.push(...items);
      if (!hasMore) break;
      before = items[items.length - 1].id;
    }
    const comments = withEmails(rows, this.deps.privacy);
    const names = [...new Set(comments.map((x) => x.authorName).filter(Boolean))];
    const websites = [...new Set(comments.flatMap((x) => (x.authorWebsite ? [x.authorWebsite] : [])))];
    await transfer.auditPersonExport(site.id, c.id, {
      actorId: actor?.id ?? null,
      reason: `exported ${comments.length} comment${comments.length === 1 ? '' : 's'} of one person at their request`,
      now,
    });
    return {
      format: PERSON_EXPORT_FORMAT,
      version: PERSON_EXPORT_VERSION,
      exportedAt: iso(now),
      site: { id: site.id, name: site.name },
      person: { email: this.deps.privacy.decryptEmail(c.emailEnc), names, websites },
      comments: comments.map((x) => ({
        id: x.id,
        page: { key: x.page.key, title: x.page.title, url: x.page.url },
        parentId: x.parentId,
        status: x.status,
        author: { name: x.authorName, email: x.email, website: x.authorWebsite },
        body: x.bodySource,
        html: x.bodyHtml,
        userAgent: x.userAgent,
        createdAt: iso(x.createdAt),
        editedAt: x.editedAt === null ? null : iso(x.editedAt),
        votes: { upvotes: x.upvotes, downvotes: x.downvotes },
      })),
    };
  }
}
