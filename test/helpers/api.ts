// A small JSON client for HTTP tests against a TestServer.
import type { TestServer } from './server';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>(
  server: Pick<TestServer, 'baseUrl'>,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, opts.headers);
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  // Writes from browsers carry an Origin; default to the service's own, which site `demo` accepts.
  if (opts.origin !== null) headers.origin = opts.origin ?? server.baseUrl;
  const send = () =>
    fetch(server.baseUrl + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
  let res: Response;
  try {
    res = await send();
  } catch (err) {
    // A kept-alive connection the server closed while this process was blocked (a CLI run with spawnSync, say)
    // fails the next request before it is sent. Only a GET is sent again: it changes nothing.
    if (method !== 'GET' || !/other side closed/.test(String((err as { cause?: unknown }).cause))) throw err;
    res = await send();
  }
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Settings that let a test post quickly: no form-timing check, no flood window, generous limits. */
export const fastPosting = {
  minSubmitSeconds: 0,
  floodSeconds: 0,
  rateLimits: { postsPerMinute: 10_000, reportsPerHour: 10_000, readsPerMinute: 100_000, moderationPerMinute: 100_000 },
};

export async function configure(server: TestServer, settings: Record<string, unknown>, site = 'demo') {
  const r = await call(server, 'PATCH', `/api/v1/sites/${site}/settings`, { token: server.ownerToken, body: settings });
  if (r.status !== 200) throw new Error(`settings update failed: ${r.status} ${r.text}`);
  return r.body.settings;
}

let counter = 0;
export function commentInput(over: Record<string, unknown> = {}) {
  counter++;
  return { page: '/post', name: `Reader ${counter}`, email: `reader${counter}@example.com`, body: `Comment number ${counter}`, ...over };
}
