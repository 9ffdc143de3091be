// A page belongs to its site: its URL must be on one of the site's origins, and moderators have the last word on
// its title and URL.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { createToken, expectProblem, post, publicList } from '../helpers/moderation';

const BLOG = 'https://blog.example';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none', origins: [BLOG] });
});
afterEach(() => server.stop());

const fromBlog = (input: Record<string, unknown>, site = 'demo') =>
  call(server, 'POST', `/api/v1/sites/${site}/comments`, { body: input, origin: BLOG });
const patchPage = (body: Record<string, unknown>, token = server.ownerToken) =>
  call(server, 'PATCH', '/api/v1/sites/demo/moderation/pages', { token, body });
const feed = (page: string) => call(server, 'GET', `/api/v1/sites/demo/feed.atom?page=${encodeURIComponent(page)}`);

describe('the page URL a post gives', () => {
  it('is accepted on one of the site origins, with a path and query of any shape', async () => {
    const r = await fromBlog(commentInput({ page: '/a', pageUrl: `${BLOG}/2026/a?ref=home#top`, pageTitle: 'Article A' }));
    expect(r.status).toBe(201);
    expect((await publicList(server, '/a')).body.page).toMatchObject({ title: 'Article A', url: `${BLOG}/2026/a?ref=home#top` });
  });

  it.each([
    ['another host', 'https://evil.example/a'],
    ['a subdomain of the site', 'https://www.blog.example/a'],
    ['the site host over plain http', 'http://blog.example/a'],
    ['the site host on another port', 'https://blog.example:8443/a'],
    ['credentials that make another host look like the site', 'https://blog.example@evil.example/a'],
  ])('is refused on %s (400 naming pageUrl), and nothing is stored', async (_what, pageUrl) => {
    const r = await fromBlog(commentInput({ page: '/a', pageUrl, pageTitle: 'Article A' }));
    expectProblem(r, 400);
    expect(r.body.errors).toEqual([{ path: 'pageUrl', code: 'off_site', message: "must be on one of the site's origins" }]);
    expect((await publicList(server, '/a')).body).toMatchObject({ comments: [], page: { title: null, url: null, commentCount: 0 } });
    const pages = await call(server, 'GET', '/api/v1/sites/demo/moderation/pages', { token: server.ownerToken });
    expect(pages.body.items).toEqual([]);
  });

  it.each(['javascript:alert(1)', 'ftp://blog.example/a', 'data:text/html,<b>x</b>', '/relative/path'])(
    'is refused in another scheme or form: %s (400 naming pageUrl)',
    async (pageUrl) => {
      const r = await fromBlog(commentInput({ page: '/a', pageUrl }));
      expectProblem(r, 400);
      expect(r.body.errors.map((e: any) => e.path)).toEqual(['pageUrl']);
    },
  );

  it("on site demo, is accepted on the service's own origin, where the demo page is", async () => {
    const r = await post(server, commentInput({ page: '/', pageUrl: `${server.baseUrl}/`, pageTitle: 'Demo' }));
    expect(r.status).toBe(201);
    expect((await publicList(server, '/')).body.page).toMatchObject({ title: 'Demo', url: `${server.baseUrl}/` });
  });

  it("on any other site, is refused on the service's own origin", async () => {
    await server.services.sites.create({ id: 'blog', settings: { ...fastPosting, moderation: 'none', origins: [BLOG] } }, Date.now());
    const r = await fromBlog(commentInput({ page: '/a', pageUrl: `${server.baseUrl}/a` }), 'blog');
    expectProblem(r, 400);
    expect(r.body.errors[0].path).toBe('pageUrl');
    expect((await fromBlog(commentInput({ page: '/a', pageUrl: `${BLOG}/a` }), 'blog')).status).toBe(201);
  });
});

describe('which post names a page', () => {
  it('is the first one that gives a title or URL; later posts fill in only what is missing', async () => {
    await fromBlog(commentInput({ page: '/a', pageTitle: 'First title' }));
    await fromBlog(commentInput({ page: '/a', pageTitle: 'Second title', pageUrl: `${BLOG}/a` }));
    await fromBlog(commentInput({ page: '/a', pageTitle: 'Third title', pageUrl: `${BLOG}/elsewhere` }));
    expect((await publicList(server, '/a')).body.page).toMatchObject({ title: 'First title', url: `${BLOG}/a` });
  });

  it('is never a post judged spam', async () => {
    const spam = await fromBlog(commentInput({ page: '/a', pageTitle: 'Buy now', pageUrl: `${BLOG}/buy`, hp: 'filled by a bot' }));
    expect(spam.status).toBe(201);
    await fromBlog(commentInput({ page: '/a', pageTitle: 'The real title', pageUrl: `${BLOG}/a` }));
    expect((await publicList(server, '/a')).body.page).toMatchObject({ title: 'The real title', url: `${BLOG}/a` });
  });
});

