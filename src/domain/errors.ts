// Domain errors: a stable code, an HTTP status and a detail safe to show. What is only for logs stays in `cause`.

/**
 * Stable codes for what is wrong with a field, so a client can show its own words (in its own language);
 * the message stays as the service's English fallback.
 */
export const fieldErrorCodes = [
  'required',
  'too_short',
  'too_long',
  'too_many',
  'too_few',
  'out_of_range',
  'invalid_type',
  'invalid_value',
  'invalid_format',
  'invalid_email',
  'invalid_url',
  'invalid_text',
  'control_characters',
  'direction_override',
  'unknown_field',
  'invalid_cursor',
  'not_allowed',
  'off_site',
] as const;
export type FieldErrorCode = (typeof fieldErrorCodes)[number];

export interface FieldError {
  path: string;
  code: FieldErrorCode;
  message: string;
  /** The limit a too_long / too_short / too_many / too_few error refers to. */
  limit?: number;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new AppError('invalid_request', 400, 'Invalid request', detail, errors);

export const invalidField = (path: string, code: FieldErrorCode, message: string, limit?: number) =>
  new AppError('invalid_request', 400, 'Invalid request', `${path}: ${message}`, [{ path, code, message, ...(limit === undefined ? {} : { limit }) }]);

export const unauthorized = (detail = 'A valid token is required.') =>
  new AppError('unauthorized', 401, 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer' });

export const forbidden = (code: string, detail: string) => new AppError(code, 403, 'Forbidden', detail);

export const notFound = (what: string) => new AppError('not_found', 404, 'Not Found', `${what} was not found.`);

export const conflict = (code: string, detail: string) => new AppError(code, 409, 'Conflict', detail);

export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new AppError('too_many_requests', 429, 'Too Many Requests', detail, undefined, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/** The service cannot do this now (overloaded, out of disk, database locked); the client may retry after the delay. */
export const unavailable = (code: string, detail: string, retryAfterSeconds: number) =>
  new AppError(code, 503, 'Service Unavailable', detail, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** Replicas' shared state (Redis) does not answer: refused rather than done without the shared check. */
export const sharedStateUnavailable = () =>
  new AppError('shared_state_unavailable', 503, 'Service Unavailable', 'The service cannot reach its shared state; try again in a moment.', undefined, {
    'Retry-After': '5',
  });
