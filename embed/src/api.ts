// The public API as the widget uses it (SPEC §3): JSON in, JSON or problem+json out, never cookies.
export interface Author {
  name: string;
  website: string | null;
  avatar: string | null;
}

export interface PublicComment {
  id: string;
  parentId: string | null;
  depth: number;
  author: Author | null;
  html: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface FieldProblem {
  path: string | (string | number)[];
  message: string;
}

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
  headers: Headers;
}

export type Call = (method: string, path: string, body?: unknown, token?: string) => Promise<Reply>;

/**
 * A caller for the API at `base`: resolves with any HTTP answer; rejects only when the network fails
 * (or the widget is torn down, through `signal`).
 */
export function api(base: string, signal: AbortSignal): Call {
  return async (method, path, body, token) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
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
