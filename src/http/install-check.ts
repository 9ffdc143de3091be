// HTTP: feeds the install check from the widget's thread reads. Mounted on the thread route ahead of its handler and
// independent of how it answers; a recent sighting costs one map lookup, a new one is noted after the response is sent.
import type { RequestHandler } from 'express';
import type { InstallCheck } from '../domain/install-check';
import { isOwnOrigin, type OriginPolicy } from './origins';

import { siteParam } from './schemas';

/** For the route of the widget's first request on every page view, the thread (a cross-origin GET carries `Origin`). */
export function installCheck(deps: { check: InstallCheck; origins: OriginPolicy }): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (req.method !== 'GET' || !origin) return next();
    const site = req.params.site;
    if (typeof site !== 'string' || deps.check.isFresh(site, origin, Date.now()) || !siteParam.safeParse(site).success) return next();
    res.once('finish', () => {
      // Only an answered read counts: an unknown site (a wrong data-site) is a 404, a bad query a 400.
      if (res.statusCode !== 200 && res.statusCode !== 304) return;
      // The service's own pages (demo, the console's preview) are not installs.
      if (isOwnOrigin(origin, req, deps.origins)) return;
      deps.check.note(site, origin, Date.now());
    });
    next();
  };
}
