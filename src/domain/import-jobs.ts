// Service: imports started over HTTP run in the background from an uploaded file; owners ask how far they are.
// Jobs live in this process's memory (the newest 100), which is what one owner watching one upload needs.
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { ImportProgress, ImportService, ImportSummary } from './importer';
import type { JsonTransferService } from './json-transfer';
import { readDisqus } from '../import/disqus';
import { readWordPress } from '../import/wordpress';
import { ImportError, type ReadProgress } from '../import/records';
import { notFound } from './errors';

export type JobFormat = 'disqus' | 'wordpress' | 'json';

export interface ImportJob {
  id: string;
  siteId: string;
  format: JobFormat;
  state: 'running' | 'done' | 'failed';
  progress: { phase: ImportProgress['phase'] | 'uploading'; done: number; total: number | null };
  counts: Pick<ImportSummary, 'imported' | 'alreadyThere' | 'skipped' | 'newPages' | 'warnings' | 'warningCount'> | null;
  error?: string;
  startedAt: number;
  finishedAt: number | null;
}

const KEEP = 100;
/**
 * The JSON import reads its document whole; larger uploads are refused before it is parsed. A document parses to
 * about twice its size in objects (40 MB of comments: 85 MB of heap), so 64 MiB keeps an import well inside the
 * server's heap limit (scripts/start.sh) beside its own state.
 */
export const JSON_IMPORT_MAX_BYTES = 64 * 1024 * 1024;

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();

  constructor(
    private readonly deps: { importer: ImportService; json: JsonTransferService; onError: (err: unknown) => void },
  ) {}

  /** A job in its upload phase; `run` starts it once the file is complete. */
  create(siteId: string, format: JobFormat, now: number): ImportJob {
    const job: ImportJob = {
      id: `imp_${crypto.randomBytes(12).toString('base64url')}`,
      siteId,
      format,
      state: 'running',
      progress: { phase: 'uploading', done: 0, total: null },
      counts: null,
      startedAt: now,
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    while (this.jobs.size > KEEP) this.jobs.delete(this.jobs.keys().next().value as string);
    return job;
  }

  get(siteId: string, id: string): ImportJob {
    const job = this.jobs.get(id);
    if (!job || job.siteId !== siteId) throw notFound('Import');
    return job;
  }

  fail(job: ImportJob, message: string): void {
    Object.assign(job, { state: 'failed', error: message, finishedAt: Date.now() });
  }

  /** Runs the import from the uploaded file and removes the file afterwards. Never rejects: the job says how it ended. */
  async run(job: ImportJob, file: string): Promise<void> {
    const onProgress = (p: ImportProgress) => {
      job.progress = { ...p };
    };
    const onRead = (p: ReadProgress) => onProgress({ phase: 'reading', done: p.bytesRead, total: p.totalBytes });
    try {
      const size = fs.statSync(file).size;
      if (job.format === 'json') {
        if (size > JSON_IMPORT_MAX_BYTES) throw new ImportError(`a JSON export over ${JSON_IMPORT_MAX_BYTES / 1024 / 1024} MiB is imported with the command line`);
        const r = await this.deps.json.import(fs.readFileSync(file, 'utf8'), { onlySite: job.siteId, onProgress });
        const s = r.sites[0];
        job.counts = s
          ? { imported: s.imported, alreadyThere: s.alreadyThere, skipped: {}, newPages: s.newPages, warnings: s.warnings, warningCount: s.warningCount }
          : { imported: 0, alreadyThere: 0, skipped: {}, newPages: 0, warnings: [], warningCount: 0 };
      } else {
        const read = job.format === 'disqus' ? readDisqus : readWordPress;
        const s = await this.deps.importer.run(read(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), onRead, size), {
          siteId: job.siteId,
          source: job.format,
          onProgress,
        });
        job.counts = { imported: s.imported, alreadyThere: s.alreadyThere, skipped: s.skipped, newPages: s.newPages, warnings: s.warnings, warningCount: s.warningCount };
      }
      job.state = 'done';
      job.progress = { ...job.progress, phase: 'done' };
      job.finishedAt = Date.now();
    } catch (err) {
      // What the owner's own file got wrong is shown; anything else is logged, and the owner reads a plain line.
      if (err instanceof ImportError) this.fail(job, err.message);
      else {
        this.deps.onError(err);
        this.fail(job, 'The import failed; nothing was changed.');
      }
    } finally {
      fs.rm(file, { force: true }, () => {});
    }
  }
}
