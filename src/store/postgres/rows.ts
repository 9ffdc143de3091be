// Store: PostgreSQL rows to domain types. The columns are SQLite's with real booleans, so the shared mappers apply.
import type { Page } from '../../domain/types';
import { toPage, type PageRow } from '../sqlite/rows';

export type PgPageRow = Omit<PageRow, 'closed' | 'metadata_locked'> & {
  closed: boolean;
  metadata_locked: boolean;
  /** Changes to the counts kept in page_counts (migrations/postgres/0009_spread_counters.sql); null when none. */
  approved_delta?: number | null;
  pending_delta?: number | null;
};

export function toPgPage(r: PgPageRow): Page {
  const { approved_delta, pending_delta, ...row } = r;
  return toPage({
    ...row,
    approved_count: row.approved_count + (approved_delta ?? 0),
    pending_count: row.pending_count + (pending_delta ?? 0),
    closed: r.closed ? 1 : 0,
    metadata_locked: r.metadata_locked ? 1 : 0,
  });
}
