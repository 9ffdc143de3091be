// HTTP: feeds the install check from the widget's thread reads. Mounted before the public routes; the answer
// is never held up: a recent sighting costs one map lookup, a new one is noted after the response is sent.
import type { RequestHandler } from 'express';
import type { InstallCheck } from '../domain/install-check';
import type { Site } from '../domain/types';
import { isOwnOrigin, type OriginPolicy } from './origins';

/** The widget's first request on every page view: the thread (a cross-origin GET carries `Origin`). */
const THREAD_PATH = /^\/sites\/([a-z0-9-]{2,40})\/comments$/;

export function installCheck(deps: { check: InstallCheck; origins: OriginPolicy }): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (req.method !== 'GET' || !origin) return next();
    const m = THREAD_PATH.exec(req.path);
    if (!m || deps.check.isFresh(m[1], origin, Date.now())) return next();
    res.once('finish', () => {
      // Set by the route once the site exists; an unknown site (a wrong data-site) is not noted.
      const site = res.locals.site as Site | undefined;
      if (!site || (res.statusCode !== 200 && res.statusCode !== 304)) return;
      // The service's own pages (demo, the console's preview) are not installs.
      if (isOwnOrigin(origin, req, deps.origins)) return;
      deps.check.note(site.id, origin, site.settings.origins.includes(origin), Date.now());
    });
    next();
  };
}
