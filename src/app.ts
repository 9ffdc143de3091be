// buildApp(deps): the Express app with every route and middleware, without listening (tests import this).
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import type { Config } from './config';
import type { Logger } from './log';
import type { Repositories } from './domain/ports';
import { Privacy } from './domain/privacy';
import { AnswerCache, changeOf, type SuspendableCache } from './domain/cache';
import { CommentService } from './domain/comments';
import { ModerationService } from './domain/moderation';
import { AccessService } from './domain/access';
import { SiteService } from './domain/sites';
import { DomainEvents } from './domain/events';
import { ImportService } from './domain/importer';
import { JsonTransferService } from './domain/json-transfer';
import { ErasureService } from './domain/erasure';
import { PersonService } from './domain/person';
import { requestContext, accessLog, requireJsonBody } from './http/middleware';
import { errorHandler, notFoundHandler } from './http/problem';
import { publicRoutes, cachedBodyBytes, type CachedBody } from './http/public-routes';
import { moderationRoutes } from './http/moderation-routes';
import { assetRoutes } from './http/assets';
import { buildOpenApi } from './http/openapi';
import { memoryStores, type RateLimitStoreFactory } from './http/rate-limit';
import { REQUEST_BODY_LIMIT, SETTINGS_BODY_LIMIT } from './http/body-limits';
import { cachedSites } from './domain/site-directory';
import { InstallCheck } from './domain/install-check';
import { installCheck } from './http/install-check';
import { siteRoutes } from './http/site-routes';
import { Metrics } from './metrics/registry';
import { registerCacheGauges, registerServiceGauges } from './metrics/service-gauges';
import { httpMetrics, metricsEndpoint } from './http/metrics';
import { LagMonitor, shedLoad } from './http/overload';
import type { KeyedLocks } from './domain/locks';
import { ImportJobs } from './domain/import-jobs';
import { importUploadRoutes, transferRoutes } from './http/transfer-routes';
import { LiveUpdates } from './domain/live';
import { StreamHub } from './http/stream';
import { Notifier, type RetryPolicy } from './domain/notify/worker';
import { smtpTransport } from './outbound/mailer';
import { webhookClient, webhookTargetCheck } from './outbound/webhook-client';
import { NotificationService } from './domain/notify/service';
import { notifyApi, notifyPages } from './http/notify-routes';

export interface AppDeps {
  config: Config;
  logger: Logger;
  repos: Repositories;
  privacy: Privacy;
  rateLimitStores?: RateLimitStoreFactory;
  /** Where the app's metrics go; other modules register gauges on the same one (src/metrics/registry.ts). */
  metrics?: Metrics;
  /** Shared with the other replicas (Redis) when there are any; in-process otherwise. */
  locks?: KeyedLocks;
  /** Connects this process's events and answer cache to the other replicas' (src/store/redis). */
  shareState?: (local: { events: DomainEvents; answers: SuspendableCache }) => void;
  /** Live-stream heartbeat; 25 s unless a test needs it sooner. */
  streamHeartbeatMs?: number;
  /** Retry timing and parallelism of the notifier (tests shorten the delays). */
  notifier?: { retry?: RetryPolicy; concurrency?: number };
}

export type App = express.Express & {
  services: Services;
  cache: AnswerCache<CachedBody>;
  streams: StreamHub;
  /** The outbox worker, when the store keeps an outbox (SQLite); main.ts starts it. */
  notifier: Notifier | null;
  metrics: Metrics;
  /** From now on /readyz fails and answers close their connections, so a balancer sends new work elsewhere. */
  drain(): void;
};

export interface Services {
  /** The repositories the services use: the store's, with sites kept in memory (src/domain/site-directory.ts). */
  repos: Repositories;
  events: DomainEvents;
  comments: CommentService;
  moderation: ModerationService;
  access: AccessService;
  sites: SiteService;
  importer: ImportService;
  json: JsonTransferService;
  erasure: ErasureService;
  person: PersonService;
  live: LiveUpdates;
}

export function buildServices(deps: {
  repos: Repositories;
  privacy: Privacy;
  events?: DomainEvents;
  locks?: KeyedLocks;
  onError?: (err: unknown) => void;
  /** Why a webhook URL may not be used (a private address), or null; without it only the URL's form is checked. */
  checkWebhookTarget?: (url: string) => Promise<string | null>;
}): Services {
  const events = deps.events ?? new DomainEvents();
  const repos = { ...deps.repos, sites: cachedSites(deps.repos.sites, events) };
  const importer = new ImportService({ repos, privacy: deps.privacy, events });
  return {
    repos,
    importer,
    json: new JsonTransferService({ repos, privacy: deps.privacy, events, importer }),
    erasure: new ErasureService({ repos, privacy: deps.privacy, events }),
    person: new PersonService({ repos, privacy: deps.privacy }),
    events,
    live: new LiveUpdates({ events, repos }, { onError: deps.onError }),
    comments: new CommentService({ repos, privacy: deps.privacy, events, locks: deps.locks }),
    moderation: new ModerationService({ repos, privacy: deps.privacy, events }),
    access: new AccessService({ repos }),
    sites: new SiteService({ repos, events, checkWebhookTarget: deps.checkWebhookTarget }),
  };
}