describe('a moderator fixing a page title and URL', () => {
  it('replaces what the first post said; later posts no longer change it; the thread and the feed show it', async () => {
    await fromBlog(commentInput({ page: '/a', pageTitle: 'Typed by a stranger', pageUrl: `${BLOG}/not-the-article`, body: 'First!' }));
    const fixed = await patchPage({ page: '/a', title: 'The Greenway Opens', url: `${BLOG}/2026/greenway` });
    expect(fixed.status).toBe(200);
    expect(fixed.body.page).toMatchObject({ key: '/a', title: 'The Greenway Opens', url: `${BLOG}/2026/greenway`, closed: false, metadataLocked: true, approvedCount: 1 });

    // A reader's post with its own title and URL, on a page that now has them.
    expect((await fromBlog(commentInput({ page: '/a', pageTitle: 'Hijacked', pageUrl: `${BLOG}/hijacked` }))).status).toBe(201);
    // And on a page whose URL a moderator cleared: readers do not fill it in again.
    await patchPage({ page: '/a', url: null });
    expect((await fromBlog(commentInput({ page: '/a', pageUrl: `${BLOG}/hijacked` }))).status).toBe(201);

    const thread = await publicList(server, '/a');
    expect(thread.body.page).toEqual({ key: '/a', title: 'The Greenway Opens', url: null, closed: false, commentCount: 3 });
    await patchPage({ page: '/a', url: `${BLOG}/2026/greenway` });
    const atom = await feed('/a');
    expect(atom.text).toContain('<title>Comments on The Greenway Opens</title>');
    expect(atom.text).toContain(`href="${BLOG}/2026/greenway#comment-`);
    expect(atom.text).not.toMatch(/Hijacked|hijacked|stranger|not-the-article/);
    const recent = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=approved', { token: server.ownerToken });
    expect(new Set(recent.body.items.map((c: any) => c.page.title))).toEqual(new Set(['The Greenway Opens']));
  });

  it('can name a page before its first comment, and a moderator of the site may do it', async () => {
    const mod = await createToken(server, { role: 'moderator', site: 'demo' });
    const r = await patchPage({ page: '/soon', title: 'Coming soon', url: `${BLOG}/soon` }, mod.secret);
    expect(r.status).toBe(200);
    expect(r.body.page).toMatchObject({ key: '/soon', title: 'Coming soon', closed: false, metadataLocked: true, approvedCount: 0 });
    await fromBlog(commentInput({ page: '/soon', pageTitle: 'First!!!', pageUrl: `${BLOG}/spoof` }));
    expect((await publicList(server, '/soon')).body.page).toMatchObject({ title: 'Coming soon', url: `${BLOG}/soon` });
  });

  it('leaves what it is not given alone: closing keeps the title, a title keeps the page open or closed', async () => {
    await patchPage({ page: '/a', title: 'Kept' });
    const closed = await patchPage({ page: '/a', closed: true });
    expect(closed.body.page).toMatchObject({ title: 'Kept', url: null, closed: true, metadataLocked: true });
    const retitled = await patchPage({ page: '/a', title: 'Renamed' });
    expect(retitled.body.page).toMatchObject({ title: 'Renamed', closed: true });
    // Closing alone does not take the naming away from readers.
    await patchPage({ page: '/b', closed: false });
    await fromBlog(commentInput({ page: '/b', pageTitle: 'Named by a reader' }));
    expect((await publicList(server, '/b')).body.page.title).toBe('Named by a reader');
  });

  it.each([
    ['a URL off the site origins', { page: '/a', url: 'https://evil.example/a' }, 'url'],
    ['a URL in another scheme', { page: '/a', url: 'javascript:alert(1)' }, 'url'],
    ['a title with control characters', { page: '/a', title: 'Bad\u0007title' }, 'title'],
    ['a title over 300 characters', { page: '/a', title: 'x'.repeat(301) }, 'title'],
    ['nothing to change', { page: '/a' }, 'closed'],
    ['an unknown field', { page: '/a', title: 'T', author: 'x' }, 'author'],
  ])('refuses %s with 400 naming the field, changing nothing', async (_what, body, field) => {
    await fromBlog(commentInput({ page: '/a', pageTitle: 'Original', pageUrl: `${BLOG}/a` }));
    const r = await patchPage(body);
    expectProblem(r, 400);
    expect(r.body.errors.map((e: any) => e.path)).toContain(field);
    expect((await publicList(server, '/a')).body.page).toMatchObject({ title: 'Original', url: `${BLOG}/a` });
  });

  it('escapes a title in the feed like any text', async () => {
    await patchPage({ page: '/a', title: '<script>alert("x")</script> & more' });
    await fromBlog(commentInput({ page: '/a' }));
    const atom = await feed('/a');
    expect(atom.text).toContain('<title>Comments on &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</title>');
    expect(atom.text).not.toContain('<script>');
  });
});
