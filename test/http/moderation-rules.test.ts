// Each automatic check of SPEC §4 firing on a real post, and the reason the moderator then sees.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { auditLog, expectProblem, moderated, post, publicList, rawQuery } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const formToken = async (site = 'demo') => (await call(server, 'POST', `/api/v1/sites/${site}/form-token`)).body.formToken as string;

/** Posts, then reads the stored status and reasons back through the moderation queue. */
async function postAndInspect(input: Record<string, unknown>) {
  const r = await post(server, input);
  expect(r.status).toBe(201);
  const c = await moderated(server, r.body.comment.id);
  return { response: r.body, status: c.status as string, reasons: c.reasons as { code: string; detail: string }[] };
}

const codes = (reasons: { code: string }[]) => reasons.map((r) => r.code);

describe('honeypot', () => {
  it('marks a post with the hidden field filled as spam, with reason honeypot', async () => {
    const { response, status, reasons } = await postAndInspect(commentInput({ hp: 'http://spam.example' }));
    expect(response.status).toBe('pending');
    expect(status).toBe('spam');
    expect(reasons).toEqual([{ code: 'honeypot', detail: expect.stringMatching(/honeypot/i) }]);
    expect((await publicList(server)).body.comments).toEqual([]);
  });

  it('ignores an empty or blank honeypot', async () => {
    expect((await postAndInspect(commentInput({ hp: '' }))).status).toBe('approved');
    expect((await postAndInspect(commentInput({ hp: '   ' }))).status).toBe('approved');
  });
});

describe('form token timing', () => {
  beforeEach(() => configure(server, { minSubmitSeconds: 3 }));

  it('marks a post sent sooner than minSubmitSeconds after its form token as spam (too_fast)', async () => {
    const { status, reasons } = await postAndInspect(commentInput({ formToken: await formToken() }));
    expect(status).toBe('spam');
    expect(codes(reasons)).toEqual(['too_fast']);
    expect(reasons[0].detail).toMatch(/minimum 3 s/);
  });

  it('approves a post whose form token was issued long enough ago', async () => {
    const old = server.services.comments.formToken('demo', Date.now() - 10_000);
    const { status, reasons } = await postAndInspect(commentInput({ formToken: old }));
    expect(status).toBe('approved');
    expect(reasons).toEqual([]);
  });

  it('holds a post without a form token as pending (form_token)', async () => {
    const { status, reasons } = await postAndInspect(commentInput());
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['form_token']);
  });

  it('holds a post with a forged, tampered or other-site form token as pending (form_token)', async () => {
    await server.services.sites.create({ id: 'site-b' }, Date.now());
    const genuine = server.services.comments.formToken('demo', Date.now() - 10_000);
    const [time, mac] = genuine.split('.');
    const tampered = `${(parseInt(time, 36) - 60_000).toString(36)}.${mac}`;
    const otherSite = server.services.comments.formToken('site-b', Date.now() - 10_000);
    for (const token of ['forged', 'abc.def', tampered, otherSite]) {
      const { status, reasons } = await postAndInspect(commentInput({ formToken: token }));
      expect({ token, status, codes: codes(reasons) }).toEqual({ token, status: 'pending', codes: ['form_token'] });
    }
  });

  it('turns the check off with minSubmitSeconds 0', async () => {
    await configure(server, { minSubmitSeconds: 0 });
    expect((await postAndInspect(commentInput())).status).toBe('approved');
    expect((await postAndInspect(commentInput({ formToken: await formToken() }))).status).toBe('approved');
  });
});

describe('links', () => {
  it('holds a comment with maxLinks or more links as pending (links)', async () => {
    const { status, reasons } = await postAndInspect(
      commentInput({ body: 'See [one](https://a.example) and https://b.example' }),
    );
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['links']);
    expect(reasons[0].detail).toMatch(/2 links/);
  });

  it('approves a comment with fewer links than maxLinks', async () => {
    expect((await postAndInspect(commentInput({ body: 'Just [one](https://a.example)' }))).status).toBe('approved');
  });

  it('follows the site maxLinks setting', async () => {
    await configure(server, { maxLinks: 4 });
    expect((await postAndInspect(commentInput({ body: 'https://a.example https://b.example https://c.example' }))).status).toBe('approved');
    const held = await postAndInspect(commentInput({ body: 'https://a.example https://b.example https://c.example https://d.example' }));
    expect(held.status).toBe('pending');
    expect(codes(held.reasons)).toEqual(['links']);
  });
});

