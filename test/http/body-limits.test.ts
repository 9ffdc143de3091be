// The transport limit fits every valid request in any JSON encoding; one byte more is a 413 problem.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, configure, fastPosting } from '../helpers/api';
import { escapeJson, worstCharacter } from '../helpers/json-escape';
import { REQUEST_BODY_LIMIT, SETTINGS_BODY_LIMIT } from '../../src/http/body-limits';
import { charLength } from '../../src/domain/text';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const raw = (method: string, path: string, text: string, token?: string) =>
  call(server, method, path, { body: text, token, headers: { 'content-type': 'application/json' } });

/** A URL of exactly `n` UTF-16 code units, its path non-ASCII (escaped, each unit costs the most). */
const longUrl = (n: number, head = 'https://ada.example/') => {
  return head + 'é'.repeat(n - head.length);
};
/** A valid e-mail address of 254 characters. */
const longEmail = () => `${'a'.repeat(64)}@${['b', 'c', 'd'].map((l) => l.repeat(61)).join('.')}.example`.slice(0, 254);

describe('the largest valid requests, every character escaped', () => {
  it('fits a comment with every field at its limit and every character in its longest form', async () => {
    const { char, input } = worstCharacter();
    const page = '/' + input.repeat(511);
    const parent = await call(server, 'POST', '/api/v1/sites/demo/comments', {
      body: { page, name: 'Parent', email: 'p@example.com', body: 'The parent.' },
    });
    expect(parent.status).toBe(201);
    const email = longEmail();
    expect(email).toHaveLength(254);
    const request = {
      page,
      pageUrl: longUrl(2048, `${server.baseUrl}/`), // a page URL must be on the site's origins
      pageTitle: input.repeat(300),
      parentId: parent.body.comment.id,
      name: input.repeat(100),
      email,
      website: longUrl(2048),
      body: input.repeat(10_000),
      hp: '\u3000'.repeat(1000), // blank: trimmed away, so not a filled honeypot
      formToken: 'f'.repeat(200),
    };
    const text = escapeJson(request);
    expect(text.length).toBeLessThanOrEqual(REQUEST_BODY_LIMIT);
    // The limit is no looser than it must be: the headroom is only what pretty-printing could add.
    expect(REQUEST_BODY_LIMIT - text.length).toBeLessThan(1024);

    const r = await raw('POST', '/api/v1/sites/demo/comments', text);
    expect(r.status).toBe(201);
    const stored = r.body.comment;
    expect(stored.author.name).toBe(char.repeat(100));
    expect(stored.parentId).toBe(parent.body.comment.id);
    const mod = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
    const body = mod.body.items.find((c: { id: string }) => c.id === stored.id).body as string;
    expect(charLength(body)).toBe(10_000);
  });

  it('fits the 10,000-emoji comment of a client that escapes every non-ASCII character', async () => {
    const text = JSON.stringify({ page: '/post', name: 'Ada', email: 'ada@example.com', body: '😀'.repeat(10_000) }).replace(
      /[\u0080-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    );
    expect(text.length).toBeGreaterThan(120_000);
    expect((await raw('POST', '/api/v1/sites/demo/comments', text)).status).toBe(201);
  });

  it('fits a settings edit with every list full and every character escaped', async () => {
    const host = (i: number) => `${String(i).padStart(2, '0')}${'h'.repeat(61)}.${'o'.repeat(63)}.${'s'.repeat(63)}.${'t'.repeat(49)}.example`;
    const patch = {
      origins: Array.from({ length: 50 }, (_, i) => `https://${host(i)}`.slice(0, 255)),
      moderation: 'first-time',
      blockedWords: Array.from({ length: 1000 }, (_, i) => String(i).padStart(4, '0') + 'ж'.repeat(96)),
      maxDepth: 20,
      limits: { nameMax: 100, bodyMax: 10_000 },
    };
    expect(patch.origins.every((o) => o.length === 255)).toBe(true);
    const text = escapeJson(patch);
    expect(text.length).toBeGreaterThan(REQUEST_BODY_LIMIT);
    expect(text.length).toBeLessThanOrEqual(SETTINGS_BODY_LIMIT);
    const r = await raw('PATCH', '/api/v1/sites/demo/settings', text, server.ownerToken);
    expect(r.status).toBe(200);
    expect(r.body.settings.blockedWords).toHaveLength(1000);
    expect(r.body.settings.origins).toHaveLength(50);
  });
});

describe('one byte more', () => {
  const expect413 = (r: Awaited<ReturnType<typeof raw>>, limit: number) => {
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 413, title: 'Payload Too Large', detail: `The request body is larger than ${limit} bytes.` });
  };
  const padded = (limit: number) => {
    const text = JSON.stringify({ page: '/post', name: 'Ada', email: 'ada@example.com', body: 'x' });
    return text.slice(0, -1) + ' '.repeat(limit + 1 - text.length) + '}';
  };

  it('refuses a comment body over the limit with a 413 problem, and stores nothing', async () => {
    const text = padded(REQUEST_BODY_LIMIT);
    expect(text.length).toBe(REQUEST_BODY_LIMIT + 1);
    expect413(await raw('POST', '/api/v1/sites/demo/comments', text), REQUEST_BODY_LIMIT);
    expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=/post')).body.comments).toEqual([]);
    // At the limit exactly, the same request goes through.
    expect((await raw('POST', '/api/v1/sites/demo/comments', padded(REQUEST_BODY_LIMIT - 1))).status).toBe(201);
  });

  it('gives the larger settings limit to the settings route only', async () => {
    expect413(await raw('PATCH', '/api/v1/sites/demo/settings', padded(SETTINGS_BODY_LIMIT), server.ownerToken), SETTINGS_BODY_LIMIT);
    expect413(await raw('PATCH', '/api/v1/sites/demo/moderation/pages', padded(REQUEST_BODY_LIMIT), server.ownerToken), REQUEST_BODY_LIMIT);
  });
});
