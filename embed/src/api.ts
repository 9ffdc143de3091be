// The public API as the widget uses it (SPEC §3): JSON in, JSON or problem+json out, never cookies.
// Its shapes are the server's own, from the OpenAPI document (type-only: nothing of it reaches the bundle).
import type { components } from '../../src/http/openapi-types';

type Schemas = components['schemas'];
export type PublicComment = Schemas['PublicComment'];
export type Thread = Schemas['Thread'];
export type Posted = Schemas['Posted'];
export type Edited = Schemas['Edited'];
export type FormToken = Schemas['FormToken'];
export type Problem = Schemas['Problem'];
export type NewComment = Schemas['NewComment'];
export type CommentEdit = Schemas['CommentEdit'];
export type NewReport = Schemas['NewReport'];
export type Vote = Schemas['Vote'];
export type VoteTotals = Schemas['VoteTotals'];
export type Featured = Schemas['Featured'];

export interface Reply<T = unknown> {
  status: number;
  /** The JSON answer: a `T` when the status is the call's success status, a Problem (or null) otherwise. */
  data: T | null;
  headers: Headers;
}

export type Call = <T = unknown>(method: string, path: string, body?: unknown, token?: string, voter?: string) => Promise<Reply<T>>;

/**
 * A caller for the API at `base`: resolves with any HTTP answer; rejects only when the network fails
 * (or the widget is torn down, through `signal`).
 */
export function api(base: string, signal: AbortSignal): Call {
  return async <T>(method: string, path: string, body?: unknown, token?: string, voter?: string): Promise<Reply<T>> => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    // The reader's voter key: on votes, and on posts so that the author cannot vote on their own comment.
    if (voter) headers['Marginalia-Voter'] = voter;
    const res = await fetch(base + '/api/v1' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      signal,
      // Lists revalidate with their ETag every time; writes and form tokens are never cached.
      cache: method == 'GET' ? 'no-cache' : 'no-store',
    });
    const data = /json/.test(res.headers.get('Content-Type') || '') ? await res.json().catch(() => null) : null;
    return { status: res.status, data, headers: res.headers };
  };
}

/** Seconds to wait from a 429's Retry-After (the service sends delta-seconds), or null when absent. */
export function retryAfter(headers: Headers): number | null {
  const n = Number(headers.get('Retry-After'));
  return n > 0 ? Math.ceil(n) : null;
}
