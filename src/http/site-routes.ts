// Controller: the sites API (bearer tokens) — list what a token covers, create a site, one site's overview.
import { Router } from 'express';
import type { AccessService } from '../domain/access';
import type { SiteService } from '../domain/sites';
import { authenticateToken, tokenOf } from './auth';
import { toSiteOut } from './present';

export interface SiteRouteDeps {
  access: AccessService;
  sites: SiteService;
}

export function siteRoutes(deps: SiteRouteDeps): Router {
  const { access, sites } = deps;
  const router = Router();
  const authenticate = authenticateToken(access);

  router.get('/sites', authenticate, async (_req, res) => {
    const list = await sites.overviewsFor(tokenOf(res));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: list.map(toSiteOut) });
  });

  // The body is checked by the service (the CLI's rules), after the token's right to create: a moderator
  // learns nothing from validation errors.
  router.post('/sites', authenticate, async (req, res) => {
    const overview = await sites.createAs(tokenOf(res), req.body ?? {}, Date.now());
    res.status(201).location(`/api/v1/sites/${overview.site.id}`).json({ site: toSiteOut(overview) });
  });

  router.get('/sites/:site', authenticate, async (req, res) => {
    const site = await access.authorise(tokenOf(res), String(req.params.site), 'moderator');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ site: toSiteOut(await sites.overview(site)) });
  });

  return router;
}
