// HTTP: the OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import * as s from './schemas';

type Schema = z.ZodType;
interface Op {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth?: 'bearer' | 'editToken';
  query?: z.ZodObject;
  body?: Schema;
  ok: number;
  response?: Schema;
  errors: number[];
}

const ops: Op[] = [
  { method: 'get', path: '/sites/{site}/comments', summary: 'Approved comments of a page, in thread order', query: s.listQuery, ok: 200, response: s.listResponse, errors: [400, 404, 429] },
  { method: 'post', path: '/sites/{site}/comments', summary: 'Post a comment', body: s.postCommentBody, ok: 201, response: s.postResponse, errors: [400, 403, 404, 409, 413, 415, 429] },
  { method: 'post', path: '/sites/{site}/form-token', summary: 'A signed time for the form', ok: 200, response: s.formTokenResponse, errors: [403, 404] },
  { method: 'get', path: '/sites/{site}/counts', summary: 'Approved comment counts of up to 100 pages', query: s.countsQuery, ok: 200, response: s.countsResponse, errors: [400, 404] },
  { method: 'get', path: '/sites/{site}/feed.atom', summary: 'Atom feed of newest approved comments', query: s.feedQuery, ok: 200, errors: [404] },
  { method: 'patch', path: '/comments/{id}', summary: "Edit one's own comment within the window", auth: 'editToken', body: s.editCommentBody, ok: 200, response: s.editResponse, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/comments/{id}', summary: "Delete one's own comment within the window", auth: 'editToken', ok: 204, errors: [401, 403, 404] },
  { method: 'post', path: '/comments/{id}/reports', summary: 'Report a comment', body: s.reportBody, ok: 202, errors: [400, 403, 404, 409, 429] },
  { method: 'get', path: '/avatars/{file}', summary: 'Identicon SVG', ok: 200, errors: [404] },
  { method: 'get', path: '/me', summary: "The token's role and sites", auth: 'bearer', ok: 200, errors: [401] },
  { method: 'get', path: '/sites/{site}/moderation/comments', summary: 'Queue and search', auth: 'bearer', query: s.queueQuery, ok: 200, response: s.queueResponse, errors: [400, 401, 404] },
  { method: 'post', path: '/sites/{site}/moderation/actions', summary: 'Bulk moderation action', auth: 'bearer', body: s.actionBody, ok: 200, response: s.actionResponse, errors: [400, 401, 404] },
  { method: 'get', path: '/sites/{site}/moderation/pages', summary: 'Pages of a site', auth: 'bearer', query: s.pagesQuery, ok: 200, errors: [401, 404] },
  { method: 'patch', path: '/sites/{site}/moderation/pages', summary: 'Close or open a page', auth: 'bearer', body: s.pageCloseBody, ok: 200, errors: [400, 401, 404] },
  { method: 'get', path: '/sites/{site}/moderation/bans', summary: 'Bans', auth: 'bearer', ok: 200, errors: [401, 404] },
  { method: 'post', path: '/sites/{site}/moderation/bans', summary: 'Ban an e-mail, an IP hash or the author of a comment', auth: 'bearer', body: s.banBody, ok: 201, errors: [400, 401, 404] },
  { method: 'delete', path: '/sites/{site}/moderation/bans/{id}', summary: 'Lift a ban', auth: 'bearer', ok: 204, errors: [401, 404] },
  { method: 'get', path: '/sites/{site}/moderation/log', summary: 'Audit log', auth: 'bearer', query: s.logQuery, ok: 200, errors: [401, 404] },
  { method: 'get', path: '/sites/{site}/settings', summary: 'Site settings (owner)', auth: 'bearer', ok: 200, response: s.settingsResponse, errors: [401, 403, 404] },
  { method: 'patch', path: '/sites/{site}/settings', summary: 'Change site settings (owner)', auth: 'bearer', body: s.settingsPatchBody, ok: 200, response: s.settingsResponse, errors: [400, 401, 403, 404] },
  { method: 'get', path: '/sites', summary: 'Sites the token covers, with comment counts, last activity and where the widget was seen', auth: 'bearer', ok: 200, response: s.siteListResponse, errors: [401] },
  { method: 'post', path: '/sites', summary: 'Create a site (owner token for all sites)', auth: 'bearer', body: s.siteCreateBody, ok: 201, response: s.siteResponse, errors: [400, 401, 403, 409, 413, 415] },
  { method: 'get', path: '/sites/{site}', summary: 'One site, with comment counts, last activity and where the widget was seen', auth: 'bearer', ok: 200, response: s.siteResponse, errors: [401, 404] },
  { method: 'get', path: '/tokens', summary: 'Tokens (owner)', auth: 'bearer', ok: 200, errors: [401, 403] },
  { method: 'post', path: '/tokens', summary: 'Create a token (owner); the secret is shown once', auth: 'bearer', body: s.tokenCreateBody, ok: 201, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/tokens/{id}', summary: 'Revoke a token (owner)', auth: 'bearer', ok: 204, errors: [401, 403, 404] },
];

const json = (schema: Schema, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

function strip(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

export function buildOpenApi(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const parameters: unknown[] = [];
    for (const m of op.path.matchAll(/\{(\w+)\}/g))
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) {
      const q = strip(json(op.query, 'input')) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const responses: Record<string, unknown> = {
      [op.ok]: op.response
        ? { description: 'Success', content: { 'application/json': { schema: strip(json(op.response, 'output')) } } }
        : { description: 'Success' },
    };
    for (const status of op.errors)
      responses[status] = { description: 'Problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      summary: op.summary,
      ...(op.auth ? { security: [{ [op.auth]: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: strip(json(op.body, 'input')) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Marginalia API', version: '1.0.0', description: 'Comments and moderation.' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    paths,
    components: {
      schemas: { Problem: strip(json(s.problemSchema, 'output')) },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Owner or moderator token' },
        editToken: { type: 'http', scheme: 'bearer', description: 'The edit token returned when the comment was posted' },
      },
    },
  };
}
