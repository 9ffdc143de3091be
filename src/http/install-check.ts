// HTTP: feeds the install check from the widget's thread reads. Mounted before the public routes and independent
// of how they answer; a recent sighting costs one map lookup, a new one is noted after the response is sent.
import type { RequestHandler } from 'express';
import type { InstallCheck } from '../domain/install-check';
import { isOwnOrigin, type OriginPolicy } from './origins';

/** The widget's first request on every page view: the thread (a cross-origin GET carries `Origin`), seen from the
 * app (which serves it ahead of the routers) or from under /api/v1. */
const THREAD_PATH = /^(?:\/api\/v1)?\/sites\/([a-z0-9-]{2,40})\/comments$/;

export function installCheck(deps: { check: InstallCheck; origins: OriginPolicy }): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (req.method !== 'GET' || !origin) return next();
    const m = THREAD_PATH.exec(req.path);
    if (!m || deps.check.isFresh(m[1], origin, Date.now())) return next();
    res.once('finish', () => {
      // Only an answered read counts: an unknown site (a wrong data-site) is a 404, a bad query a 400.
      if (res.statusCode !== 200 && res.statusCode !== 304) return;
      // The service's own pages (demo, the console's preview) are not installs.
      if (isOwnOrigin(origin, req, deps.origins)) return;
      deps.check.note(m[1], origin, Date.now());
    });
    next();
  };
}
