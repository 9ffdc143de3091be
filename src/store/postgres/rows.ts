// Store: PostgreSQL rows to domain types. The columns are SQLite's with real booleans, so the shared mappers apply.
import type { Page } from '../../domain/types';
import { toPage, type PageRow } from '../sqlite/rows';

export type PgPageRow = Omit<PageRow, 'closed' | 'metadata_locked'> & { closed: boolean; metadata_locked: boolean };

export function toPgPage(r: PgPageRow): Page {
  return toPage({ ...r, closed: r.closed ? 1 : 0, metadata_locked: r.metadata_locked ? 1 : 0 });
}
