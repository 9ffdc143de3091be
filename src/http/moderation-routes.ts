// Controller: the moderator API (bearer tokens). Parse, call one service method, shape the answer.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AccessService } from '../domain/access';
import type { ModerationService } from '../domain/moderation';
import type { PersonService } from '../domain/person';
import type { SiteService } from '../domain/sites';
import type { Site } from '../domain/types';
import { authenticateToken, tokenOf } from './auth';
import { requirePageOnSite, type OriginPolicy } from './origins';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { toAudit, toBan, toModerated, toPage, toToken } from './present';
import {
  actionBody,
  banBody,
  logQuery,
  pagePatchBody,
  pagesQuery,
  queueQuery,
  settingsPatchBody,
  tokenCreateBody,
  actionResponse,
  bansCreatedResponse,
  bansResponse,
  logResponse,
  meResponse,
  pageChangedResponse,
  pagesResponse,
  queueResponse,
  settingsResponse,
  tokenCreatedResponse,
  tokensResponse,
  type Answer,
} from './schemas';
import { personBody, personExportBody, type personExportResponse, type personResponse } from './person-schemas';

export interface ModerationRouteDeps {
  access: AccessService;
  moderation: ModerationService;
  person: PersonService;
  sites: SiteService;
  rateLimitStores: RateLimitStoreFactory;
  origins: OriginPolicy;
}

const siteOf = (res: Response) => res.locals.site as Site;

export function moderationRoutes(deps: ModerationRouteDeps): Router {
  const { access, moderation, sites } = deps;
  const router = Router();

  const authenticate = authenticateToken(access);

  const forSite = (need: 'moderator' | 'owner'): RequestHandler => async (req, res, next) => {
    const site = await access.authorise(tokenOf(res), String(req.params.site), need);
    res.locals.site = site;
    res.locals.siteId = site.id;
    res.locals.settings = site.settings;
    next();
  };

  const limiter = siteLimiter({
    name: 'moderation',
    windowMs: 60_000,
    limit: (l) => l.moderationPerMinute,
    key: (_req: Request, res: Response) => tokenOf(res).id,
    stores: deps.rateLimitStores,
  });
  const mod = [authenticate, forSite('moderator'), limiter];
  const owner = [authenticate, forSite('owner'), limiter];

  router.get('/me', authenticate, async (_req, res) => {
    const token = tokenOf(res);
    const list = await access.sitesFor(token);
    res.json({
      token: { id: token.id, role: token.role, site: token.siteId, label: token.label },
      sites: list.map((s) => ({ id: s.id, name: s.name })),
    } satisfies Answer<typeof meResponse>);
  });

  router.get('/sites/:site/moderation/comments', ...mod, async (req, res) => {
    const q = queueQuery.parse(req.query);
    const r = await moderation.queue(siteOf(res), q);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: r.items.map(toModerated), nextCursor: r.nextCursor, counts: r.counts } satisfies Answer<typeof queueResponse>);
  });

  router.post('/sites/:site/moderation/actions', ...mod, async (req, res) => {
    const input = actionBody.parse(req.body ?? {});
    res.json({ results: await moderation.act(siteOf(res), tokenOf(res), input, Date.now()) } satisfies Answer<typeof actionResponse>);
  });

  // The person is named by a comment id in the body: their e-mail stays out of URLs, and so out of access logs.
  router.post('/sites/:site/moderation/person', ...mod, async (req, res) => {
    const input = personBody.parse(req.body ?? {});
    const r = await deps.person.comments(siteOf(res), input);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ person: { email: r.email, name: r.name }, items: r.items.map(toModerated), nextCursor: r.nextCursor } satisfies Answer<typeof personResponse>);
  });

  router.post('/sites/:site/moderation/person/export', ...mod, async (req, res) => {
    const { commentId } = personExportBody.parse(req.body ?? {});
    const site = siteOf(res);
    const doc = await deps.person.export(site, commentId, tokenOf(res), Date.now());
    res.setHeader('Cache-Control', 'no-store');
    // The file is named by the site and day only: a name or e-mail would end up in the moderator's downloads list.
    res.setHeader('Content-Disposition', `attachment; filename="marginalia-${site.id}-person-${doc.exportedAt.slice(0, 10)}.json"`);
    res.json(doc satisfies Answer<typeof personExportResponse>);
  });

  router.get('/sites/:site/moderation/pages', ...mod, async (req, res) => {
    const q = pagesQuery.parse(req.query);
    const r = await moderation.pages(siteOf(res), q);
    res.json({ items: r.items.map(toPage), nextCursor: r.nextCursor } satisfies Answer<typeof pagesResponse>);
  });

  router.patch('/sites/:site/moderation/pages', ...mod, async (req, res) => {
    const { page: key, ...change } = pagePatchBody.parse(req.body ?? {});
    requirePageOnSite(siteOf(res), change.url, 'url', req, deps.origins);
    const page = await moderation.updatePage(siteOf(res), key, change, Date.now());
    res.json({ page: toPage(page) } satisfies Answer<typeof pageChangedResponse>);
  });

  router.get('/sites/:site/moderation/bans', ...mod, async (_req, res) => {
    res.json({ items: (await moderation.bans(siteOf(res))).map(toBan) } satisfies Answer<typeof bansResponse>);
  });

  router.post('/sites/:site/moderation/bans', ...mod, async (req, res) => {
    const input = banBody.parse(req.body ?? {});
    const bans = await moderation.ban(
      siteOf(res),
      tokenOf(res),
      { ...input, expiresAt: input.expiresAt ? Date.parse(input.expiresAt) : null },
      Date.now(),
    );
    res.status(201).json({ bans: bans.map(toBan) } satisfies Answer<typeof bansCreatedResponse>);
  });

  router.delete('/sites/:site/moderation/bans/:id', ...mod, async (req, res) => {
    await moderation.unban(siteOf(res), String(req.params.id));
    res.status(204).end();
  });

  router.get('/sites/:site/moderation/log', ...mod, async (req, res) => {
    const q = logQuery.parse(req.query);
    const r = await moderation.log(siteOf(res), q);
    res.json({ items: r.items.map(toAudit), nextCursor: r.nextCursor } satisfies Answer<typeof logResponse>);
  });

  router.get('/sites/:site/settings', ...owner, async (_req, res) => {
    res.json({ settings: siteOf(res).settings } satisfies Answer<typeof settingsResponse>);
  });

  router.patch('/sites/:site/settings', ...owner, async (req, res) => {
    const patch = settingsPatchBody.parse(req.body ?? {});
    const site = await sites.update(siteOf(res).id, { settings: patch });
    res.json({ settings: site.settings } satisfies Answer<typeof settingsResponse>);
  });

  router.get('/tokens', authenticate, async (_req, res) => {
    res.json({ items: (await access.listTokensAs(tokenOf(res))).map(toToken) } satisfies Answer<typeof tokensResponse>);
  });

  router.post('/tokens', authenticate, async (req, res) => {
    const input = tokenCreateBody.parse(req.body ?? {});
    const r = await access.createTokenAs(tokenOf(res), { role: input.role, siteId: input.site, label: input.label }, Date.now());
    res.status(201).json({ token: r.secret, item: toToken(r.token) } satisfies Answer<typeof tokenCreatedResponse>);
  });

  router.delete('/tokens/:id', authenticate, async (req, res) => {
    await access.revokeTokenAs(tokenOf(res), String(req.params.id), Date.now());
    res.status(204).end();
  });

  return router;
}
