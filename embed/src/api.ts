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

export class Api {
  constructor(
    readonly base: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Resolves with any HTTP answer; rejects only when the network fails (or the widget is torn down). */
  async call(method: string, path: string, body?: unknown, token?: string): Promise<Reply> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(this.base + '/api/v1' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      signal: this.signal,
      cache: method == 'GET' ? 'no-cache' : 'no-store',
    });
    let data = null;
    if (/json/.test(res.headers.get('Content-Type') || '')) data = await res.json().catch(() => null);
    return { status: res.status, data, headers: res.headers };
  }
}

/** Seconds to wait from a 429's Retry-After (delta-seconds or an HTTP date), or null when unreadable. */
export function retryAfter(headers: Headers): number | null {
  const v = headers.get('Retry-After');
  if (!v) return null;
  const n = /^\d+$/.test(v.trim()) ? +v : (Date.parse(v) - Date.now()) / 1000;
  return isFinite(n) ? Math.max(1, Math.ceil(n)) : null;
}
