// HTTP: which browser origins may call a site's public API — CORS answers and the write guard.
import type { Request, RequestHandler, Response } from 'express';
import type { Site } from '../domain/types';
import { forbidden, invalidField } from '../domain/errors';
import { PREVIEW_PAGE } from '../domain/sites';

export interface OriginPolicy {
  /** The service's configured public origin. */
  publicOrigin: string;
}

/** The service's own pages (the demo page, the console) are on its configured origin or the one it was reached on. */
export function isOwnOrigin(origin: string, req: Request, policy: OriginPolicy): boolean {
  return origin === policy.publicOrigin || origin === `${req.protocol}://${req.get('host')}`;
}

/**
 * Site `demo` also accepts the service's own origin, whatever host and port it is reached on. So does every
 * site for the console's preview, as long as the request names no page but the preview page: a post names
 * its page; edits and deletes need the comment's edit token; form tokens and reports name none.
 */
export function isAllowedOrigin(site: Site, origin: string, req: Request, policy: OriginPolicy): boolean {
  if (site.settings.origins.includes(origin)) return true;
  if (!isOwnOrigin(origin, req, policy)) return false;
  if (site.id === 'demo') return true;
  const page = (req.body as { page?: unknown } | undefined)?.page;
  return page === undefined || page === PREVIEW_PAGE;
}

/**
 * A page belongs to its site: a page URL must be on an origin the site accepts writes from, so that nobody can make
 * a site's feeds and moderators' lists link elsewhere. `url` has already passed the http(s) URL check.
 */
export function requirePageOnSite(site: Site, url: string | null | undefined, field: string, req: Request, policy: OriginPolicy): void {
  if (url === null || url === undefined) return;
  if (!isAllowedOrigin(site, new URL(url).origin, req, policy)) throw invalidField(field, 'off_site', "must be on one of the site's origins");
}

export function siteOf(res: Response): Site {
  return res.locals.site as Site;
}

/** Sets CORS headers for an allowed Origin; answers preflights. Expects res.locals.site. */
export function cors(policy: OriginPolicy, methods: string): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin && isAllowedOrigin(siteOf(res), origin, req, policy)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'ETag, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', methods);
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, If-None-Match, Marginalia-Voter, Last-Event-ID');
        res.setHeader('Access-Control-Max-Age', '600');
      }
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** Writes from browsers must come from one of the site's origins. */
export function requireAllowedOrigin(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || !isAllowedOrigin(siteOf(res), origin, req, policy))
      return next(forbidden('origin_not_allowed', 'This origin may not post to this site.'));
    next();
  };
}