/** The outbox worker, when the store keeps an outbox; main.ts starts it, tests may drive it with runOnce(now). */
function buildNotifier(deps: AppDeps, events: DomainEvents, repos: Repositories): Notifier | null {
  const { config, logger } = deps;
  if (!repos.notifications) return null;
  const notifier = new Notifier({
    // The services' repositories: every entry's plan reads its site, kept in memory and dropped at once when it changes.
    repos,
    notifications: repos.notifications,
    privacy: deps.privacy,
    publicUrl: config.publicUrl,
    mail: config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : null,
    webhooks: webhookClient({ allowPrivate: config.webhookAllowPrivate }),
    retry: deps.notifier?.retry,
    concurrency: deps.notifier?.concurrency,
    onError: (err, what) => logger.error({ err }, `notifications: failed ${what}`),
    onAttempt: (d, o) =>
      logger.debug({ delivery: d.deliveryId, channel: d.channel, topic: d.topic, state: o.state, status: o.status }, 'delivery attempt'),
  });
  // Committed changes wake the worker at once; the journal, not the event, is what makes them durable.
  events.onAny(() => notifier.wake());
  return notifier;
}

export function buildApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const cache = new AnswerCache<CachedBody>({
    maxBytes: config.cacheMaxBytes,
    sizeOf: cachedBodyBytes,
    onStats: (stats) => logger.debug({ cache: stats }, 'answer cache'),
  });
  const events = new DomainEvents((err, event) => logger.error({ err, event: event.type }, 'event listener failed'));
  events.onAny((e) => cache.invalidate(e.siteId, changeOf(e)));
  const services = buildServices({
    repos: deps.repos,
    privacy: deps.privacy,
    events,
    locks: deps.locks,
    onError: (err) => logger.error({ err }, 'live update failed'),
    checkWebhookTarget: webhookTargetCheck(config.webhookAllowPrivate),
  });
  deps.shareState?.({ events, answers: cache });
  const stores = deps.rateLimitStores ?? memoryStores;
  const notifier = buildNotifier(deps, events, services.repos);
  const app = express() as App;
  app.services = services;
  app.notifier = notifier;
  app.cache = cache;
  app.streams = new StreamHub(services.live, { ...config.streams, heartbeatMs: deps.streamHeartbeatMs ?? 25_000 });
  app.metrics = deps.metrics ?? new Metrics();
  registerServiceGauges(app.metrics, { repos: deps.repos, databasePath: config.databaseUrl ? null : config.databasePath });
  registerCacheGauges(app.metrics, cache);
  let draining = false;
  app.drain = () => {
    draining = true;
  };
  const notify = new NotificationService({
    repos: deps.repos,
    notifications: deps.repos.notifications ?? null,
    privacy: deps.privacy,
    events,
    moderation: services.moderation,
    mail: config.smtpUrl !== null,
    wake: () => notifier?.wake(),
  });

  app.disable('x-powered-by');
  // Our own ETags are content hashes of cached answers; Express's would hash every body again.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  app.use(httpMetrics(app, app.metrics));
  app.use((_req, res, next) => {
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use(requestContext(logger));
  app.use(accessLog(logger));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, useDefaults: false },
      // The widget, the API and avatars are used from other sites' pages.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
  );
  app.use(shedLoad(new LagMonitor(config.overloadLagMs), app.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) return void res.status(503).json({ status: 'draining' });
    const ok = await deps.repos.ping().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', metricsEndpoint(app.metrics, config.metricsToken));

  let openapi: string | null = null;
  app.get('/api/v1/openapi.json', (_req, res) => {
    openapi ??= JSON.stringify(buildOpenApi(config.publicUrl));
    res.type('application/json').send(openapi);
  });

  const transfer = {
    access: services.access,
    jobs: new ImportJobs({ importer: services.importer, json: services.json, onError: (err) => logger.error({ err }, 'import failed') }),
    json: services.json,
    erasure: services.erasure,
    rateLimitStores: stores,
    uploadDir: path.join(config.dataDir, 'imports'),
  };
  const origins = { publicOrigin: new URL(config.publicUrl).origin };
  const check = new InstallCheck({
    repo: deps.repos.siteActivity,
    sites: deps.repos.sites,
    onError: (err) => logger.error({ err }, 'install check write failed'),
  });
  const noteInstall = installCheck({ check, origins });
  const reader = publicRoutes({
    comments: services.comments,
    cache,
    origins,
    rateLimitStores: stores,
    publicUrl: config.publicUrl,
    streams: app.streams,
  });
  // The thread read comes first: every page view asks for it, and it need not walk the other routers first. Its body,
  // if any, is ignored (a GET), but the JSON-only guard still refuses one that is not JSON, as on every API route.
  app.get('/api/v1/sites/:site/comments', requireJsonBody, noteInstall, ...reader.thread);
  const json = (limit: number) => express.json({ limit, type: ['application/json', 'application/*+json'] });
  // So does a new comment, the busiest write, with the same guard and body limit as the routers' routes.
  app.post('/api/v1/sites/:site/comments', requireJsonBody, json(REQUEST_BODY_LIMIT), ...reader.post);
  // The import's body is the export file itself, not JSON: its route comes before the JSON-only guard.
  app.use('/api/v1', importUploadRoutes(transfer));
  const api = express.Router();
  api.use(requireJsonBody);
  // Each limit fits the largest valid request in any JSON encoding (src/http/body-limits.ts); a parsed body is not parsed again.
  api.patch('/sites/:site/settings', json(SETTINGS_BODY_LIMIT));
  api.use(json(REQUEST_BODY_LIMIT));
  api.use(reader.router);
  api.use(moderationRoutes({ access: services.access, moderation: services.moderation, person: services.person, sites: services.sites, rateLimitStores: stores, origins }));
  api.use(siteRoutes({ access: services.access, sites: services.sites }));
  api.use(transferRoutes(transfer));
  api.use(notifyApi({ notify, comments: services.comments, access: services.access, origins, rateLimitStores: stores }));
  app.use('/api/v1', api);
  app.use(notifyPages({ notify }));
  app.use(assetRoutes());

  app.use(notFoundHandler);
  app.use(
    errorHandler((err, req) => {
      req.log.error({ err }, 'request failed');
    }),
  );
  return app;
}
