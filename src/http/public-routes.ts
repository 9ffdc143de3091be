// Controller: the reader-facing API. Parse the request into clean domain parameters; the request object goes no further.
import crypto from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { CommentService } from '../domain/comments';
import type { AnswerCache, AnswerScope } from '../domain/cache';
import { identiconSvg } from '../domain/identicon';
import { notFound } from '../domain/errors';
import { bearer } from './middleware';
import { cors, requireAllowedOrigin, requirePageOnSite, siteOf, type OriginPolicy } from './origins';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { toOwnComment, toPublic } from './present';
import { atomFeed } from './feed';
import { countsQuestion, feedQuestion, threadQuestion } from './questions';
import type { RefuseOnMiss } from './overload';
import {
  commentIdSchema,
  editCommentBody,
  postCommentBody,
  reportBody,
  siteParam,
  countsResponse,
  editResponse,
  formTokenResponse,
  listResponse,
  postResponse,
  reportResponse,
  type Answer,
} from './schemas';

export interface PublicRouteDeps {
  comments: CommentService;
  cache: AnswerCache<CachedBody>;
  origins: OriginPolicy;
  rateLimitStores: RateLimitStoreFactory;
  publicUrl: string;
}

export interface CachedBody {
  body: Buffer;
  etag: string;
  type: string;
}

/** What the cache counts against its budget for one answer. */
export const cachedBodyBytes = (b: CachedBody) => b.body.length + b.etag.length * 2 + b.type.length * 2;

const MINUTE = 60_000;


