// Import: a WordPress WXR export (1.0, 1.1, 1.2) read as a stream. Each item's link and title make the page; its
// `wp:comment`s become comments. Pingbacks and trackbacks are skipped and counted.
import type { Readable } from 'node:stream';
import type { CommentStatus } from '../domain/types';
import { child, childText, walkXml, type XmlNode } from './xml';
import { ImportError, type ImportRecord, type ReadProgress } from './records';
import { parseTime } from './time';

const ZERO_DATE = /^0000-00-00/;

/** `comment_approved` as WordPress writes it; trash keeps the status it had in `_wp_trash_meta_status`. */
function statusOf(approved: string | null, trashedFrom: string | null, where: { entry: string; line: number; column: number }) {
  const from = (v: string | null): CommentStatus => (v === '1' ? 'approved' : v === 'spam' ? 'spam' : 'pending');
  switch (approved ?? '') {
    case '1':
      return { status: 'approved' as const, statusBeforeDelete: null };
    case '0':
      return { status: 'pending' as const, statusBeforeDelete: null };
    case 'spam':
      return { status: 'spam' as const, statusBeforeDelete: null };
    case 'trash':
    case 'post-trashed':
      return { status: 'deleted' as const, statusBeforeDelete: from(trashedFrom) };
    default:
      throw new ImportError(`comment_approved "${(approved ?? '').slice(0, 20)}" is not 1, 0, spam or trash`, where);
  }
}

function meta(comment: XmlNode, key: string): string | null {
  for (const m of comment.children) if (m.name === 'commentmeta' && childText(m, 'meta_key') === key) return childText(m, 'meta_value');
  return null;
}

function* item(node: XmlNode): Generator<ImportRecord> {
  const comments = node.children.filter((c) => c.name === 'comment');
  if (!comments.length) return;
  const postId = childText(node, 'post_id');
  const link = childText(node, 'link') ?? childText(node, 'guid');
  const ref = postId ?? link;
  const entry = `item ${postId ?? link ?? '(no id)'}`;
  if (!ref) throw new ImportError('the item has neither wp:post_id nor a link', { entry, line: node.line, column: node.column });
  yield { kind: 'thread', ref, url: link, fallbackKey: null, title: childText(node, 'title'), entry };
  for (const c of comments) {
    const id = childText(c, 'comment_id');
    const where = { entry: `comment ${id ?? '(no id)'} of ${entry}`, line: c.line, column: c.column };
    if (!id) throw new ImportError('the comment has no wp:comment_id', where);
    const type = childText(c, 'comment_type') ?? 'comment';
    if (type !== 'comment') {
      yield { kind: 'skipped', what: type };
      continue;
    }
    const gmt = childText(c, 'comment_date_gmt');
    const date = gmt && !ZERO_DATE.test(gmt) ? gmt : childText(c, 'comment_date');
    const parent = childText(c, 'comment_parent');
    yield {
      kind: 'comment',
      sourceId: id,
      threadRef: ref,
      parentSourceId: parent && parent !== '0' ? parent : null,
      ...statusOf(childText(c, 'comment_approved'), meta(c, '_wp_trash_meta_status'), where),
      authorName: childText(c, 'comment_author') ?? '',
      email: childText(c, 'comment_author_email'),
      website: childText(c, 'comment_author_url'),
      ip: childText(c, 'comment_author_IP'),
      createdAt: parseTime(date, 'comment_date_gmt', where),
      body: { html: autop(child(c, 'comment_content')?.text ?? '') },
      upvotes: 0,
      downvotes: 0,
      entry: where.entry,
    };
  }
}

/** WordPress stores comments as text with line breaks and shows them through wpautop: paragraphs and breaks. */
export function autop(text: string): string {
  const t = text.replace(/\r\n?/g, '\n').trim();
  if (!t) return '';
  if (/<(p|ul|ol|blockquote|pre)[\s>]/i.test(t)) return t;
  return t
    .split(/\n\s*\n/)
    .map((p) => `<p>${p.trim().replace(/\n/g, '<br />\n')}</p>`)
    .join('\n');
}

export async function* readWordPress(input: Readable, onProgress?: (p: ReadProgress) => void, totalBytes: number | null = null): AsyncGenerator<ImportRecord> {
  const items = walkXml<XmlNode>(
    input,
    (path) => path.length === 3 && path[0] === 'rss' && path[1] === 'channel' && path[2] === 'item',
    (node) => node,
    onProgress,
    totalBytes,
  );
  for await (const node of items) yield* item(node);
}
