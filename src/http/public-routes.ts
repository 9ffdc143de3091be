// Controller: the reader-facing API. Parse the request into clean domain parameters; the request object goes no further.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { CommentService } from '../domain/comments';
import type { AnswerCache, AnswerScope } from '../domain/cache';
import { identiconSvg } from '../domain/identicon';
import { notFound } from '../domain/errors';
import { bearer } from './middleware';
import { acceptsGzip } from './accept-encoding';
import { cors, requireAllowedOrigin, requirePageOnSite, siteOf, type OriginPolicy } from './origins';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { toOwnComment, toPageComment, toPublic } from './present';
import { atomFeed } from './feed';
import { countsQuestion, feedQuestion, remembered, threadQuestion } from './questions';
import type { RefuseOnMiss } from './overload';
import type { StreamHub } from './stream';
import {
  commentIdSchema,
  editCommentBody,
  featuredQuery,
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
  cache: AnswerCache<CachedBody>;
  origins: OriginPolicy;
  rateLimitStores: RateLimitStoreFactory;
  publicUrl: string;
  streams: StreamHub;
}

export interface CachedBody {
  body: Buffer;
  etag: string;
  type: string;
  /** The same bytes gzipped once when the answer is built, for the readers' browsers (all of them accept gzip). */
  gzip: { bytes: Buffer; etag: string } | null;
}

/** What the cache counts against its budget for one answer. */
export const cachedBodyBytes = (b: CachedBody) =>
  b.body.length + (b.gzip ? b.gzip.bytes.length + b.gzip.etag.length * 2 : 0) + (b.etag.length + b.type.length) * 2;

const MINUTE = 60_000;


function meta(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, voter: req.get('marginalia-voter') ?? null };
}

