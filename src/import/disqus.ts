// Import: a Disqus XML export read as a stream — threads (link, title, identifier) and posts with their parent,
// deleted and spam flags, author, createdAt and message HTML. Posts may come before or after their thread and parent.
import type { Readable } from 'node:stream';
import { attr, child, childText, walkXml, type XmlNode } from './xml';
import { ImportError, type ImportRecord, type ReadProgress } from './records';
import { parseTime } from './time';

const isTrue = (v: string | null) => v === 'true' || v === '1';

function thread(node: XmlNode): ImportRecord {
  const entry = `thread ${attr(node, 'id') ?? childText(node, 'id') ?? '(no id)'}`;
  const ref = attr(node, 'id') ?? childText(node, 'id');
  if (!ref) throw new ImportError('the thread has no dsq:id and no id', { entry, line: node.line, column: node.column });
  return { kind: 'thread', ref, url: childText(node, 'link'), fallbackKey: childText(node, 'id'), title: childText(node, 'title'), entry };
}

function post(node: XmlNode): ImportRecord {
  const sourceId = attr(node, 'id') ?? childText(node, 'id');
  const entry = `post ${sourceId ?? '(no id)'}`;
  const where = { entry, line: node.line, column: node.column };
  if (!sourceId) throw new ImportError('the post has no dsq:id', where);
  const threadNode = child(node, 'thread');
  const threadRef = attr(threadNode, 'id') ?? threadNode?.text.trim() ?? null;
  if (!threadRef) throw new ImportError('the post names no thread', where);
  const parentNode = child(node, 'parent');
  const parentSourceId = attr(parentNode, 'id') ?? (parentNode?.text.trim() || null);
  const createdAt = parseTime(childText(node, 'createdAt'), 'createdAt', where);
  const author = child(node, 'author');
  const spam = isTrue(childText(node, 'isSpam'));
  const deleted = isTrue(childText(node, 'isDeleted'));
  return {
    kind: 'comment',
    sourceId,
    threadRef,
    parentSourceId,
    status: deleted ? 'deleted' : spam ? 'spam' : 'approved',
    statusBeforeDelete: deleted ? (spam ? 'spam' : 'approved') : null,
    authorName: (author && (childText(author, 'name') ?? childText(author, 'username'))) ?? '',
    email: author ? childText(author, 'email') : null,
    website: null,
    ip: childText(node, 'ipAddress'),
    createdAt,
    body: { html: child(node, 'message')?.text ?? '' },
    upvotes: 0,
    downvotes: 0,
    entry,
  };
}

export function readDisqus(input: Readable, onProgress?: (p: ReadProgress) => void, totalBytes: number | null = null): AsyncGenerator<ImportRecord> {
  return walkXml<ImportRecord>(
    input,
    (path) => path.length === 2 && path[0] === 'disqus' && (path[1] === 'thread' || path[1] === 'post'),
    (node) => (node.name === 'thread' ? thread(node) : post(node)),
    onProgress,
    totalBytes,
  );
}