describe('blocked words', () => {
  beforeEach(() => configure(server, { blockedWords: ['café', 'casino'] }));

  it.each([
    ['upper case without the accent', 'Meet me at the CAFE tonight'],
    ['with the accent, capitalised', 'Café au lait for everyone'],
    ['lower case without the accent', 'a cafe.'],
    ['decomposed accent (NFD)', 'the cafe\u0301 downstairs'],
    ['another listed word, mixed case', 'Visit our CaSiNo'],
  ])('holds a comment containing a blocked word (%s) as pending (blocked_word)', async (_label, body) => {
    const { status, reasons } = await postAndInspect(commentInput({ body }));
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['blocked_word']);
  });

  it.each([
    ['a longer word that starts with it', 'Lunch at the cafeteria'],
    ['a word that ends with it', 'the supercafe is closed'],
    ['a word that contains it', 'casinos'],
  ])('approves a comment where the blocked word is only part of %s', async (_label, body) => {
    const { status, reasons } = await postAndInspect(commentInput({ body }));
    expect(status).toBe('approved');
    expect(reasons).toEqual([]);
  });

  it('checks the author name too', async () => {
    const { status, reasons } = await postAndInspect(commentInput({ name: 'Casino Royale' }));
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['blocked_word']);
  });

  it('holds a blocked word hidden in a link target behind harmless link text', async () => {
    const { status, reasons } = await postAndInspect(commentInput({ body: 'Great [article](https://casino.example/offer), thanks' }));
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['blocked_word']);
    expect((await postAndInspect(commentInput({ body: 'See [this](https://bestcasinos.example/)' }))).status).toBe('approved');
  });

  it('matches an accented body against a blocked word listed without the accent', async () => {
    await configure(server, { blockedWords: ['cafe'] });
    expect((await postAndInspect(commentInput({ body: 'Un CAFÉ, merci' }))).status).toBe('pending');
  });
});

