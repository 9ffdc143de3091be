// Controller: export, import and erasure over HTTP (owners). The upload is streamed to a file and imported in the
// background; the export is streamed as it is written; erase answers how many comments it erased.
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type RequestHandler, type Response } from 'express';
import type { AccessService } from '../domain/access';
import type { ErasureService } from '../domain/erasure';
import type { ImportJob, ImportJobs } from '../domain/import-jobs';
import type { JsonTransferService } from '../domain/json-transfer';
import type { Site } from '../domain/types';
import { AppError } from '../domain/errors';
import { authenticateToken, tokenOf } from './auth';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { eraseBody, importQuery, type ImportJobOut } from './transfer-schemas';

/** The largest file an owner may upload for an import. */
export const IMPORT_UPLOAD_MAX_BYTES = 1024 * 1024 * 1024;

export interface TransferRouteDeps {
  access: AccessService;
  jobs: ImportJobs;
  json: JsonTransferService;
  erasure: ErasureService;
  rateLimitStores: RateLimitStoreFactory;
  /** Where uploads wait for their import. */
  uploadDir: string;
}

const siteOf = (res: Response) => res.locals.site as Site;
const iso = (ms: number) => new Date(ms).toISOString();

export function toJob(j: ImportJob): ImportJobOut {
  return {
    id: j.id,
    format: j.format,
    state: j.state,
    progress: { phase: j.progress.phase, done: j.progress.done, total: j.progress.total },
    counts: j.counts,
    ...(j.error ? { error: j.error } : {}),
    startedAt: iso(j.startedAt),
    finishedAt: j.finishedAt === null ? null : iso(j.finishedAt),
  };
}

function ownerChain(deps: TransferRouteDeps): RequestHandler[] {
  const forSite: RequestHandler = async (req, res, next) => {
    const site = await deps.access.authorise(tokenOf(res), String(req.params.site), 'owner');
    res.locals.site = site;
    res.locals.siteId = site.id;
    res.locals.settings = site.settings;
    next();
  };
  const limiter = siteLimiter({
    name: 'transfer',
    windowMs: 60_000,
    limit: (l) => l.moderationPerMinute,
    key: (_req, res) => tokenOf(res).id,
    stores: deps.rateLimitStores,
  });
  return [authenticateToken(deps.access), forSite, limiter];
}

/** The upload route: mounted before the JSON body parser, since its body is the export file itself. */
export function importUploadRoutes(deps: TransferRouteDeps): Router {
  const router = Router();
  router.post('/sites/:site/import', ...ownerChain(deps), async (req, res) => {
    const { format } = importQuery.parse(req.query);
    const declared = Number(req.get('content-length') ?? NaN);
    if (declared > IMPORT_UPLOAD_MAX_BYTES) throw new AppError('payload_too_large', 413, 'Payload Too Large', 'The file is larger than 1 GiB.');
    const job = deps.jobs.create(siteOf(res).id, format, Date.now());
    fs.mkdirSync(deps.uploadDir, { recursive: true, mode: 0o700 });
    const file = path.join(deps.uploadDir, `${job.id}.upload`);
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        job.progress = { phase: 'uploading', done: bytes, total: Number.isFinite(declared) ? declared : null };
        if (bytes > IMPORT_UPLOAD_MAX_BYTES) return done(new AppError('payload_too_large', 413, 'Payload Too Large', 'The file is larger than 1 GiB.'));
        done(null, chunk);
      },
    });
    try {
      await pipeline(req, count, fs.createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      fs.rmSync(file, { force: true });
      deps.jobs.fail(job, 'The upload did not complete; nothing was changed.');
      throw err instanceof AppError ? err : new AppError('upload_failed', 400, 'Bad Request', 'The upload did not complete.');
    }
    if (bytes === 0) {
      fs.rmSync(file, { force: true });
      deps.jobs.fail(job, 'The file was empty; nothing was changed.');
      throw new AppError('invalid_request', 400, 'Invalid request', 'The body is empty: send the export file as the body.', [
        { path: 'body', code: 'required', message: 'send the export file as the body' },
      ]);
    }
    void deps.jobs.run(job, file);
    res.status(202).location(`/api/v1/sites/${job.siteId}/imports/${job.id}`).json({ import: toJob(job) });
  });
  return router;
}

export function transferRoutes(deps: TransferRouteDeps): Router {
  const router = Router();
  const owner = ownerChain(deps);

  router.get('/sites/:site/imports/:id', ...owner, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(toJob(deps.jobs.get(siteOf(res).id, String(req.params.id))));
  });

  router.get('/sites/:site/export', ...owner, async (req, res) => {
    const site = siteOf(res);
    const day = new Date().toISOString().slice(0, 10);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="marginalia-${site.id}-${day}.json"`);
    res.setHeader('Cache-Control', 'no-store');
    await deps.json.export(async (chunk) => {
      if (res.destroyed) throw new Error('the client went away');
      if (!res.write(chunk)) await new Promise((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }, { siteId: site.id });
    res.end();
  });

  router.post('/sites/:site/moderation/erase', ...owner, async (req, res) => {
    const { email } = eraseBody.parse(req.body ?? {});
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.erasure.erase(siteOf(res), email, tokenOf(res), Date.now()));
  });

  return router;
}
