// Inputs the fuzzer found that once answered 500; each must stay a clear 4xx problem.
import zlib from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const expectProblem = (r: { status: number; headers: Headers; text: string }, status: number) => {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.text).not.toMatch(/URIError|Failed to decode|incorrect header|zlib|\n\s+at /);
};

it('a path segment with broken percent-encoding is a 400 problem, not a 500', async () => {
  for (const path of ['/api/v1/sites/%/comments?page=x', '/api/v1/sites/%E0%A4%A/settings', '/api/v1/comments/%FF/reports'])
    expectProblem(await call(s, path.includes('reports') ? 'POST' : 'GET', path, { token: s.ownerToken, body: path.includes('reports') ? { reason: 'spam' } : undefined }), 400);
});

it('a body that is not the gzip it claims to be is a 400 problem, not a 500', async () => {
  const r = await call(s, 'POST', '/api/v1/sites/demo/comments', { body: '{"page":"/x"}', headers: { 'content-encoding': 'gzip' } });
  expectProblem(r, 400);
  // Real gzip is still read.
  const gz = zlib.gzipSync(JSON.stringify({ page: '/gz', name: 'Zip', email: 'zip@example.com', body: 'Compressed on the way.' }));
  const ok = await fetch(`${s.baseUrl}/api/v1/sites/demo/comments`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', origin: s.baseUrl }, body: gz });
  expect(ok.status).toBe(201);
});
