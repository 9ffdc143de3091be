// HTTP: request id, access log, content-type guard, request context.
import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../log';
import { AppError } from '../domain/errors';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SAFE_ID = /^[\w.-]{1,64}$/;

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && SAFE_ID.test(given) ? given : crypto.randomUUID();
    req.id = id;
    // Most requests never log beyond the access line: make the child logger only when asked for.
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { get: () => (child ??= logger.child({ reqId: id })), configurable: true });
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/** One line per request: method, path without its query (queries can carry e-mails), status, time. No IP. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) return next();
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // originalUrl: a router mounted under /api/v1 has stripped its prefix from req.path by the time the answer goes out.
      const path = req.originalUrl.split('?')[0];
      logger.info({ reqId: req.id, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}

/** A body that is not JSON is refused with 415 rather than silently ignored. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json']))
    return next(new AppError('unsupported_media_type', 415, 'Unsupported Media Type', 'Send the body as application/json.'));
  next();
};

/** The bearer credential; the scheme name is case-insensitive (RFC 9110 §11.1). */
export function bearer(req: Request): string | undefined {
  return /^Bearer +(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
}
