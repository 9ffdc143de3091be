// The served OpenAPI document tells the truth: every JSON answer of a real server, success or problem, is valid
// against the schema the document gives for its path, method and status (no undocumented field either).
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting, type ApiResponse } from '../helpers/api';
import { createToken } from '../helpers/moderation';

let server: TestServer;
let doc: any;
const validators = new Map<string, ValidateFunction>();
const BASE = 'https://marginalia.test/openapi.json';

beforeAll(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'first-time' });
  doc = (await call(server, 'GET', '/api/v1/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  // The whole document under one id, so that its `#/components/schemas/…` references resolve inside it.
  ajv.addSchema({ $id: BASE, components: doc.components });
  for (const [path, item] of Object.entries<any>(doc.paths))
    for (const [method, op] of Object.entries<any>(item))
      for (const [status, r] of Object.entries<any>(op.responses))
        for (const [type, media] of Object.entries<any>(r.content ?? {}))
          if (/json$/.test(type)) {
            const schema = media.schema.$ref ? { $ref: BASE + media.schema.$ref } : media.schema;
            validators.set(`${method.toUpperCase()} ${path} ${status}`, ajv.compile(schema));
          }
});
afterAll(() => server.stop());

const checked = new Set<string>();
/** Asserts the answer is documented for this operation and status, and matches its schema. */
function conforms(method: string, template: string, r: ApiResponse): ApiResponse {
  const key = `${method} ${template} ${r.status}`;
  const validate = validators.get(key);
  expect({ key, documented: validate !== undefined }).toEqual({ key, documented: true });
  const ok = validate!(r.body);
  expect({ key, errors: ok ? null : validate!.errors }).toEqual({ key, errors: null });
  checked.add(key);
  return r;
}

it('every JSON answer of the reader API matches the document', async () => {
  const site = '/api/v1/sites/demo';
  const token = conforms('POST', '/sites/{site}/form-token', await call(server, 'POST', `${site}/form-token`)).body.formToken;
  const posted = conforms('POST', '/sites/{site}/comments', await call(server, 'POST', `${site}/comments`, {
    body: commentInput({ page: '/p', pageTitle: 'P', pageUrl: `${server.baseUrl}/p`, website: 'https://ada.example', formToken: token }),
  })).body;
  await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', { token: server.ownerToken, body: { action: 'approve', ids: [posted.comment.id] } });
  const reply = conforms('POST', '/sites/{site}/comments', await call(server, 'POST', `${site}/comments`, {
    body: commentInput({ page: '/p', parentId: posted.comment.id }),
  })).body;
  conforms('GET', '/sites/{site}/comments', await call(server, 'GET', `${site}/comments?page=/p`));
  conforms('GET', '/sites/{site}/comments', await call(server, 'GET', `${site}/comments?page=/never-commented`));
  conforms('GET', '/sites/{site}/counts', await call(server, 'GET', `${site}/counts?page=/p&page=/q`));
  conforms('PATCH', '/comments/{id}', await call(server, 'PATCH', `/api/v1/comments/${reply.comment.id}`, { token: reply.editToken, body: { body: 'Edited' } }));
  conforms('POST', '/comments/{id}/reports', await call(server, 'POST', `/api/v1/comments/${posted.comment.id}/reports`, { body: { reason: 'spam' } }));
  conforms('POST', '/comments/{id}/votes', await call(server, 'POST', `/api/v1/comments/${posted.comment.id}/votes`, { body: { value: 1 }, headers: { 'marginalia-voter': 'contract-voter-key-0001' } }));
  conforms('POST', '/comments/{id}/votes', await call(server, 'POST', `/api/v1/comments/${posted.comment.id}/votes`, { body: { value: -1 }, headers: { 'marginalia-voter': 'contract-voter-key-0001' } }));
  conforms('GET', '/sites/{site}/comments', await call(server, 'GET', `${site}/comments?page=/p&sort=best`));
  conforms('GET', '/sites/{site}/featured', await call(server, 'GET', `${site}/featured?page=/p`));
  conforms('GET', '/sites/{site}/recent', await call(server, 'GET', `${site}/recent?limit=5`));
  // Problems.
  conforms('POST', '/sites/{site}/comments', await call(server, 'POST', `${site}/comments`, { body: { page: '/p', email: 'no' } }));
  conforms('POST', '/sites/{site}/comments', await call(server, 'POST', `${site}/comments`, { body: commentInput(), origin: 'https://evil.example' }));
  conforms('GET', '/sites/{site}/comments', await call(server, 'GET', '/api/v1/sites/nope/comments?page=/p'));
  conforms('PATCH', '/comments/{id}', await call(server, 'PATCH', `/api/v1/comments/${reply.comment.id}`, { token: 'et_wrong', body: { body: 'x' } }));
  conforms('POST', '/comments/{id}/reports', await call(server, 'POST', `/api/v1/comments/${posted.comment.id}/reports`, { body: { reason: 'spam' } }));
});

