import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

describe('POST /sites/:site/comments', () => {
  it('publishes a comment at once when the site does not moderate', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body: 'Hello **world**' }) });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('approved');
    expect(r.body.comment.html).toBe('<p>Hello <strong>world</strong></p>');
    expect(r.body.editToken).toMatch(/^et_/);
    const list = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/post');
    expect(list.body.comments.map((c: any) => c.id)).toEqual([r.body.comment.id]);
    expect(list.body.page.commentCount).toBe(1);
  });

  it.each([
    ['-', '<p>-</p>'],
    ['*', '<p>*</p>'],
    ['+', '<p>+</p>'],
    ['1.', '<p>1.</p>'],
    ['>', '<p>&gt;</p>'],
    ['[]()', '<p>[]()</p>'],
    ['- \n-', '<p>-<br />\n-</p>'],
    ['```\n```', '<p>```<br />\n```</p>'],
    ['&nbsp;', '<p>&amp;nbsp;</p>'],
    ['>\n\n-', '<p>&gt;</p>\n<p>-</p>'],
  ])('accepts %j, Markdown that renders to nothing visible, and shows it as the literal text', async (body, html) => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body }) });
    expect(r.status).toBe(201);
    expect(r.body.comment.html).toBe(html);
    const list = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/post');
    expect(list.body.comments.map((c: { html: string }) => c.html)).toEqual([html]);
  });

  it('shows an edit to such a body as its literal text too', async () => {
    const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body: 'First words' }) });
    const edit = await call(server, 'PATCH', `/api/v1/comments/${r.body.comment.id}`, { token: r.body.editToken, body: { body: '>' } });
    expect(edit.status).toBe(200);
    expect(edit.body.comment.html).toBe('<p>&gt;</p>');
  });

  it('still refuses a body that is blank after trimming, with 400 naming body', async () => {
    for (const body of ['', '   ', '\n\t\n', '\u200b\u00a0']) {
      const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ body }) });
      expect({ body, status: r.status, errors: r.body.errors }).toEqual({ body, status: 400, errors: [{ path: 'body', code: 'required', message: 'is required' }] });
    }
  });
});
