import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput } from '../helpers/api';
import { REQUEST_BODY_LIMIT } from '../../src/http/body-limits';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.stop());

function expectProblem(r: { status: number; headers: Headers; body: any; text: string }, status: number) {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(r.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(r.text).not.toMatch(/SELECT|INSERT|SQLITE/i);
}

describe('problem+json errors', () => {
  it('answers malformed JSON with 400', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: '{"page": "/a",', headers: { 'content-type': 'application/json' } });
    expectProblem(r, 400);
  });

  it('answers a body that is not JSON with 415', async () => {
    const form = await call(server, 'POST', '/api/v1/sites/demo/comments', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'page=/a&name=x',
    });
    expectProblem(form, 415);
    const text = await call(server, 'POST', '/api/v1/sites/demo/comments', { headers: { 'content-type': 'text/plain' }, body: '{}' });
    expectProblem(text, 415);
  });

  it('answers a body over the transport limit with 413', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body: 'x'.repeat(REQUEST_BODY_LIMIT) }) });
    expectProblem(r, 413);
  });

  it('answers an unknown route with 404', async () => {
    expectProblem(await call(server, 'GET', '/api/v1/nothing-here'), 404);
    expectProblem(await call(server, 'GET', '/no/such/page'), 404);
  });

  it('answers an unknown site and an unknown comment with 404', async () => {
    expectProblem(await call(server, 'GET', '/api/v1/sites/nosuchsite/comments?page=/a'), 404);
    expectProblem(await call(server, 'PATCH', '/api/v1/comments/c_01M8HD66P9NNTND3SZ330QDVSX', { body: { body: 'x' } }), 404);
  });

  it('lists every invalid field in errors[] for 400', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', {
      body: { page: '', name: '', email: 'not-an-email', website: 'javascript:alert(1)', body: '   ', surprise: true },
    });
    expectProblem(r, 400);
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body', 'email', 'name', 'page', 'surprise', 'website']);
  });

  it('answers an unexpected failure with a generic 500 and keeps the details in the log', async () => {
    // A closed database is a real failure the handlers do not expect.
    await server.repos.close();
    const r = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/fresh-page-' + Date.now());
    expectProblem(r, 500);
    expect(r.body.detail).not.toMatch(/database/i);
    expect(server.logs.some((l) => l.includes('"level":50') && /database connection is not open|Cannot use a pool after calling end/.test(l))).toBe(true);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);
    expect((await call(server, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('reports not ready when the database is gone', async () => {
    await server.repos.close();
    const r = await call(server, 'GET', '/readyz');
    expect(r.status).toBe(503);
  });
});
