// HTTP: response shapes built field by field from domain objects, never by deleting fields from a row.
import type { AuditEntry, Ban, Comment, Page, ThreadItem, Token } from '../domain/types';
import type { ModeratedComment } from '../domain/moderation';
import type { FeedItem } from '../domain/ports';
import type { SiteOverview } from '../domain/sites';
import type { AuditOut, BanOut, ModeratedCommentOut, PageComment, PageOut, PublicComment, SiteOut, TokenOut } from './schemas';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
export const avatarUrl = (hash: string) => `/api/v1/avatars/${hash}.svg`;

/** The only shape a reader sees. A comment that is not approved keeps its place as a placeholder. */
export function toPublic(c: ThreadItem | Comment, maxDepth: number): PublicComment {
  const shown = c.status === 'approved';
  return {
    id: c.id,
    parentId: c.parentId,
    depth: Math.min(c.depth, maxDepth),
    author: shown ? { name: c.authorName, website: c.authorWebsite, avatar: avatarUrl(c.avatar) } : null,
    html: shown ? c.bodyHtml : null,
    createdAt: iso(c.createdAt),
    editedAt: isoOrNull(c.editedAt),
    deleted: !shown,
    // A placeholder keeps its place, not its standing.
    score: shown ? c.upvotes - c.downvotes : 0,
    upvotes: shown ? c.upvotes : 0,
    downvotes: shown ? c.downvotes : 0,
    featured: shown && c.featuredAt !== null,
  };
}

/** A public comment with the page it is on (recent comments for sidebars). */
export const toPageComment = (c: FeedItem, maxDepth: number): PageComment => ({
  ...toPublic(c, maxDepth),
  page: { key: c.page.key, title: c.page.title, url: c.page.url },
});

/** The reader's own new or edited comment: shown to them even while it waits for moderation. */
export function toOwnComment(c: Comment, maxDepth: number): PublicComment {
  return {
    ...toPublic({ ...c, status: 'approved' }, maxDepth),
    deleted: c.status === 'deleted',
  };
}

export function toModerated(c: ModeratedComment): ModeratedCommentOut {
  return {
    id: c.id,
    parentId: c.parentId,
    depth: c.depth,
    status: c.status,
    page: { key: c.page.key, title: c.page.title, url: c.page.url, closed: c.page.closed },
    author: { name: c.authorName, email: c.email, website: c.authorWebsite, avatar: avatarUrl(c.avatar) },
    html: c.bodyHtml,
    body: c.bodySource,
    createdAt: iso(c.createdAt),
    editedAt: isoOrNull(c.editedAt),
    reasons: c.reasons.map((r) => ({ code: r.code, detail: r.detail })),
    reports: {
      count: c.reportCount,
      items: c.reports.map((r) => ({ reason: r.reason, note: r.note, createdAt: iso(r.createdAt) })),
    },
    ipHash: c.ipHmac,
    userAgent: c.userAgent,
    parent: c.parent
      ? { id: c.parent.id, authorName: c.parent.authorName, excerpt: excerpt(c.parent.bodySource, 140) }
      : null,
    votes: { score: c.upvotes - c.downvotes, upvotes: c.upvotes, downvotes: c.downvotes },
    featuredAt: isoOrNull(c.featuredAt),
  };
}

export function excerpt(text: string, max: number): string {
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain.length <= max ? plain : plain.slice(0, max - 1).trimEnd() + '…';
}

export const toBan = (b: Ban & { value: string }): BanOut => ({
  id: b.id,
  kind: b.kind,
  value: b.value,
  reason: b.reason,
  commentId: b.commentId,
  expiresAt: isoOrNull(b.expiresAt),
  createdAt: iso(b.createdAt),
});

export const toAudit = (a: AuditEntry): AuditOut => ({
  id: a.id,
  commentId: a.commentId,
  actor: a.actor.type === 'token' ? { type: 'token' as const, id: a.actor.id, label: a.actorLabel } : a.actor,
  action: a.action,
  from: a.from,
  to: a.to,
  reason: a.reason,
  createdAt: iso(a.createdAt),
});

export const toToken = (t: Token): TokenOut => ({
  id: t.id,
  role: t.role,
  site: t.siteId,
  label: t.label,
  createdAt: iso(t.createdAt),
  lastUsedAt: isoOrNull(t.lastUsedAt),
  revokedAt: isoOrNull(t.revokedAt),
});

export const toPage = (p: Page): PageOut => ({
  key: p.key,
  title: p.title,
  url: p.url,
  closed: p.closed,
  metadataLocked: p.metadataLocked,
  approvedCount: p.approvedCount,
  pendingCount: p.pendingCount,
  createdAt: iso(p.createdAt),
});


/** A site as the console's Sites view shows it; `allowed` says whether each origin seen is in the site's list now. */
export function toSiteOut(o: SiteOverview): SiteOut {
  const listed = new Set(o.site.settings.origins);
  return {
    id: o.site.id,
    name: o.site.name,
    origins: o.site.settings.origins,
    moderation: o.site.settings.moderation,
    createdAt: iso(o.site.createdAt),
    counts: o.counts,
    lastActivityAt: isoOrNull(o.lastActivityAt),
    install: {
      seen: o.sightings.map((s) => ({ origin: s.origin, allowed: listed.has(s.origin), firstSeenAt: iso(s.firstSeenAt), lastSeenAt: iso(s.lastSeenAt) })),
    },
  };
}
