import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ env: { TRUST_PROXY: 'true' } });
});
afterEach(() => server.stop());

describe('access log', () => {
  it('writes one line per request with neither the client address nor the Authorization value', async () => {
    const secretHeader = 'Bearer mt_this-value-must-never-be-logged';
    await call(server, 'GET', '/api/v1/me', { headers: { authorization: secretHeader, 'x-forwarded-for': '203.0.113.77' } });
    await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?email=someone%40example.com', {
      token: server.ownerToken,
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    const lines = server.logs.filter((l) => l.includes('"msg":"request"'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"path":"/api/v1/me"');
    expect(lines[0]).toContain('"status":401');
    // The full path also for an answer given inside the /api/v1 router, and still without its query.
    expect(lines[1]).toContain('"path":"/api/v1/sites/demo/moderation/comments"');
    expect(lines[1]).toContain('"status":200');
    for (const line of server.logs) {
      expect(line).not.toContain('203.0.113.77');
      expect(line).not.toContain('127.0.0.1');
      expect(line).not.toContain('mt_this-value-must-never-be-logged');
      expect(line).not.toContain(server.ownerToken);
      expect(line).not.toContain('someone');
    }
  });

  it('carries a request id in the log and the X-Request-Id header', async () => {
    const r = await call(server, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    expect(server.logs.some((l) => l.includes('"reqId":"abc-123"'))).toBe(true);
  });
});
