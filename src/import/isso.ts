// Import: an Isso SQLite database — threads, and comments with parent, mode (1 public, 2 waiting, 4 deleted),
// author, e-mail, website, created time, text (Markdown, as Isso stores it), likes and dislikes.
import Database from 'better-sqlite3';
import type { CommentStatus } from '../domain/types';
import { ImportError, type ImportRecord } from './records';

const REQUIRED = {
  threads: ['id', 'uri', 'title'],
  comments: ['tid', 'id', 'parent', 'created', 'mode', 'remote_addr', 'text', 'author', 'email', 'website', 'likes', 'dislikes'],
};

function statusOf(mode: number, entry: string): { status: CommentStatus; statusBeforeDelete: CommentStatus | null } {
  if (mode === 1) return { status: 'approved', statusBeforeDelete: null };
  if (mode === 2) return { status: 'pending', statusBeforeDelete: null };
  if (mode === 4) return { status: 'deleted', statusBeforeDelete: 'approved' };
  throw new ImportError(`mode ${mode} is not 1, 2 or 4`, { entry });
}

interface IssoComment {
  tid: number;
  id: number;
  parent: number | null;
  created: number;
  mode: number;
  remote_addr: string | null;
  text: string | null;
  author: string | null;
  email: string | null;
  website: string | null;
  likes: number | null;
  dislikes: number | null;
}

export async function* readIsso(file: string, onProgress?: (p: { bytesRead: number; totalBytes: number | null }) => void): AsyncGenerator<ImportRecord> {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.prepare('SELECT 1 FROM sqlite_master').get();
  } catch (err) {
    throw new ImportError(`not an SQLite database: ${(err as Error).message}`);
  }
  try {
    for (const [table, columns] of Object.entries(REQUIRED)) {
      const have = new Set(db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]);
      const missing = columns.filter((c) => !have.has(c));
      if (have.size === 0) throw new ImportError(`not an Isso database: it has no table ${table}`);
      if (missing.length) throw new ImportError(`not an Isso database: table ${table} lacks ${missing.join(', ')}`);
    }
    const total = (db.prepare('SELECT count(*) FROM comments').pluck().get() as number) || 0;
    for (const t of db.prepare('SELECT id, uri, title FROM threads ORDER BY id').iterate() as IterableIterator<{ id: number; uri: string | null; title: string | null }>) {
      yield { kind: 'thread', ref: String(t.id), url: null, fallbackKey: t.uri, title: t.title, entry: `thread ${t.id}` };
    }
    let seen = 0;
    for (const c of db.prepare(`SELECT ${REQUIRED.comments.join(', ')} FROM comments ORDER BY id`).iterate() as IterableIterator<IssoComment>) {
      const entry = `comment ${c.id}`;
      if (typeof c.created !== 'number' || !Number.isFinite(c.created)) throw new ImportError('created is not a time', { entry });
      yield {
        kind: 'comment',
        sourceId: String(c.id),
        threadRef: String(c.tid),
        parentSourceId: c.parent === null ? null : String(c.parent),
        ...statusOf(c.mode, entry),
        authorName: c.author ?? '',
        email: c.email,
        website: c.website,
        ip: c.remote_addr,
        createdAt: Math.round(c.created * 1000),
        body: { markdown: c.text ?? '' },
        upvotes: Math.max(0, c.likes ?? 0),
        downvotes: Math.max(0, c.dislikes ?? 0),
        entry,
      };
      if (++seen % 1000 === 0) onProgress?.({ bytesRead: seen, totalBytes: total });
    }
  } finally {
    db.close();
  }
}