function meta(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

/** Serves a cached, already-serialised answer, honouring If-None-Match. */
function sendCached(req: Request, res: Response, entry: CachedBody, cacheControl: string): void {
  res.setHeader('ETag', entry.etag);
  res.setHeader('Cache-Control', cacheControl);
  if (req.get('if-none-match') === entry.etag) {
    res.status(304).end();
    return;
  }
  // Written as stored bytes: no re-encoding of a large thread per request.
  res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': entry.body.length });
  res.end(entry.body);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

function cachedBody(text: string, type: string): CachedBody {
  // Its own memory, not a slice of Node's shared 8 KB pool: a small kept answer must not pin a whole slab.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return { body: bytes, etag: `"${crypto.createHash('sha1').update(bytes).digest('base64url')}"`, type };
}

type Built = { value: CachedBody; scope: AnswerScope };

export function publicRoutes(deps: PublicRouteDeps): Router {
  const { comments, cache } = deps;
  const router = Router();

  const loadSite: RequestHandler = async (req, res, next) => {
    const id = siteParam.safeParse(req.params.site);
    if (!id.success) throw notFound('Site');
    const site = await comments.site(id.data);
    res.locals.site = site;
    res.locals.siteId = site.id;
    res.locals.settings = site.settings;
    next();
  };

  const loadCommentSite: RequestHandler = async (req, res, next) => {
    const id = commentIdSchema.safeParse(req.params.id);
    const comment = id.success ? await comments.comment(id.data) : null;
    if (!comment) throw notFound('Comment');
    const site = await comments.site(comment.siteId);
    res.locals.site = site;
    res.locals.siteId = site.id;
    res.locals.settings = site.settings;
    next();
  };

  const limit = (name: string, windowMs: number, pick: Parameters<typeof siteLimiter>[0]['limit']) =>
    siteLimiter({ name, windowMs, limit: pick, stores: deps.rateLimitStores });
  const reads = limit('reads', MINUTE, (l) => l.readsPerMinute);
  const posts = limit('posts', MINUTE, (l) => l.postsPerMinute);
  const reports = limit('reports', 60 * MINUTE, (l) => l.reportsPerHour);
  const writeOrigin = requireAllowedOrigin(deps.origins);
  const siteCors = cors(deps.origins, 'GET, POST, OPTIONS');
  const commentCors = cors(deps.origins, 'PATCH, DELETE, POST, OPTIONS');

  // Only the reader-facing paths: the moderation API under /sites/:site/moderation is not CORS-enabled.
  const publicSitePaths = ['/sites/:site/comments', '/sites/:site/form-token', '/sites/:site/counts', '/sites/:site/feed.atom'];
  router.use(publicSitePaths, loadSite, siteCors);
  router.use(['/comments/:id', '/comments/:id/reports'], loadCommentSite, commentCors);

  /** The cached answer to this question (src/http/questions.ts gives its key), built and stored on a miss. */
  async function answerCached(res: Response, key: string, build: (siteId: string) => Promise<Built>): Promise<CachedBody> {
    const siteId = siteOf(res).id;
    // Under overload only answers already built are served (src/http/overload.ts).
    const refuse = res.locals.refuseOnMiss as RefuseOnMiss | undefined;
    return cache.getOrBuild(siteId, key, () => {
      if (refuse) throw refuse();
      return build(siteId);
    });
  }

  router.get('/sites/:site/comments', reads, async (req, res) => {
    const { key, query } = threadQuestion(req.query);
    const entry = await answerCached(res, key, async (siteId) => {
      const t = await comments.thread(siteId, query);
      const maxDepth = t.site.settings.maxDepth;
      const body = { comments: t.items.map((c) => toPublic(c, maxDepth)), nextCursor: t.nextCursor, page: t.page, maxDepth } satisfies Answer<typeof listResponse>;
      return { value: cachedBody(JSON.stringify(body), JSON_TYPE), scope: t.scope };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  });

  router.post('/sites/:site/comments', writeOrigin, posts, async (req, res) => {
    const input = postCommentBody.parse(req.body ?? {});
    requirePageOnSite(siteOf(res), input.pageUrl, 'pageUrl', req, deps.origins);
    const r = await comments.post(siteOf(res).id, input, meta(req), Date.now());
    res.status(201).json({
      comment: toOwnComment(r.comment, r.site.settings.maxDepth),
      status: r.comment.status === 'approved' ? 'approved' : 'pending',
      editToken: r.editToken,
      editableUntil: new Date(r.editableUntil).toISOString(),
    } satisfies Answer<typeof postResponse>);
  });

  router.post('/sites/:site/form-token', writeOrigin, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ formToken: comments.formToken(siteOf(res).id, Date.now()) } satisfies Answer<typeof formTokenResponse>);
  });

  router.get('/sites/:site/counts', reads, async (req, res) => {
    const { key, pages } = countsQuestion(req.query);
    const entry = await answerCached(res, key, async (siteId) => {
      const c = await comments.counts(siteId, pages);
      return { value: cachedBody(JSON.stringify({ counts: c.counts } satisfies Answer<typeof countsResponse>), JSON_TYPE), scope: c.scope };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  });

  router.get('/sites/:site/feed.atom', reads, async (req, res) => {
    const { key, page } = feedQuestion(req.query);
    const entry = await answerCached(res, key, async (siteId) => {
      const f = await comments.feed(siteId, page);
      const xml = atomFeed({ site: f.site, pageKey: page, items: f.items, baseUrl: deps.publicUrl });
      return { value: cachedBody(xml, ATOM_TYPE), scope: f.scope };
    });
    sendCached(req, res, entry, 'public, max-age=60');
  });

  router.patch('/comments/:id', writeOrigin, async (req, res) => {
    const { body } = editCommentBody.parse(req.body ?? {});
    const r = await comments.edit(req.params.id as string, bearer(req), body, Date.now());
    res.json({ comment: toOwnComment(r.comment, r.site.settings.maxDepth) } satisfies Answer<typeof editResponse>);
  });

  router.delete('/comments/:id', writeOrigin, async (req, res) => {
    await comments.remove(req.params.id as string, bearer(req), Date.now());
    res.status(204).end();
  });

  router.post('/comments/:id/reports', writeOrigin, reports, async (req, res) => {
    const input = reportBody.parse(req.body ?? {});
    await comments.report(req.params.id as string, input, meta(req), Date.now());
    res.status(202).json({ status: 'received' } satisfies Answer<typeof reportResponse>);
  });

  router.get('/avatars/:file', (req, res) => {
    const m = /^([0-9a-f]{20})\.svg$/.exec(req.params.file);
    if (!m) throw notFound('Avatar');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.type('image/svg+xml').send(identiconSvg(m[1]));
  });

  return router;
}

