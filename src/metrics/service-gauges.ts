// Metrics: what the service holds, read at scrape time — comments by status, the moderation queue, database size.
import fs from 'node:fs';
import type { Repositories } from '../domain/ports';
import { commentStatuses } from '../domain/types';
import type { CacheStats } from '../domain/cache';
import type { MetricsRegistry, Sample } from './registry';

/** Bytes on disk of a SQLite database: the file and its write-ahead log. */
function sqliteBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      /* no WAL yet */
    }
  }
  return total;
}

export function registerServiceGauges(metrics: MetricsRegistry, deps: { repos: Repositories; databasePath: string | null }): void {
  const { repos } = deps;
  // One read of every site's counts serves all three families of a scrape.
  let pending: Promise<{ site: string; counts: Record<string, number> }[]> | null = null;
  const countsBySite = () =>
    (pending ??= (async () => {
      const sites = await repos.sites.list();
      return Promise.all(sites.map(async (s) => ({ site: s.id, counts: await repos.comments.statusCounts(s.id) })));
    })().finally(() => setImmediate(() => (pending = null))));

  metrics.gauge({
    name: 'marginalia_comments',
    help: 'Comments stored, by site and status.',
    labelNames: ['site', 'status'],
    collect: async () =>
      (await countsBySite()).flatMap(({ site, counts }): Sample[] => commentStatuses.map((status) => ({ labels: { site, status }, value: counts[status] ?? 0 }))),
  });
  metrics.gauge({
    name: 'marginalia_moderation_queue',
    help: 'Comments waiting for a moderator (status pending), by site.',
    labelNames: ['site'],
    collect: async () => (await countsBySite()).map(({ site, counts }) => ({ labels: { site }, value: counts.pending ?? 0 })),
  });
  metrics.gauge({
    name: 'marginalia_reported_comments',
    help: 'Comments with open reports, by site.',
    labelNames: ['site'],
    collect: async () => (await countsBySite()).map(({ site, counts }) => ({ labels: { site }, value: counts.reported ?? 0 })),
  });
  // SQLite only: on PostgreSQL the server's own statistics tell its size.
  const file = deps.databasePath;
  if (file)
    metrics.gauge({
      name: 'marginalia_database_bytes',
      help: 'Size of the SQLite database on disk, with its write-ahead log.',
      collect: () => sqliteBytes(file),
    });
}

/** The answer cache's figures (src/domain/cache.ts stats()); hits and misses count from the start of the process. */
export function registerCacheGauges(metrics: MetricsRegistry, cache: { stats(): CacheStats }): void {
  const figures: [keyof CacheStats, string, string][] = [
    ['bytes', 'marginalia_answer_cache_bytes', 'Bytes of cached public answers.'],
    ['maxBytes', 'marginalia_answer_cache_max_bytes', 'Byte budget of the answer cache (CACHE_MAX_BYTES).'],
    ['entries', 'marginalia_answer_cache_entries', 'Cached public answers.'],
    ['hits', 'marginalia_answer_cache_hits', 'Answers served from the cache since start.'],
    ['misses', 'marginalia_answer_cache_misses', 'Answers built because the cache did not have them, since start.'],
    ['evictions', 'marginalia_answer_cache_evictions', 'Answers pushed out to make room, since start.'],
    ['invalidated', 'marginalia_answer_cache_invalidated', 'Answers dropped because a write made them stale, since start.'],
  ];
  for (const [field, name, help] of figures) metrics.gauge({ name, help, collect: () => cache.stats()[field] });
}