/** Serves a cached, already-serialised answer, gzipped when the client accepts it, honouring If-None-Match. */
function sendCached(req: Request, res: Response, entry: CachedBody, cacheControl: string): void {
  res.setHeader('Cache-Control', cacheControl);
  const { gzip } = entry;
  // The answer differs by Accept-Encoding only where a compressed variant exists. Appended as it is: nothing before
  // this names Accept-Encoding, and the general `res.vary` parses the header on every hit.
  if (gzip) {
    const vary = res.getHeader('Vary');
    res.setHeader('Vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
  }
  const sent = gzip && acceptsGzip(req.headers['accept-encoding']) ? gzip : null;
  res.setHeader('ETag', sent ? sent.etag : entry.etag);
  const inm = req.headers['if-none-match'];
  // Either variant's tag names the same content: a client that switched encodings still revalidates.
  if (inm !== undefined && (inm === entry.etag || inm === gzip?.etag)) {
    res.status(304).end();
    return;
  }
  // Written as stored bytes: no re-encoding or compression of a large thread per request.
  if (sent) res.writeHead(200, { 'Content-Type': entry.type, 'Content-Encoding': 'gzip', 'Content-Length': sent.bytes.length });
  else res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': entry.body.length });
  res.end(sent ? sent.bytes : entry.body);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

/** zlib's result can be a view into a larger working buffer; a kept answer holds only its own bytes. */
function ownCopy(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** Below this an answer is sent as it is: gzip would save a few hundred bytes at most. */
const GZIP_FROM_BYTES = 1024;

function cachedBody(text: string, type: string): CachedBody {
  // Its own memory, not a slice of Node's shared 8 KB pool: a small kept answer must not pin a whole slab.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  const hash = crypto.createHash('sha1').update(bytes).digest('base64url');
  // Once per build (about 0.2 ms for a 50 KB thread), never per read.
  const gzip = bytes.length >= GZIP_FROM_BYTES ? { bytes: ownCopy(zlib.gzipSync(bytes, { level: 6 })), etag: `"${hash}-gz"` } : null;
  return { body: bytes, etag: `"${hash}"`, type, gzip };
}

type Built = { value: CachedBody; scope: AnswerScope };

function rawQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? '' : req.originalUrl.slice(i + 1);
}

/** The reader API, and the thread read's own handler chain, which the app mounts ahead of its routers. */
export interface PublicRoutes {
  router: Router;
  /** GET /sites/:site/comments: the widget's first request on every page view, the hottest path of all. */
  thread: RequestHandler[];
  /** POST /sites/:site/comments: a new comment, the busiest write. */
  post: RequestHandler[];
}

export function publicRoutes(deps: PublicRouteDeps): PublicRoutes {
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

  const threadRead: RequestHandler = async (req, res) => {
    const { key, query } = remembered('list', rawQuery(req), () => threadQuestion(req.query));
    const entry = await answerCached(res, key, async (siteId) => {
      const t = await comments.thread(siteId, query);
      const maxDepth = t.site.settings.maxDepth;
      const body = {
        comments: t.items.map((c) => toPublic(c, maxDepth)),
        nextCursor: t.nextCursor,
        page: t.page,
        maxDepth,
        votes: t.site.settings.votes,
      } satisfies Answer<typeof listResponse>;
      return { value: cachedBody(JSON.stringify(body), JSON_TYPE), scope: t.scope };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  };
  // Mounted by the app ahead of the routers, with the checks the router gives the other reads (site, CORS, read limit).
  const thread = [loadSite, siteCors, reads, threadRead];

  // Featured and recent lists show comments of any page: any change on the site makes them stale.
  const anyPage: AnswerScope = Object.freeze({ pageIds: [], newPages: true, allPages: true });

  router.get('/sites/:site/featured', reads, async (req, res) => {
    const { page } = remembered('featured', rawQuery(req), () => featuredQuery.parse(req.query));
    const entry = await answerCached(res, ['featured', page ?? ''].join('\0'), async (siteId) => {
      const f = await comments.featured(siteId, page ?? null);
      const body = { comments: f.items.map((c) => toPublic(c, f.site.settings.maxDepth)) } satisfies Answer<typeof featuredResponse>;
      return { value: cachedBody(JSON.stringify(body), JSON_TYPE), scope: anyPage };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  });

  router.get('/sites/:site/recent', reads, async (req, res) => {
    const { limit: n } = remembered('recent', rawQuery(req), () => recentQuery.parse(req.query));
    const entry = await answerCached(res, ['recent', n].join('\0'), async (siteId) => {
      const r = await comments.recent(siteId, n);
      const body = { comments: r.items.map((c) => toPageComment(c, r.site.settings.maxDepth)) } satisfies Answer<typeof recentResponse>;
      return { value: cachedBody(JSON.stringify(body), JSON_TYPE), scope: anyPage };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  });

  const postComment: RequestHandler = async (req, res) => {
    const input = postCommentBody.parse(req.body ?? {});
    requirePageOnSite(siteOf(res), input.pageUrl, 'pageUrl', req, deps.origins);
    const r = await comments.post(siteOf(res).id, input, meta(req), Date.now());
    res.status(201).json({
      comment: toOwnComment(r.comment, r.site.settings.maxDepth),
      status: r.comment.status === 'approved' ? 'approved' : 'pending',
      editToken: r.editToken,
      editableUntil: new Date(r.editableUntil).toISOString(),
    } satisfies Answer<typeof postResponse>);
  };
  // Mounted by the app ahead of the routers too, after its JSON body parser.
  const post = [loadSite, siteCors, writeOrigin, posts, postComment];

  router.post('/sites/:site/form-token', writeOrigin, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ formToken: comments.formToken(siteOf(res).id, Date.now()) } satisfies Answer<typeof formTokenResponse>);
  });

  router.get('/sites/:site/counts', reads, async (req, res) => {
    const { key, pages } = remembered('counts', rawQuery(req), () => countsQuestion(req.query));
    const entry = await answerCached(res, key, async (siteId) => {
      const c = await comments.counts(siteId, pages);
      return { value: cachedBody(JSON.stringify({ counts: c.counts } satisfies Answer<typeof countsResponse>), JSON_TYPE), scope: c.scope };
    });
    sendCached(req, res, entry, 'public, max-age=10');
  });

  router.get('/sites/:site/feed.atom', reads, async (req, res) => {
    const { key, page } = remembered('feed', rawQuery(req), () => feedQuestion(req.query));
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

  return { router, thread, post };
}