it('every JSON answer of the moderation API matches the document', async () => {
  const owner = { token: server.ownerToken };
  const mod = '/api/v1/sites/demo/moderation';
  const c = (await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/m' }) })).body.comment;
  conforms('GET', '/me', await call(server, 'GET', '/api/v1/me', owner));
  conforms('GET', '/sites/{site}/moderation/comments', await call(server, 'GET', `${mod}/comments?status=all`, owner));
  conforms('POST', '/sites/{site}/moderation/actions', await call(server, 'POST', `${mod}/actions`, { ...owner, body: { action: 'approve', ids: [c.id, 'c_01M8HD66P9NNTND3SZ330QDVSX'] } }));
  conforms('PATCH', '/sites/{site}/moderation/pages', await call(server, 'PATCH', `${mod}/pages`, { ...owner, body: { page: '/m', title: 'M', closed: true } }));
  conforms('GET', '/sites/{site}/moderation/pages', await call(server, 'GET', `${mod}/pages`, owner));
  conforms('POST', '/sites/{site}/moderation/bans', await call(server, 'POST', `${mod}/bans`, { ...owner, body: { commentId: c.id, reason: 'test' } }));
  conforms('GET', '/sites/{site}/moderation/bans', await call(server, 'GET', `${mod}/bans`, owner));
  conforms('GET', '/sites/{site}/moderation/log', await call(server, 'GET', `${mod}/log`, owner));
  conforms('GET', '/sites/{site}/settings', await call(server, 'GET', '/api/v1/sites/demo/settings', owner));
  conforms('PATCH', '/sites/{site}/settings', await call(server, 'PATCH', '/api/v1/sites/demo/settings', { ...owner, body: { maxLinks: 3 } }));
  conforms('POST', '/tokens', await call(server, 'POST', '/api/v1/tokens', { ...owner, body: { role: 'moderator', site: 'demo', label: 'x' } }));
  conforms('GET', '/tokens', await call(server, 'GET', '/api/v1/tokens', owner));
  conforms('POST', '/sites/{site}/moderation/person', await call(server, 'POST', `${mod}/person`, { ...owner, body: { commentId: c.id } }));
  conforms('POST', '/sites/{site}/moderation/person', await call(server, 'POST', `${mod}/person`, { ...owner, body: { commentId: 'nope' } }));
  conforms('POST', '/sites/{site}/moderation/person/export', await call(server, 'POST', `${mod}/person/export`, { ...owner, body: { commentId: c.id } }));
  conforms('POST', '/sites/{site}/moderation/erase', await call(server, 'POST', `${mod}/erase`, { ...owner, body: { email: 'nobody@example.com' } }));
  conforms('POST', '/sites/{site}/moderation/erase', await call(server, 'POST', `${mod}/erase`, { ...owner, body: { email: 'nope' } }));
  const started = await fetch(`${server.baseUrl}/api/v1/sites/demo/import?format=disqus`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.ownerToken}`, 'content-type': 'application/xml' },
    body: '<disqus xmlns="http://disqus.com"></disqus>',
  });
  const startedBody: any = await started.json();
  conforms('POST', '/sites/{site}/import', { status: started.status, headers: started.headers, body: startedBody, text: JSON.stringify(startedBody) });
  conforms('GET', '/sites/{site}/imports/{id}', await call(server, 'GET', `/api/v1/sites/demo/imports/${startedBody.import.id}`, owner));
  // Problems.
  const moderator = await createToken(server, { role: 'moderator', site: 'demo' });
  conforms('GET', '/me', await call(server, 'GET', '/api/v1/me', { token: 'mt_wrong' }));
  conforms('GET', '/sites/{site}/settings', await call(server, 'GET', '/api/v1/sites/demo/settings', { token: moderator.secret }));
  conforms('PATCH', '/sites/{site}/moderation/pages', await call(server, 'PATCH', `${mod}/pages`, { ...owner, body: { page: '/m', url: 'https://evil.example/' } }));
  conforms('GET', '/sites/{site}/moderation/comments', await call(server, 'GET', '/api/v1/sites/nope/moderation/comments', owner));
  expect(checked.size).toBeGreaterThanOrEqual(25);
});
