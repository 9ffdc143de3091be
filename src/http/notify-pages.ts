// HTTP: the small pages mailed links open — confirm, unsubscribe, moderate, my comments. Plain HTML forms, no script.
import type { Response } from 'express';
import type { MailLanguage } from '../domain/settings';
import type { AuthoredComment } from '../domain/notify/types';
import type { ModerationLinkView } from '../domain/notify/service';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const words = {
  en: {
    confirmTitle: 'Confirm reply notifications',
    confirmAsk: (site: string) => `Get an e-mail when someone replies to your comments on ${site}?`,
    confirmButton: 'Yes, confirm my address',
    confirmed: (site: string) => `Your address is confirmed. You will get an e-mail when someone replies to your comments on ${site}.`,
    unsubTitle: 'Unsubscribe',
    unsubAskThread: 'Stop e-mails about replies in this conversation?',
    unsubAskSite: (site: string) => `Stop all reply e-mails from ${site}?`,
    unsubButton: 'Unsubscribe',
    unsubDoneThread: 'You will get no more e-mails about this conversation.',
    unsubDoneSite: (site: string) => `You will get no more reply e-mails from ${site}.`,
    modTitle: 'Moderate a comment',
    modAsk: { approve: 'Approve this comment?', reject: 'Reject this comment?', spam: 'Mark this comment as spam?' } as Record<string, string>,
    modButton: { approve: 'Approve', reject: 'Reject', spam: 'Mark as spam' } as Record<string, string>,
    modDone: { approve: 'Approved.', reject: 'Rejected.', spam: 'Marked as spam.' } as Record<string, string>,
    modUsed: (action: string) => `This link was already used (${action}). Each link works once.`,
    by: 'By',
    on: 'on',
    status: 'Status',
    reasons: 'Reasons',
    mineTitle: 'My comments',
    mineNone: 'You have no comments on this site.',
    mineDelete: 'Delete',
    mineDownload: 'Download them all as JSON',
    refused: 'This link cannot be used',
  },
  fr: {
    confirmTitle: 'Confirmer les notifications de réponses',
    confirmAsk: (site: string) => `Recevoir un e-mail quand quelqu’un répond à vos commentaires sur ${site} ?`,
    confirmButton: 'Oui, confirmer mon adresse',
    confirmed: (site: string) => `Votre adresse est confirmée. Vous recevrez un e-mail quand quelqu’un répondra à vos commentaires sur ${site}.`,
    unsubTitle: 'Se désabonner',
    unsubAskThread: 'Ne plus recevoir d’e-mails sur les réponses de cette conversation ?',
    unsubAskSite: (site: string) => `Ne plus recevoir aucun e-mail de réponses de ${site} ?`,
    unsubButton: 'Se désabonner',
    unsubDoneThread: 'Vous ne recevrez plus d’e-mails sur cette conversation.',
    unsubDoneSite: (site: string) => `Vous ne recevrez plus d’e-mails de réponses de ${site}.`,
    modTitle: 'Modérer un commentaire',
    modAsk: { approve: 'Approuver ce commentaire ?', reject: 'Refuser ce commentaire ?', spam: 'Marquer ce commentaire comme spam ?' } as Record<string, string>,
    modButton: { approve: 'Approuver', reject: 'Refuser', spam: 'Marquer comme spam' } as Record<string, string>,
    modDone: { approve: 'Approuvé.', reject: 'Refusé.', spam: 'Marqué comme spam.' } as Record<string, string>,
    modUsed: (action: string) => `Ce lien a déjà servi (${action}). Chaque lien ne sert qu’une fois.`,
    by: 'Par',
    on: 'sur',
    status: 'Statut',
    reasons: 'Raisons',
    mineTitle: 'Mes commentaires',
    mineNone: 'Vous n’avez aucun commentaire sur ce site.',
    mineDelete: 'Supprimer',
    mineDownload: 'Tout télécharger en JSON',
    refused: 'Ce lien ne peut pas servir',
  },
} satisfies Record<MailLanguage, unknown>;

export const pageWords = (lang: MailLanguage) => words[lang];

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5;color:#1a1a1a}
blockquote{border-left:3px solid #999;margin:1em 0;padding:0 1em}button{font:inherit;padding:.4em 1em}
li{margin:1em 0}.meta{color:#555;font-size:.9em}`;

/** The only inline thing is the style; forms post to this service only. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function sendPage(res: Response, status: number, lang: MailLanguage, title: string, body: string): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Cache-Control', 'no-store');
  // The token in the address must not travel to another site in a Referer.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.type('html').send(
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>` +
      `<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
  );
}

export const form = (action: string, token: string, button: string, extra = '') =>
  `<form method="post" action="${esc(action)}"><input type="hidden" name="t" value="${esc(token)}">${extra}<button type="submit">${esc(button)}</button></form>`;

export function moderationBody(v: ModerationLinkView, lang: MailLanguage): string {
  const w = words[lang];
  const page = v.comment.page;
  const where = page ? (page.url ? `<a href="${esc(page.url)}">${esc(page.title || page.key)}</a>` : esc(page.title || page.key)) : '';
  return (
    `<p class="meta">${w.by} <strong>${esc(v.comment.authorName)}</strong> ${w.on} ${where} · ${w.status}: ${esc(v.comment.status)}</p>` +
    // Stored HTML is the sanitiser's output, the same the public thread shows.
    `<blockquote>${v.comment.bodyHtml}</blockquote>` +
    (v.comment.reasons.length ? `<p class="meta">${w.reasons}: ${esc(v.comment.reasons.join(' '))}</p>` : '')
  );
}

export function myCommentsBody(comments: AuthoredComment[], token: string, lang: MailLanguage): string {
  const w = words[lang];
  const exportUrl = `/notify/my-comments/export.json?t=${encodeURIComponent(token)}`;
  const items = comments
    .map(
      (c) =>
        `<li data-comment="${esc(c.id)}"><p class="meta">${esc(new Date(c.createdAt).toISOString().slice(0, 16).replace('T', ' '))} · ` +
        `${c.page.url ? `<a href="${esc(c.page.url)}">${esc(c.page.title || c.page.key)}</a>` : esc(c.page.title || c.page.key)} · ${esc(c.status)}</p>` +
        `<blockquote>${c.bodyHtml}</blockquote>` +
        form('/notify/my-comments/delete', token, w.mineDelete, `<input type="hidden" name="id" value="${esc(c.id)}">`) +
        `</li>`,
    )
    .join('');
  return (
    `<p><a href="${esc(exportUrl)}" download="my-comments.json">${esc(w.mineDownload)}</a></p>` +
    (comments.length ? `<ul>${items}</ul>` : `<p>${esc(w.mineNone)}</p>`)
  );
}
