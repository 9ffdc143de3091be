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
});
