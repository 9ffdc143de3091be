// Controller: the reader-facing API. Parse the request into clean domain parameters; the request object goes no further.
import crypto from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { CommentService } from '../domain/comments';
import { SiteCache } from '../domain/cache';
import { identiconSvg } from '../domain/identicon';
import { notFound } from '../domain/errors';
import { bearer } from './middleware';
import { cors, requireAllowedOrigin, requirePageOnSite, siteOf, type OriginPolicy } from './origins';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { toOwnComment, toPageComment, toPublic } from './present';
import { atomFeed } from './feed';
import type { StreamHub } from './stream';
import {
  commentIdSchema,
  countsQuery,
  editCommentBody,
  featuredQuery,
  feedQuery,
  listQuery,
  recentQuery,
  streamQuery,
  voteBody,
  postCommentBody,
  reportBody,
  siteParam,
  countsResponse,
  editResponse,
  featuredResponse,
  formTokenResponse,
  recentResponse,
  voteResponse,
  listResponse,
  postResponse,
  reportResponse,
  type Answer,
} from './schemas';

export interface PublicRouteDeps {
  comments: CommentService;
  cache: SiteCache<CachedBody>;
  origins: OriginPolicy;
  rateLimitStores: RateLimitStoreFactory;
  publicUrl: string;
  streams: StreamHub;
}

export interface CachedBody {
  body: Buffer;
  etag: string;
}

const MINUTE = 60_000;


function meta(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, voter: req.get('marginalia-voter') ?? null };
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
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': entry.body.length });
  res.end(entry.body);
}

function rawQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? '' : req.originalUrl.slice(i + 1);
}

function cachedJson(body: unknown): CachedBody {
  const bytes = Buffer.from(JSON.stringify(body));
  return { body: bytes, etag: `"${crypto.createHash('sha1').update(bytes).digest('base64url')}"` };
}

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
  const votes = limit('votes', MINUTE, (l) => l.votesPerMinute);
  const writeOrigin = requireAllowedOrigin(deps.origins);
  const siteCors = cors(deps.origins, 'GET, POST, OPTIONS');
  const commentCors = cors(deps.origins, 'PATCH, DELETE, POST, OPTIONS');

  // Only the reader-facing paths: the moderation API under /sites/:site/moderation is not CORS-enabled.
  const publicSitePaths = [
    '/sites/:site/comments',
    '/sites/:site/form-token',
    '/sites/:site/counts',
    '/sites/:site/feed.atom',
    '/sites/:site/featured',
    '/sites/:site/recent',
    '/sites/:site/stream',
  ];
  router.use(publicSitePaths, loadSite, siteCors);
  router.use(['/comments/:id', '/comments/:id/reports', '/comments/:id/votes'], loadCommentSite, commentCors);

  /** Serves the cached answer for this query, building and storing it on a miss. */
  async function answerCached(req: Request, res: Response, kind: string, build: (siteId: string) => Promise<unknown>) {
    const siteId = siteOf(res).id;
    // Keyed by the raw query: a hit skips parsing, and only queries that parsed are ever stored.
    const key = `${kind}\0${rawQuery(req)}`;
    let entry = cache.get(siteId, key);
    if (!entry) {
      const version = cache.version(siteId);
      entry = cachedJson(await build(siteId));
      cache.set(siteId, key, entry, version);
    }
    sendCached(req, res, entry, 'public, max-age=10');
  }

  router.get('/sites/:site/comments', reads, (req, res) =>
    answerCached(req, res, 'list', async (siteId) => {
      const t = await comments.thread(siteId, listQuery.parse(req.query));
      const maxDepth = t.site.settings.maxDepth;
      return {
        comments: t.items.map((c) => toPublic(c, maxDepth)),
        nextCursor: t.nextCursor,
        page: t.page,
        maxDepth,
        votes: t.site.settings.votes,
      } satisfies Answer<typeof listResponse>;
    }),
  );

  router.get('/sites/:site/featured', reads, (req, res) =>
    answerCached(req, res, 'featured', async (siteId) => {
      const { page } = featuredQuery.parse(req.query);
      const f = await comments.featured(siteId, page ?? null);
      return { comments: f.items.map((c) => toPublic(c, f.site.settings.maxDepth)) } satisfies Answer<typeof featuredResponse>;
    }),
  );

  router.get('/sites/:site/recent', reads, (req, res) =>
    answerCached(req, res, 'recent', async (siteId) => {
      const { limit: n } = recentQuery.parse(req.query);
      const r = await comments.recent(siteId, n);
      return { comments: r.items.map((c) => toPageComment(c, r.site.settings.maxDepth)) } satisfies Answer<typeof recentResponse>;
    }),
  );

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

  router.get('/sites/:site/counts', reads, (req, res) =>
    answerCached(req, res, 'counts', async (siteId) => ({ counts: await comments.counts(siteId, countsQuery.parse(req.query).page) }) satisfies Answer<typeof countsResponse>),
  );

  router.get('/sites/:site/feed.atom', reads, async (req, res) => {
    const { page } = feedQuery.parse(req.query);
    const f = await comments.feed(siteOf(res).id, page ?? null);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.type('application/atom+xml').send(atomFeed({ site: f.site, pageKey: page ?? null, items: f.items, baseUrl: deps.publicUrl }));
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

  // EventSource resends Last-Event-ID itself when it reconnects; a client opening a new one passes lastEventId.
  router.get('/sites/:site/stream', reads, (req, res) => {
    const q = streamQuery.parse(req.query);
    deps.streams.serve(req, res, siteOf(res).id, q.page, req.get('last-event-id') || q.lastEventId);
  });

  router.post('/comments/:id/votes', writeOrigin, votes, async (req, res) => {
    const { value } = voteBody.parse(req.body ?? {});
    const r = await comments.vote(req.params.id as string, value, req.get('marginalia-voter') ?? null, Date.now());
    res.setHeader('Cache-Control', 'no-store');
    res.json({ score: r.upvotes - r.downvotes, upvotes: r.upvotes, downvotes: r.downvotes, myVote: r.myVote } satisfies Answer<typeof voteResponse>);
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

