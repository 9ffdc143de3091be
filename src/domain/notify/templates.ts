// Mail templates: each message is one list of blocks, rendered both as plain text and as HTML, in English or French.
import type { MailLanguage } from '../settings';

export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'link'; label: string; url: string }
  | { kind: 'small'; text: string };

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One template, two parts: the same blocks in the same order, so the text and HTML never say different things. */
export function renderMail(lang: MailLanguage, subject: string, blocks: Block[]): RenderedMail {
  const text = blocks
    .map((b) => {
      switch (b.kind) {
        case 'p':
        case 'small':
          return b.text;
        case 'quote':
          return b.text
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n');
        case 'link':
          return `${b.label}: ${b.url}`;
      }
    })
    .join('\n\n');
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'p':
          return `<p>${escapeHtml(b.text)}</p>`;
        case 'small':
          return `<p style="color:#555;font-size:12px">${escapeHtml(b.text)}</p>`;
        case 'quote':
          return `<blockquote style="border-left:3px solid #ccc;margin:0 0 1em;padding:0 1em;white-space:pre-wrap">${escapeHtml(b.text)}</blockquote>`;
        case 'link':
          return `<p><a href="${escapeHtml(b.url)}">${escapeHtml(b.label)}</a></p>`;
      }
    })
    .join('\n');
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5;max-width:40em">${body}</body></html>`;
  return { subject, text: text + '\n', html };
}

/** A comment's text cut for a mail; the mail quotes, it does not republish. */
export function excerpt(text: string, max = 500): string {
  const t = text.trim();
  return t.length <= max ? t : t.slice(0, max - 1).trimEnd() + '…';
}

export const strings = {
  en: {
    confirmSubject: (site: string) => `Confirm reply notifications from ${site}`,
    confirmIntro: (site: string) =>
      `Someone (we hope you) asked to be told by e-mail when people reply to comments on ${site}. Nothing will be sent until you confirm.`,
    confirmLink: 'Confirm my address',
    confirmIgnore: 'If this was not you, ignore this mail: no other mail will follow.',
    replySubject: (page: string, n: number) => (n === 1 ? `New reply on “${page}”` : `${n} new replies on “${page}”`),
    replyIntro: (page: string) => `Someone answered your comment on “${page}”.`,
    replyBy: (name: string) => `${name} wrote:`,
    readLink: 'Read the conversation',
    threadUnsubscribe: 'Stop mail about this conversation',
    siteUnsubscribe: 'Stop all reply mail from this site',
    moderationSubject: (site: string, n: number) => (n === 1 ? `A comment on ${site} needs a look` : `${n} comments on ${site} need a look`),
    moderationWhy: { pending: 'Held for moderation', reported: 'Reported by readers', approved: 'New comment (published)' } as Record<string, string>,
    moderationBy: (name: string, page: string) => `${name} on “${page}”:`,
    reasons: 'Reasons:',
    approve: 'Approve',
    reject: 'Reject',
    spam: 'Mark as spam',
    moderationNote: 'Each link opens a page where you confirm; it works once and expires in 3 days.',
    mineSubject: (site: string) => `Your comments on ${site}`,
    mineIntro: (site: string) => `Here is the link to see, delete or download your comments on ${site}. It works for 24 hours.`,
    mineLink: 'My comments',
    footer: (site: string) => `You get this mail from ${site}, sent by Marginalia.`,
  },
  fr: {
    confirmSubject: (site: string) => `Confirmez les notifications de réponses de ${site}`,
    confirmIntro: (site: string) =>
      `Quelqu’un (vous, espérons-le) a demandé à être prévenu par e-mail des réponses aux commentaires sur ${site}. Rien ne sera envoyé sans votre confirmation.`,
    confirmLink: 'Confirmer mon adresse',
    confirmIgnore: 'Si ce n’était pas vous, ignorez ce message : aucun autre ne suivra.',
    replySubject: (page: string, n: number) => (n === 1 ? `Nouvelle réponse sur « ${page} »` : `${n} nouvelles réponses sur « ${page} »`),
    replyIntro: (page: string) => `Quelqu’un a répondu à votre commentaire sur « ${page} ».`,
    replyBy: (name: string) => `${name} a écrit :`,
    readLink: 'Lire la conversation',
    threadUnsubscribe: 'Ne plus recevoir de messages sur cette conversation',
    siteUnsubscribe: 'Ne plus recevoir aucune notification de ce site',
    moderationSubject: (site: string, n: number) =>
      n === 1 ? `Un commentaire sur ${site} attend votre avis` : `${n} commentaires sur ${site} attendent votre avis`,
    moderationWhy: { pending: 'En attente de modération', reported: 'Signalé par des lecteurs', approved: 'Nouveau commentaire (publié)' } as Record<string, string>,
    moderationBy: (name: string, page: string) => `${name} sur « ${page} » :`,
    reasons: 'Raisons :',
    approve: 'Approuver',
    reject: 'Refuser',
    spam: 'Marquer comme spam',
    moderationNote: 'Chaque lien ouvre une page de confirmation ; il ne sert qu’une fois et expire dans 3 jours.',
    mineSubject: (site: string) => `Vos commentaires sur ${site}`,
    mineIntro: (site: string) => `Voici le lien pour voir, supprimer ou télécharger vos commentaires sur ${site}. Il est valable 24 heures.`,
    mineLink: 'Mes commentaires',
    footer: (site: string) => `Ce message vous est envoyé par ${site}, via Marginalia.`,
  },
} satisfies Record<MailLanguage, unknown>;

export type Strings = (typeof strings)['en'];
