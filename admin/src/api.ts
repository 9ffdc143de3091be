// The moderation API client: bearer token from sessionStorage, problem+json errors as ApiError.
// Request and answer shapes are the server's own, from the OpenAPI document (type-only: nothing reaches the bundle).
import type { components } from '../../src/http/openapi-types';

/** The document's shared schemas by name: `Schemas['Queue']` is what the queue answers. */
export type Schemas = components['schemas'];

const KEY = 'marginalia.token';
/** Dispatched on window when a request made with the stored token answers 401. */
export const UNAUTHORIZED = 'marginalia:unauthorized';

/** A problem+json answer; `status` 0 is a network failure. */
export type Problem = Pick<Schemas['Problem'], 'status' | 'title' | 'detail' | 'errors'>;

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  get status(): number {
    return this.problem.status;
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Calls the API; `T` is the success answer's schema (`api<Schemas['Pages']>(…)`), and errors throw an ApiError. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, secret = token.get()): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers: {
        ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: T | Partial<Schemas['Problem']> | null = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    // The session's own token stopped working (revoked while the console was open): the app signs out.
    if (res.status === 401 && secret && secret === token.get()) window.dispatchEvent(new Event(UNAUTHORIZED));
    const problem = (data ?? {}) as Partial<Schemas['Problem']>;
    throw new ApiError({
      status: res.status,
      title: problem.title ?? res.statusText,
      detail: problem.detail ?? `The server answered ${res.status}.`,
      errors: problem.errors,
    });
  }
  return data as T;
}

export const qs = (params: Record<string, string | number | undefined | null>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
