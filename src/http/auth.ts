// HTTP: the bearer token of a moderator API request, authenticated once and kept in res.locals.
import type { RequestHandler, Response } from 'express';
import type { AccessService } from '../domain/access';
import type { Token } from '../domain/types';
import { bearer } from './middleware';

export const tokenOf = (res: Response) => res.locals.token as Token;

export function authenticateToken(access: AccessService): RequestHandler {
  return async (req, res, next) => {
    res.locals.token = await access.authenticate(bearer(req), Date.now());
    next();
  };
}
