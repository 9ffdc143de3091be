// Import and export over HTTP, for owners who never open a terminal: a streamed upload imported in the background
// with progress, and the site's export streamed back.
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/api';
import { createToken, expectProblem, publicList } from '../helpers/moderation';
import { exportText, withoutTime } from '../helpers/transfer';
import { fixtureText } from '../helpers/imports';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.stop());

const upload = (format: string, body: string, token = server.ownerToken, site = 'demo') =>
  fetch(`${server.baseUrl}/api/v1/sites/${site}/import?format=${format}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': format === 'json' ? 'application/json' : 'application/xml' },
    body,
  }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as any }));

async function finished(id: string, site = 'demo') {
  for (let i = 0; i < 200; i++) {
    const r = await call(server, 'GET', `/api/v1/sites/${site}/imports/${id}`, { token: server.ownerToken });
    if (r.body.state !== 'running') return r.body;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('import did not finish');
}

it('imports an uploaded Disqus export in the background and reports counts; readers see it at once', async () => {
  expect((await publicList(server, '/2019/hello-world/')).body.comments).toEqual([]);
  const r = await upload('disqus', fixtureText('disqus.xml'));
  expect(r.status).toBe(202);
  expect(r.body.import).toMatchObject({ id: expect.stringMatching(/^imp_/), state: 'running', format: 'disqus' });
  expect(r.headers.get('location')).toBe(`/api/v1/sites/demo/imports/${r.body.import.id}`);
  const job = await finished(r.body.import.id);
  expect(job).toMatchObject({ state: 'done', progress: { phase: 'done' }, counts: { imported: 10, alreadyThere: 0, newPages: 3, warningCount: 1 } });
  expect(job.finishedAt).toEqual(expect.any(String));
  expect((await publicList(server, '/2019/hello-world/')).body.comments).toHaveLength(7);
  const again = await finished((await upload('disqus', fixtureText('disqus.xml'))).body.import.id);
  expect(again.counts).toMatchObject({ imported: 0, alreadyThere: 10 });
});

it('WordPress too; a broken file fails the job with where, and changes nothing', async () => {
  const wp = await finished((await upload('wordpress', fixtureText('wxr-1.2.xml'))).body.import.id);
  expect(wp.counts).toMatchObject({ imported: 8, skipped: { pingback: 1, trackback: 1 } });
  const before = await exportText(server.services);
  const text = fixtureText('disqus.xml');
  const broken = await finished((await upload('disqus', text.slice(0, text.length / 2))).body.import.id);
  expect(broken.state).toBe('failed');
  expect(broken.error).toMatch(/^line \d+, column \d+: the XML is not well-formed/);
  expect(broken.counts).toBeNull();
  expect(withoutTime(await exportText(server.services))).toBe(withoutTime(before));
});

it('streams the site export, which imports back as json and holds only that site', async () => {
  await finished((await upload('disqus', fixtureText('disqus.xml'))).body.import.id);
  await server.services.sites.create({ id: 'other', name: 'Other' }, Date.now());
  const res = await fetch(`${server.baseUrl}/api/v1/sites/demo/export`, { headers: { authorization: `Bearer ${server.ownerToken}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="marginalia-demo-\d{4}-\d{2}-\d{2}\.json"$/);
  const text = await res.text();
  const doc = JSON.parse(text);
  expect(doc.sites.map((s: any) => s.id)).toEqual(['demo']);
  expect(doc.sites[0].comments).toHaveLength(10);
  expect(withoutTime(text)).toBe(withoutTime(await exportText(server.services, { siteId: 'demo' })));
  // Imported as json into another site's upload, it is refused: an owner of one site imports into that site only.
  const other = await finished((await upload('json', text, server.ownerToken, 'other')).body.import.id, 'other');
  expect(other).toMatchObject({ state: 'failed', error: 'sites[0].id: the file holds site demo; this import is for site other' });
  const same = await finished((await upload('json', text)).body.import.id);
  expect(same).toMatchObject({ state: 'done', counts: { imported: 0, alreadyThere: 10 } });
});

it('only owners of the site; a missing format, an empty body and an unknown import are clear problems', async () => {
  const moderator = await createToken(server, { role: 'moderator', site: 'demo' });
  const r = await upload('disqus', fixtureText('disqus.xml'), moderator.secret);
  expect(r.status).toBe(403);
  expectProblem(await call(server, 'GET', '/api/v1/sites/demo/export', { token: moderator.secret }), 403);
  expectProblem(await call(server, 'GET', '/api/v1/sites/demo/export'), 401);
  await server.services.sites.create({ id: 'other', name: 'Other' }, Date.now());
  const scoped = await createToken(server, { role: 'owner', site: 'other' });
  expect((await upload('disqus', '<disqus/>', scoped.secret)).status).toBe(404);
  const noFormat = await upload('csv', 'a,b');
  expect(noFormat.status).toBe(400);
  expect(noFormat.body.errors).toEqual([expect.objectContaining({ path: 'format' })]);
  const empty = await upload('disqus', '');
  expect(empty.status).toBe(400);
  expect(empty.body.errors).toEqual([expect.objectContaining({ path: 'body', code: 'required' })]);
  expectProblem(await call(server, 'GET', '/api/v1/sites/demo/imports/imp_nope', { token: server.ownerToken }), 404);
  const job = (await upload('disqus', fixtureText('disqus.xml'))).body.import.id;
  await finished(job);
  expectProblem(await call(server, 'GET', `/api/v1/sites/other/imports/${job}`, { token: server.ownerToken }), 404);
});
