// HTTP: every error becomes RFC 9457 application/problem+json. Stacks and SQL stay in the log.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError, type core } from 'zod';
import { AppError, type FieldError, type FieldErrorCode } from '../domain/errors';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export function sendProblem(res: Response, p: Problem, headers: Record<string, string> = {}): void {
  res.status(p.status).set(headers).type('application/problem+json').send(JSON.stringify(p));
}

// Problem types are URNs: stable identifiers, no page to fetch.
const TYPE_BASE = 'urn:marginalia:problem:';

/** The stable code of a zod issue: ours from a custom check's params, else from zod's own issue kind. */
function fieldError(i: core.$ZodIssue, path: string, sent: unknown): FieldError {
  const at = (code: FieldErrorCode, limit?: number): FieldError => ({ path, code, message: i.message, ...(limit === undefined ? {} : { limit }) });
  switch (i.code) {
    case 'custom': {
      const p = (i.params ?? {}) as { code?: FieldErrorCode; limit?: number };
      return at(p.code ?? 'invalid_value', p.limit);
    }
    case 'invalid_type':
      return at(valueAt(sent, i.path) === undefined ? 'required' : 'invalid_type');
    case 'too_big':
      return at(i.origin === 'string' ? 'too_long' : i.origin === 'array' ? 'too_many' : 'out_of_range', Number(i.maximum));
    case 'too_small':
      if (i.origin === 'string') return Number(i.minimum) <= 1 ? at('required') : at('too_short', Number(i.minimum));
      return i.origin === 'array' ? at('too_few', Number(i.minimum)) : at('out_of_range', Number(i.minimum));
    case 'invalid_format':
      return at(i.format === 'email' ? 'invalid_email' : 'invalid_format');
    default:
      return at('invalid_value');
  }
}

/** What the client sent at `path` (zod's issues leave the input out). */
function valueAt(sent: unknown, path: PropertyKey[]): unknown {
  let v = sent;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** A 400 problem naming every invalid field of `sent` (the request body, or the query for a GET). */
export function fromZod(err: ZodError, sent?: unknown): Problem {
  const errors = err.issues.flatMap((i): FieldError[] => {
    const at = i.path.map(String).join('.');
    // A field the API does not accept is named as the field itself.
    if (i.code === 'unrecognized_keys')
      return i.keys.map((k) => ({ path: (at ? `${at}.${k}` : k).slice(0, 100), code: 'unknown_field', message: 'is not an accepted field' }));
    return [fieldError(i, at || 'body', sent)];
  });
  const fields = [...new Set(errors.map((e) => e.path))];
  return {
    type: TYPE_BASE + 'invalid-request',
    title: 'Invalid request',
    status: 400,
    detail: `Invalid ${fields.length === 1 ? 'field' : 'fields'}: ${fields.join(', ')}.`,
    errors,
  };
}

/** Errors body-parser raises, by its `type`. */
const PARSER_ERRORS: Record<string, Omit<Problem, 'type'> & { slug: string }> = {
  'entity.parse.failed': { slug: 'malformed-json', title: 'Malformed JSON', status: 400, detail: 'The request body is not valid JSON.' },
  'entity.too.large': { slug: 'too-large', title: 'Payload Too Large', status: 413, detail: 'The request body is larger than this route accepts.' },
  'charset.unsupported': { slug: 'unsupported-charset', title: 'Unsupported Media Type', status: 415, detail: 'Send the body as UTF-8 JSON.' },
  'encoding.unsupported': { slug: 'unsupported-encoding', title: 'Unsupported Media Type', status: 415, detail: 'This content encoding is not accepted.' },
};

export const notFoundHandler: RequestHandler = (_req, res) => {
  sendProblem(res, { type: TYPE_BASE + 'not-found', title: 'Not Found', status: 404, detail: 'No such route.' });
};

export function errorHandler(log: (err: unknown, req: Parameters<ErrorRequestHandler>[1]) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      log(err, req);
      return;
    }
    if (err instanceof ZodError) return sendProblem(res, fromZod(err, req.body !== undefined ? req.body : req.query));
    if (err instanceof AppError)
      return sendProblem(
        res,
        {
          type: TYPE_BASE + err.code.replace(/_/g, '-'),
          title: err.title,
          status: err.status,
          detail: err.detail,
          ...(err.errors ? { errors: err.errors } : {}),
        },
        err.headers,
      );
    const parser = typeof err?.type === 'string' ? PARSER_ERRORS[err.type] : undefined;
    if (parser) {
      const { slug, ...p } = parser;
      const detail = slug === 'too-large' && typeof err.limit === 'number' ? `The request body is larger than ${err.limit} bytes.` : p.detail;
      return sendProblem(res, { type: TYPE_BASE + slug, ...p, detail });
    }
    if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_CONSTRAINT')) {
      log(err, req);
      return sendProblem(res, { type: TYPE_BASE + 'conflict', title: 'Conflict', status: 409, detail: 'The request conflicts with stored data.' });
    }
    // Other client errors raised below us (a path with broken percent-encoding, a body that is not the gzip it
    // claims): their own status, a generic detail, never their message.
    const status = Number(err?.status ?? err?.statusCode);
    if (Number.isInteger(status) && status >= 400 && status < 500) {
      const title = status === 415 ? 'Unsupported Media Type' : status === 413 ? 'Payload Too Large' : 'Bad Request';
      return sendProblem(res, { type: TYPE_BASE + 'unreadable-request', title, status, detail: 'The request could not be read (its path, encoding or body is malformed).' });
    }
    const sqlite = typeof err?.code === 'string' ? (err.code as string) : '';
    if (/^SQLITE_(FULL|IOERR|READONLY)/.test(sqlite)) {
      log(err, req);
      // Nothing was written (the transaction rolled back); reads go on. The detail names no file and no SQL.
      return sendProblem(
        res,
        { type: TYPE_BASE + 'storage-unavailable', title: 'Service Unavailable', status: 503, detail: 'The service cannot store anything right now; nothing was changed. Try again later.' },
        { 'Retry-After': '30' },
      );
    }
    if (/^SQLITE_(BUSY|LOCKED)/.test(sqlite)) {
      log(err, req);
      return sendProblem(
        res,
        { type: TYPE_BASE + 'database-busy', title: 'Service Unavailable', status: 503, detail: 'The database is busy; nothing was changed. Try again shortly.' },
        { 'Retry-After': '1' },
      );
    }
    log(err, req);
    sendProblem(res, { type: TYPE_BASE + 'internal', title: 'Internal Server Error', status: 500, detail: 'Something went wrong on our side; it has been logged.' });
  };
}
