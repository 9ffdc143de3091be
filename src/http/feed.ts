// HTTP: Atom feeds of approved comments.
import type { FeedItem } from '../domain/ports';
import type { Site } from '../domain/types';
import { toPlainText } from '../domain/render';

const xml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function atomFeed(f: { site: Site; pageKey: string | null; items: FeedItem[]; baseUrl: string }): string {
  const self = `${f.baseUrl}/api/v1/sites/${f.site.id}/feed.atom${f.pageKey ? `?page=${encodeURIComponent(f.pageKey)}` : ''}`;
  const updated = new Date(f.items[0]?.editedAt ?? f.items[0]?.createdAt ?? 0).toISOString();
  const title = f.pageKey ? `Comments on ${f.items[0]?.page.title ?? f.pageKey}` : `Comments on ${f.site.name}`;
  const entries = f.items.map((c) => {
    const link = c.page.url ? `${c.page.url}#comment-${c.id}` : null;
    const text = toPlainText(c.bodyHtml);
    return [
      '<entry>',
      `<id>urn:marginalia:${xml(f.site.id)}:${c.id}</id>`,
      `<title>${xml(`${c.authorName}: ${text.length > 80 ? text.slice(0, 79) + '…' : text}`)}</title>`,
      `<author><name>${xml(c.authorName)}</name></author>`,
      `<published>${new Date(c.createdAt).toISOString()}</published>`,
      `<updated>${new Date(c.editedAt ?? c.createdAt).toISOString()}</updated>`,
      link ? `<link rel="alternate" href="${xml(link)}"/>` : '',
      `<content type="html">${xml(c.bodyHtml)}</content>`,
      '</entry>',
    ].join('');
  });
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<feed xmlns="http://www.w3.org/2005/Atom">' +
    `<id>urn:marginalia:${xml(f.site.id)}:${xml(f.pageKey ?? '*')}</id>` +
    `<title>${xml(title)}</title><updated>${updated}</updated>` +
    `<link rel="self" href="${xml(self)}"/>` +
    entries.join('') +
    '</feed>'
  );
}
