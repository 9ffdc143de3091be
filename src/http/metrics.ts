// HTTP: request counts and latencies labelled by route pattern (never the raw path), and the guarded /metrics.
import crypto from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import type { Metrics } from '../metrics/registry';
import { AppError, unauthorized } from '../domain/errors';
import { bearer } from './middleware';

declare module 'express-serve-static-core' {
  interface Request {
    /** The route pattern that answered, e.g. /api/v1/sites/:site/comments, set when the router picks a route. */
    routePattern?: string;
  }
}

const UNMATCHED = 'unmatched';

interface RouteLayer {
  rawPath?: unknown;
  route?: { path: unknown };
  handle?: { stack?: RouteLayer[] };
}

const pathsOf = (p: unknown): string[] => (Array.isArray(p) ? p.flat(Infinity).map(String) : typeof p === 'string' ? [p] : []);

/** Every full route pattern of the app, walked once from its router stack. */
function collectPatterns(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: RouteLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) for (const p of pathsOf(layer.route.path)) out.push(prefix + p);
      else if (layer.handle?.stack) {
        const mounts = pathsOf(layer.rawPath);
        for (const m of mounts.length ? mounts : ['/']) walk(layer.handle.stack, prefix + (m === '/' ? '' : m));
      }
    }
  };
  walk(((app as unknown as { router: { stack: RouteLayer[] } }).router?.stack) ?? [], '');
  return out;
}

function patternMatcher(pattern: string): RegExp {
  const body = pattern
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}

/** Labels a request the router never handed to a route (a CORS preflight, an unknown site) by the pattern its path fits. */
function fallbackLabeller(app: Express): (path: string) => string {
  let patterns: { pattern: string; re: RegExp }[] | null = null;
  return (path) => {
    patterns ??= [...new Set(collectPatterns(app))].map((pattern) => ({ pattern, re: patternMatcher(pattern) }));
    return patterns.find((p) => p.re.test(path))?.pattern ?? UNMATCHED;
  };
}

export function httpMetrics(app: Express, metrics: Metrics): RequestHandler {
  const { requests, duration } = metrics.httpInstruments();
  const refusals = metrics.counter({ name: 'marginalia_rate_limit_refusals_total', help: 'Requests refused by a rate limit, by limiter.', labelNames: ['limiter'] });
  const fallback = fallbackLabeller(app);
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    // The router sets req.route when it picks a route; req.baseUrl is the mount path only at that moment.
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (v: { path?: unknown } | undefined) => {
        route = v;
        if (v && v.path !== undefined) req.routePattern = req.baseUrl + pathsOf(v.path)[0];
      },
    });
    res.on('finish', () => {
      const labels = { method: req.method, route: req.routePattern ?? fallback(req.originalUrl.split('?')[0]), status: String(res.statusCode) };
      requests.inc(labels);
      if (typeof res.locals.rateLimited === 'string') refusals.inc({ limiter: res.locals.rateLimited });
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

const sameSecret = (given: string, expected: string) => {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
};

/**
 * GET /metrics. With a token configured it needs that bearer token; without one it answers only a connection
 * from loopback that carries no X-Forwarded-For (a proxy on the same host would forward strangers).
 */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): RequestHandler {
  return async (req, res) => {
    if (token) {
      const given = bearer(req);
      if (!given || !sameSecret(given, token)) throw unauthorized('The metrics token is required.');
    } else if (!isLoopback(req.socket.remoteAddress) || req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined) {
      throw new AppError('forbidden', 403, 'Forbidden', 'Metrics are served to loopback only unless METRICS_TOKEN is set.');
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.contentType).send(await metrics.text());
  };
}
