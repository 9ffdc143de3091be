// Notifications: turns an outbox mail into its subject, parts and headers, with the signed links it needs.
import type { Privacy } from '../privacy';
import type { Site } from '../types';
import { renderMail, strings, type Block, type RenderedMail } from './templates';
import type { Delivery, PageInfo } from './types';

export const UNSUBSCRIBE_TTL_MS = 365 * 24 * 60 * 60_000;
export const CONFIRM_TTL_MS = 7 * 24 * 60 * 60_000;
export const MY_COMMENTS_TTL_MS = 24 * 60 * 60_000;

export interface MailParts extends RenderedMail {
  headers: Record<string, string>;
}

interface ReplyItem {
  replyId: string;
  authorName: string;
  text: string;
  at: number;
}

export interface ModerationItem {
  commentId: string;
  linkId: string;
  why: string;
  authorName: string;
  text: string;
  reasons: string[];
  page: PageInfo | null;
  expiresAt: number;
}

export class MailComposer {
  constructor(private readonly deps: { privacy: Privacy; publicUrl: string }) {}

  private link(path: string, claims: Parameters<Privacy['signLink']>[0]): string {
    return `${this.deps.publicUrl}${path}?t=${encodeURIComponent(this.deps.privacy.signLink(claims))}`;
  }

  unsubscribeUrl(siteId: string, emailHmac: string, pageId: number | null, now: number): string {
    const claims = { p: 'unsubscribe', s: siteId, h: emailHmac, exp: now + UNSUBSCRIBE_TTL_MS, ...(pageId === null ? {} : { pg: pageId }) };
    return this.link('/notify/unsubscribe', claims);
  }

  compose(d: Delivery, site: Site, now: number): MailParts {
    const lang = site.settings.language;
    const t = strings[lang];
    const name = site.name;
    const footer: Block = { kind: 'small', text: t.footer(name) };
    switch (d.topic) {
      case 'confirm': {
        const h = String(d.payload.emailHmac);
        const url = this.link('/notify/confirm', { p: 'confirm', s: site.id, h, exp: now + CONFIRM_TTL_MS });
        return {
          ...renderMail(lang, t.confirmSubject(name), [
            { kind: 'p', text: t.confirmIntro(name) },
            { kind: 'link', label: t.confirmLink, url },
            { kind: 'small', text: t.confirmIgnore },
            footer,
          ]),
          headers: {},
        };
      }
      case 'reply': {
        const h = String(d.payload.emailHmac);
        const pageId = Number(d.payload.pageId);
        const page = (d.payload.page ?? null) as PageInfo | null;
        const items = (d.payload.items ?? []) as ReplyItem[];
        const title = page?.title || page?.key || name;
        const all = this.unsubscribeUrl(site.id, h, null, now);
        const thread = this.unsubscribeUrl(site.id, h, pageId, now);
        const blocks: Block[] = [{ kind: 'p', text: t.replyIntro(title) }];
        for (const r of items) blocks.push({ kind: 'p', text: t.replyBy(r.authorName) }, { kind: 'quote', text: r.text });
        if (page?.url) blocks.push({ kind: 'link', label: t.readLink, url: page.url });
        blocks.push({ kind: 'link', label: t.threadUnsubscribe, url: thread }, { kind: 'link', label: t.siteUnsubscribe, url: all }, footer);
        return {
          ...renderMail(lang, t.replySubject(title, items.length), blocks),
          // RFC 8058: a mail client may unsubscribe with one POST to this URL, without opening it.
          headers: { 'List-Unsubscribe': `<${all}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        };
      }
      case 'moderation': {
        const items = (d.payload.items ?? []) as ModerationItem[];
        const blocks: Block[] = [];
        for (const m of items) {
          const page = m.page?.title || m.page?.key || '';
          blocks.push({ kind: 'p', text: `${t.moderationWhy[m.why] ?? m.why} — ${t.moderationBy(m.authorName, page)}` });
          blocks.push({ kind: 'quote', text: m.text });
          if (m.reasons.length) blocks.push({ kind: 'p', text: `${t.reasons} ${m.reasons.join(' ')}` });
          if (m.page?.url) blocks.push({ kind: 'link', label: t.readLink, url: m.page.url });
          for (const [action, label] of [
            ['approve', t.approve],
            ['reject', t.reject],
            ['spam', t.spam],
          ] as const)
            blocks.push({ kind: 'link', label, url: this.link('/notify/moderate', { p: 'moderate', l: m.linkId, a: action, exp: m.expiresAt }) });
        }
        blocks.push({ kind: 'small', text: t.moderationNote }, footer);
        return { ...renderMail(lang, t.moderationSubject(name, items.length), blocks), headers: {} };
      }
      case 'my-comments': {
        const h = String(d.payload.emailHmac);
        const url = this.link('/notify/my-comments', { p: 'mine', s: site.id, h, exp: now + MY_COMMENTS_TTL_MS });
        return {
          ...renderMail(lang, t.mineSubject(name), [{ kind: 'p', text: t.mineIntro(name) }, { kind: 'link', label: t.mineLink, url }, footer]),
          headers: {},
        };
      }
      default:
        throw new Error(`unknown mail topic ${d.topic}`);
    }
  }
}