describe('refusals', () => {
  it('refuses a banned e-mail with 403', async () => {
    const ban = await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { email: 'troll@example.com' } });
    expect(ban.status).toBe(201);
    const r = await post(server, commentInput({ email: 'troll@example.com' }));
    expectProblem(r, 403);
    expect(JSON.stringify(r.body)).not.toContain('troll@example.com');
  });

  it('refuses a banned address with 403', async () => {
    const first = await post(server, commentInput());
    const ipHash = (await moderated(server, first.body.comment.id)).ipHash;
    expect((await call(server, 'POST', '/api/v1/sites/demo/moderation/bans', { token: server.ownerToken, body: { ipHash } })).status).toBe(201);
    expectProblem(await post(server, commentInput()), 403);
  });

  it('refuses the same body from the same author on the same page with 409', async () => {
    const input = commentInput({ body: 'Exactly this' });
    expect((await post(server, input)).status).toBe(201);
    const again = await post(server, input);
    expectProblem(again, 409);
    expect(again.body.type).toContain('duplicate');
    // Whitespace and case do not make it new.
    expectProblem(await post(server, { ...input, body: '  exactly   THIS ' }), 409);
    // Another page, or another author, is not a duplicate.
    expect((await post(server, { ...input, page: '/other' })).status).toBe(201);
    expect((await post(server, { ...input, email: 'someone-else@example.com' })).status).toBe(201);
  });

  it('refuses a second post from one address within floodSeconds with 429 and Retry-After', async () => {
    await configure(server, { floodSeconds: 10 });
    expect((await post(server, commentInput())).status).toBe(201);
    const r = await post(server, commentInput());
    expectProblem(r, 429);
    const retry = Number(r.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(10);
  });

  it('lets an address post again once floodSeconds have passed', async () => {
    await configure(server, { floodSeconds: 2 });
    expect((await post(server, commentInput())).status).toBe(201);
    expect((await post(server, commentInput())).status).toBe(429);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await post(server, commentInput())).status).toBe(201);
  });

  it('refuses a post to a closed page with 403', async () => {
    expect((await post(server, commentInput({ page: '/closed' }))).status).toBe(201);
    const close = await call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken, body: { page: '/closed', closed: true } });
    expect(close.status).toBe(200);
    const r = await post(server, commentInput({ page: '/closed' }));
    expectProblem(r, 403);
    expect(r.body.type).toContain('page-closed');
  });

  it('refuses a post to a page older than closeAfterDays with 403, and accepts one on a younger page', async () => {
    await configure(server, { closeAfterDays: 30 });
    expect((await post(server, commentInput({ page: '/old' }))).status).toBe(201);
    expect((await post(server, commentInput({ page: '/young' }))).status).toBe(201);
    const day = 86_400_000;
    await rawQuery(server, 'UPDATE pages SET created_at = ? WHERE key = ?', [Date.now() - 31 * day, '/old']);
    await rawQuery(server, 'UPDATE pages SET created_at = ? WHERE key = ?', [Date.now() - 29 * day, '/young']);
    expectProblem(await post(server, commentInput({ page: '/old' })), 403);
    expect((await post(server, commentInput({ page: '/young' }))).status).toBe(201);
    // 0 means never.
    await configure(server, { closeAfterDays: 0 });
    expect((await post(server, commentInput({ page: '/old' }))).status).toBe(201);
  });

  it('refuses a double submit even when both copies arrive at once', async () => {
    const input = commentInput({ body: 'Clicked twice' });
    const [a, b] = await Promise.all([post(server, input), post(server, input)]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect((await publicList(server)).body.comments).toHaveLength(1);
  });

  it('refuses a flood even when both posts arrive at once', async () => {
    await configure(server, { floodSeconds: 10 });
    const [a, b] = await Promise.all([post(server, commentInput()), post(server, commentInput())]);
    expect([a.status, b.status].sort()).toEqual([201, 429]);
  });

  it('stores nothing and audits nothing for a refused post', async () => {
    await configure(server, { floodSeconds: 10 });
    await post(server, commentInput());
    const before = await auditLog(server);
    expect((await post(server, commentInput())).status).toBe(429);
    expect(await auditLog(server)).toEqual(before);
  });
});

describe('moderation policy', () => {
  it('holds every comment as pending under policy all (policy_all)', async () => {
    await configure(server, { moderation: 'all' });
    const { status, reasons } = await postAndInspect(commentInput());
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['policy_all']);
    expect((await publicList(server)).body.comments).toEqual([]);
  });

  it('holds a first-time author as pending under policy first-time (first_time)', async () => {
    await configure(server, { moderation: 'first-time' });
    const { status, reasons } = await postAndInspect(commentInput());
    expect(status).toBe('pending');
    expect(codes(reasons)).toEqual(['first_time']);
  });

  it('approves at once under policy none, with no reasons', async () => {
    const { response, status, reasons } = await postAndInspect(commentInput());
    expect(response.status).toBe('approved');
    expect(status).toBe('approved');
    expect(reasons).toEqual([]);
    expect((await publicList(server)).body.comments).toHaveLength(1);
  });
});

describe('several checks at once', () => {
  it('records every reason that fired and takes the most severe status', async () => {
    await configure(server, { moderation: 'first-time', blockedWords: ['casino'] });
    const { status, reasons } = await postAndInspect(
      commentInput({ hp: 'bot', body: 'casino https://a.example https://b.example' }),
    );
    expect(status).toBe('spam');
    expect(codes(reasons).sort()).toEqual(['blocked_word', 'first_time', 'honeypot', 'links']);
  });

  it('writes the reasons into the creation audit row', async () => {
    await configure(server, { moderation: 'all' });
    const r = await post(server, commentInput({ body: 'https://a.example https://b.example' }));
    const rows = await auditLog(server, { commentId: r.body.comment.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'create', actor: { type: 'system' }, from: null, to: 'pending' });
    expect(rows[0].reason).toContain('links');
    expect(rows[0].reason).toContain('policy_all');
  });
});
