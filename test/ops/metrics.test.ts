// /metrics scraped over HTTP: every family the operations contract names is there, and each moves when its thing happens.
import http from 'node:http';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act } from '../helpers/moderation';

/** Parses Prometheus text into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function scrape(s: TestServer, headers: Record<string, string> = {}) {
  const r = await fetch(`${s.baseUrl}/metrics`, { headers });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type') ?? '', text, values: parse(text) };
}

const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

describe('/metrics', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    await configure(s, { ...fastPosting, moderation: 'all' });
  });
  afterAll(() => s.stop());

  it('has every family of the operations contract, in Prometheus text format', async () => {
    const m = await scrape(s);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of [
      'http_requests_total counter',
      'http_request_duration_seconds histogram',
      'marginalia_comments gauge',
      'marginalia_moderation_queue gauge',
      'marginalia_reported_comments gauge',
      'marginalia_rate_limit_refusals_total counter',
      'marginalia_database_bytes gauge',
      'nodejs_eventloop_lag_seconds gauge',
      'nodejs_heap_size_used_bytes gauge',
      'nodejs_active_handles_total gauge',
      'process_resident_memory_bytes gauge',
      'process_cpu_user_seconds_total counter',
    ])
      expect(m.text).toContain(`# TYPE ${family}`);
  });

  it('counts comments by site and status, and the queue, as they are posted and moderated', async () => {
    const before = (await scrape(s)).values;
    const posted = [];
    for (let i = 0; i < 3; i++) posted.push((await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/metrics' }) })).body.comment.id);
    let m = (await scrape(s)).values;
    expect(value(m, 'marginalia_comments{site="demo",status="pending"}') - value(before, 'marginalia_comments{site="demo",status="pending"}')).toBe(3);
    expect(value(m, 'marginalia_moderation_queue{site="demo"}') - value(before, 'marginalia_moderation_queue{site="demo"}')).toBe(3);
    expect((await act(s, { action: 'approve', ids: [posted[0]] })).status).toBe(200);
    m = (await scrape(s)).values;
    expect(value(m, 'marginalia_comments{site="demo",status="approved"}') - value(before, 'marginalia_comments{site="demo",status="approved"}')).toBe(1);
    expect(value(m, 'marginalia_moderation_queue{site="demo"}') - value(before, 'marginalia_moderation_queue{site="demo"}')).toBe(2);
    await call(s, 'POST', `/api/v1/comments/${posted[0]}/reports`, { body: { reason: 'spam' } });
    m = (await scrape(s)).values;
    expect(value(m, 'marginalia_reported_comments{site="demo"}') - value(before, 'marginalia_reported_comments{site="demo"}')).toBe(1);
  });

  it("shows the answer cache's bytes, entries, hits and misses as reads fill it", async () => {
    const before = (await scrape(s)).values;
    const path = `/api/v1/sites/demo/comments?page=${encodeURIComponent('/metrics-cache')}`;
    expect((await call(s, 'GET', path)).status).toBe(200);
    expect((await call(s, 'GET', path)).status).toBe(200);
    const m = (await scrape(s)).values;
    expect(value(m, 'marginalia_answer_cache_misses') - value(before, 'marginalia_answer_cache_misses')).toBe(1);
    expect(value(m, 'marginalia_answer_cache_hits') - value(before, 'marginalia_answer_cache_hits')).toBe(1);
    expect(value(m, 'marginalia_answer_cache_entries') - value(before, 'marginalia_answer_cache_entries')).toBe(1);
    expect(value(m, 'marginalia_answer_cache_bytes')).toBeGreaterThan(value(before, 'marginalia_answer_cache_bytes'));
    expect(value(m, 'marginalia_answer_cache_max_bytes')).toBe(32 * 1024 * 1024);
  });

  it('labels requests by route pattern and status, never by the raw path', async () => {
    const before = (await scrape(s)).values;
    const secretPage = '/private-page-key-7f3a';
    await call(s, 'GET', `/api/v1/sites/demo/comments?page=${encodeURIComponent(secretPage)}`);
    await call(s, 'GET', `/api/v1/sites/demo/comments?page=${encodeURIComponent(secretPage)}`);
    await call(s, 'GET', '/api/v1/sites/no-such-site-91/comments?page=x');
    await call(s, 'OPTIONS', '/api/v1/sites/demo/comments', { headers: { 'access-control-request-method': 'POST' } });
    await call(s, 'GET', '/nothing-here-5b1c');
    const m = await scrape(s);
    const key = (method: string, route: string, status: number) => `http_requests_total{method="${method}",route="${route}",status="${status}"}`;
    expect(value(m.values, key('GET', '/api/v1/sites/:site/comments', 200)) - value(before, key('GET', '/api/v1/sites/:site/comments', 200))).toBe(2);
    // An unknown site never reaches the route, but its path still counts under the pattern it fits.
    expect(value(m.values, key('GET', '/api/v1/sites/:site/comments', 404)) - value(before, key('GET', '/api/v1/sites/:site/comments', 404))).toBe(1);
    expect(value(m.values, key('GET', 'unmatched', 404)) - value(before, key('GET', 'unmatched', 404))).toBe(1);
    expect(m.text).toMatch(/http_requests_total\{method="OPTIONS",route="\/api\/v1\/sites\/:site\/comments",status="204"\}/);
    expect(value(m.values, 'http_request_duration_seconds_count{method="GET",route="/api/v1/sites/:site/comments",status="200"}')).toBeGreaterThanOrEqual(2);
    for (const raw of ['private-page-key', 'no-such-site-91', 'nothing-here-5b1c', '/sites/demo/']) expect(m.text).not.toContain(raw);
  });

  it('counts rate-limit refusals by limiter', async () => {
    const other = await startTestServer();
    try {
      await configure(other, { ...fastPosting, rateLimits: { ...fastPosting.rateLimits, postsPerMinute: 1 } });
      const before = (await scrape(other)).values;
      expect((await call(other, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() })).status).toBe(201);
      expect((await call(other, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() })).status).toBe(429);
      expect((await call(other, 'POST', '/api/v1/sites/demo/comments', { body: commentInput() })).status).toBe(429);
      const m = (await scrape(other)).values;
      expect(value(m, 'marginalia_rate_limit_refusals_total{limiter="posts"}') - value(before, 'marginalia_rate_limit_refusals_total{limiter="posts"}')).toBe(2);
    } finally {
      await other.stop();
    }
  });

  it('reports the database growing and the event loop lagging', async () => {
    const before = (await scrape(s)).values;
    for (let i = 0; i < 20; i++) await call(s, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/growth', body: 'x'.repeat(2000) + i }) });
    // Hold the event loop for 300 ms, as a slow synchronous task would.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 20));
    const m = (await scrape(s)).values;
    expect(value(before, 'marginalia_database_bytes')).toBeGreaterThan(0);
    expect(value(m, 'marginalia_database_bytes')).toBeGreaterThan(value(before, 'marginalia_database_bytes'));
    expect(value(m, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.25);
  });
});

describe('/metrics access', () => {
  it('without METRICS_TOKEN answers loopback, but not a request a proxy forwarded', async () => {
    const s = await startTestServer();
    try {
      expect((await scrape(s)).status).toBe(200);
      const forwarded = await scrape(s, { 'x-forwarded-for': '203.0.113.9' });
      expect(forwarded.status).toBe(403);
      expect(forwarded.type).toContain('application/problem+json');
      expect(forwarded.text).not.toContain('http_requests_total');
      expect((await scrape(s, { forwarded: 'for=203.0.113.9' })).status).toBe(403);
    } finally {
      await s.stop();
    }
  });

  it('without METRICS_TOKEN refuses a connection that does not come from loopback', async () => {
    const s = await startTestServer();
    try {
      // Tests can only connect over loopback: this server hands the same app a socket that says it comes from elsewhere.
      const handler = s.app;
      const res = await new Promise<{ status: number; body: string }>((resolve) => {
        const server = http.createServer((req, resp) => {
          Object.defineProperty(req.socket, 'remoteAddress', { value: '192.0.2.10' });
          handler(req as never, resp as never);
        });
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => {
            resolve({ status: r.status, body: await r.text() });
            server.close();
          });
        });
      });
      expect(res.status).toBe(403);
      expect(res.body).not.toContain('process_resident_memory_bytes');
    } finally {
      await s.stop();
    }
  });

  it('with METRICS_TOKEN needs that bearer token, from anywhere', async () => {
    const token = 'metrics-secret-0123456789';
    const s = await startTestServer({ env: { METRICS_TOKEN: token } });
    try {
      const none = await scrape(s);
      expect(none.status).toBe(401);
      expect(none.type).toContain('application/problem+json');
      expect((await scrape(s, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
      const ok = await scrape(s, { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('http_requests_total');
    } finally {
      await s.stop();
    }
  });
});

describe('/readyz', () => {
  it('is ready while the database answers a query, and fails once it cannot', async () => {
    const s = await startTestServer();
    try {
      const ok = await call(s, 'GET', '/readyz');
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ status: 'ready' });
      await s.repos.close();
      const down = await call(s, 'GET', '/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'unavailable' });
      // Liveness is a different question: the process still answers.
      expect((await call(s, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('fails while the process drains, and tells keep-alive clients to reconnect elsewhere', async () => {
    const s = await startTestServer();
    try {
      expect((await call(s, 'GET', '/readyz')).status).toBe(200);
      s.app.drain();
      const r = await call(s, 'GET', '/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ status: 'draining' });
      expect(r.headers.get('connection')).toBe('close');
      // In-flight work is still answered while draining.
      expect((await call(s, 'GET', '/api/v1/sites/demo/comments?page=%2Fdrain')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
