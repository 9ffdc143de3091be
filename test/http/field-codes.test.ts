// Every field error carries a stable code a client can translate, and the OpenAPI document lists them all.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { fieldErrorCodes } from '../../src/domain/errors';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
  await configure(server, { ...fastPosting, limits: { nameMax: 40 } });
});
afterAll(() => server.stop());

const post = (body: Record<string, unknown>) => call(server, 'POST', '/api/v1/sites/demo/comments', { body });
const errorsOf = (r: { body: { errors?: unknown[] } }) => r.body.errors ?? [];

describe('field error codes', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a missing field', { name: undefined }, { path: 'name', code: 'required' }],
    ['a blank body', { body: ' \n ' }, { path: 'body', code: 'required' }],
    ['a body over 10,000 characters', { body: 'x'.repeat(10_001) }, { path: 'body', code: 'too_long', limit: 10_000 }],
    ['an invalid e-mail', { email: 'ada@' }, { path: 'email', code: 'invalid_email' }],
    ['an e-mail over 254 characters', { email: `${'a'.repeat(250)}@example.com` }, { path: 'email', code: 'too_long', limit: 254 }],
    ['a javascript: website', { website: 'javascript:alert(1)' }, { path: 'website', code: 'invalid_url' }],
    ['a control character', { name: 'Ada\u0007' }, { path: 'name', code: 'control_characters' }],
    ['a lone surrogate', { body: 'half \ud83d pair' }, { path: 'body', code: 'invalid_text' }],
    ['a direction override', { name: 'Ada\u202e' }, { path: 'name', code: 'direction_override' }],
    ['a field the API does not take', { admin: true }, { path: 'admin', code: 'unknown_field' }],
    ['a number where text goes', { name: 42 }, { path: 'name', code: 'invalid_type' }],
    ['a malformed parent id', { parentId: 'nope' }, { path: 'parentId', code: 'invalid_format' }],
  ])('names %s with its code beside the message', async (_label, over, want) => {
    const r = await post(commentInput(over));
    expect(r.status).toBe(400);
    expect(errorsOf(r)).toEqual([{ ...want, message: expect.any(String) }]);
  });

  it("gives the site's own lower limit as too_long with that limit", async () => {
    const r = await post(commentInput({ name: 'n'.repeat(41) }));
    expect(errorsOf(r)).toEqual([{ path: 'name', code: 'too_long', message: 'must be at most 40 characters', limit: 40 }]);
  });

  it('gives codes on moderation routes too', async () => {
    const report = await call(server, 'POST', '/api/v1/sites/demo/moderation/actions', {
      token: server.ownerToken,
      body: { action: 'approve', ids: [] },
    });
    expect(errorsOf(report)).toEqual([{ path: 'ids', code: 'too_few', limit: 1, message: 'give at least one id' }]);
    const settings = await call(server, 'PATCH', '/api/v1/sites/demo/settings', { token: server.ownerToken, body: { maxLinks: 1000, moderation: 'some' } });
    expect(errorsOf(settings)).toEqual([
      { path: 'moderation', code: 'invalid_value', message: expect.any(String) },
      { path: 'maxLinks', code: 'out_of_range', limit: 100, message: 'must be from 0 to 100' },
    ]);
  });
});

describe('the OpenAPI document', () => {
  /** Every schema object in the document that describes a field error (wherever its $refs put it). */
  function fieldErrorSchemas(node: unknown, found: Record<string, any>[] = []): Record<string, any>[] {
    if (node && typeof node === 'object') {
      const o = node as Record<string, any>;
      if (o.properties?.code?.enum && o.properties?.path && o.properties?.message) found.push(o);
      for (const v of Object.values(o)) fieldErrorSchemas(v, found);
    }
    return found;
  }

  it('lists every field error code the service gives, with path, code and message required', async () => {
    const doc = (await call(server, 'GET', '/api/v1/openapi.json')).body;
    const schemas = fieldErrorSchemas(doc);
    expect(schemas.length).toBeGreaterThan(0);
    for (const s of schemas) {
      expect([...s.properties.code.enum].sort()).toEqual([...fieldErrorCodes].sort());
      expect(s.required).toEqual(expect.arrayContaining(['path', 'code', 'message']));
    }
  });
});
