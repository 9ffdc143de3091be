// HTTP: the OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import * as s from './schemas';
import * as t from './transfer-schemas';
import * as p from './person-schemas';

type Schema = z.ZodType;
interface Op {
  /** The operationId, which generated clients name their functions after. */
  id: string;
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth?: 'bearer' | 'editToken';
  query?: z.ZodObject;
  body?: Schema;
  ok: number;
  response?: Schema;
  /** The media type of a success body that is not JSON. */
  media?: string;
  /** A request body that is a file, not JSON (the import's upload). */
  fileBody?: boolean;
  errors: number[];
}

const ops: Op[] = [
  { id: 'listComments', method: 'get', path: '/sites/{site}/comments', summary: 'Approved comments of a page, in thread order', query: s.listQuery, ok: 200, response: s.listResponse, errors: [400, 404, 429] },
  { id: 'postComment', method: 'post', path: '/sites/{site}/comments', summary: 'Post a comment', body: s.postCommentBody, ok: 201, response: s.postResponse, errors: [400, 403, 404, 409, 413, 415, 429] },
  { id: 'getFormToken', method: 'post', path: '/sites/{site}/form-token', summary: 'A signed time for the form', ok: 200, response: s.formTokenResponse, errors: [403, 404] },
  { id: 'countComments', method: 'get', path: '/sites/{site}/counts', summary: 'Approved comment counts of up to 100 pages', query: s.countsQuery, ok: 200, response: s.countsResponse, errors: [400, 404] },
  { id: 'commentFeed', method: 'get', path: '/sites/{site}/feed.atom', summary: 'Atom feed of newest approved comments', query: s.feedQuery, ok: 200, media: 'application/atom+xml', errors: [404] },
  { id: 'editComment', method: 'patch', path: '/comments/{id}', summary: "Edit one's own comment within the window", auth: 'editToken', body: s.editCommentBody, ok: 200, response: s.editResponse, errors: [400, 401, 403, 404] },
  { id: 'deleteComment', method: 'delete', path: '/comments/{id}', summary: "Delete one's own comment within the window", auth: 'editToken', ok: 204, errors: [401, 403, 404] },
  { id: 'reportComment', method: 'post', path: '/comments/{id}/reports', summary: 'Report a comment', body: s.reportBody, ok: 202, response: s.reportResponse, errors: [400, 403, 404, 409, 429] },
  { id: 'voteComment', method: 'post', path: '/comments/{id}/votes', summary: 'Vote on a comment (header Marginalia-Voter: the random key the widget keeps); 0 withdraws', body: s.voteBody, ok: 200, response: s.voteResponse, errors: [400, 403, 404, 429] },
  { id: 'featuredComments', method: 'get', path: '/sites/{site}/featured', summary: 'Comments moderators featured on a page (or the whole site), newest feature first', query: s.featuredQuery, ok: 200, response: s.featuredResponse, errors: [400, 404, 429] },
  { id: 'recentComments', method: 'get', path: '/sites/{site}/recent', summary: "Newest approved comments across the site's pages, for sidebars", query: s.recentQuery, ok: 200, response: s.recentResponse, errors: [400, 404, 429] },
  { id: 'liveStream', method: 'get', path: '/sites/{site}/stream', summary: "Server-Sent Events of a page's live updates: `comment` (a comment that became public), `update` ({id, …}: edited, removed, votes, featured), `reset` (reload), a heartbeat every 25 s; Last-Event-ID (or lastEventId) resumes", query: s.streamQuery, ok: 200, media: 'text/event-stream', errors: [400, 404, 429, 503] },
  { id: 'getAvatar', method: 'get', path: '/avatars/{file}', summary: 'Identicon SVG', ok: 200, media: 'image/svg+xml', errors: [404] },
  { id: 'getMe', method: 'get', path: '/me', summary: "The token's role and sites", auth: 'bearer', ok: 200, response: s.meResponse, errors: [401] },
  { id: 'moderationQueue', method: 'get', path: '/sites/{site}/moderation/comments', summary: 'Queue and search', auth: 'bearer', query: s.queueQuery, ok: 200, response: s.queueResponse, errors: [400, 401, 404] },
  { id: 'moderate', method: 'post', path: '/sites/{site}/moderation/actions', summary: 'Bulk moderation action', auth: 'bearer', body: s.actionBody, ok: 200, response: s.actionResponse, errors: [400, 401, 404] },
  { id: 'listPages', method: 'get', path: '/sites/{site}/moderation/pages', summary: 'Pages of a site', auth: 'bearer', query: s.pagesQuery, ok: 200, response: s.pagesResponse, errors: [400, 401, 404] },
  { id: 'changePage', method: 'patch', path: '/sites/{site}/moderation/pages', summary: "Close or open a page; set its title and URL (readers' posts then leave them alone)", auth: 'bearer', body: s.pagePatchBody, ok: 200, response: s.pageChangedResponse, errors: [400, 401, 404] },
  { id: 'listBans', method: 'get', path: '/sites/{site}/moderation/bans', summary: 'Bans', auth: 'bearer', ok: 200, response: s.bansResponse, errors: [401, 404] },
  { id: 'createBan', method: 'post', path: '/sites/{site}/moderation/bans', summary: 'Ban an e-mail, an IP hash or the author of a comment', auth: 'bearer', body: s.banBody, ok: 201, response: s.bansCreatedResponse, errors: [400, 401, 404] },
  { id: 'liftBan', method: 'delete', path: '/sites/{site}/moderation/bans/{id}', summary: 'Lift a ban', auth: 'bearer', ok: 204, errors: [401, 404] },
  { id: 'auditLog', method: 'get', path: '/sites/{site}/moderation/log', summary: 'Audit log', auth: 'bearer', query: s.logQuery, ok: 200, response: s.logResponse, errors: [400, 401, 404] },
  { id: 'getSettings', method: 'get', path: '/sites/{site}/settings', summary: 'Site settings (owner)', auth: 'bearer', ok: 200, response: s.settingsResponse, errors: [401, 403, 404] },
  { id: 'changeSettings', method: 'patch', path: '/sites/{site}/settings', summary: 'Change site settings (owner)', auth: 'bearer', body: s.settingsPatchBody, ok: 200, response: s.settingsResponse, errors: [400, 401, 403, 404] },
  { id: 'listSites', method: 'get', path: '/sites', summary: 'Sites the token covers, with comment counts, last activity and where the widget was seen', auth: 'bearer', ok: 200, response: s.siteListResponse, errors: [401] },
  { id: 'createSite', method: 'post', path: '/sites', summary: 'Create a site (owner token for all sites)', auth: 'bearer', body: s.siteCreateBody, ok: 201, response: s.siteResponse, errors: [400, 401, 403, 409, 413, 415] },
  { id: 'getSite', method: 'get', path: '/sites/{site}', summary: 'One site, with comment counts, last activity and where the widget was seen', auth: 'bearer', ok: 200, response: s.siteResponse, errors: [401, 404] },
  { id: 'listTokens', method: 'get', path: '/tokens', summary: 'Tokens (owner)', auth: 'bearer', ok: 200, response: s.tokensResponse, errors: [401, 403] },
  { id: 'createToken', method: 'post', path: '/tokens', summary: 'Create a token (owner); the secret is shown once', auth: 'bearer', body: s.tokenCreateBody, ok: 201, response: s.tokenCreatedResponse, errors: [400, 401, 403, 404] },
  { id: 'exportSite', method: 'get', path: '/sites/{site}/export', summary: "The site's Marginalia export (owner), streamed; e-mails in clear", auth: 'bearer', ok: 200, media: 'application/json', errors: [401, 403, 404, 501] },
  { id: 'startImport', method: 'post', path: '/sites/{site}/import', summary: 'Import a Disqus, WordPress or Marginalia export (owner): the file is the body; runs in the background', auth: 'bearer', query: t.importQuery, fileBody: true, ok: 202, response: t.importStartedResponse, errors: [400, 401, 403, 404, 413, 501] },
  { id: 'getImport', method: 'get', path: '/sites/{site}/imports/{id}', summary: "An import's state, progress and counts (owner)", auth: 'bearer', ok: 200, response: t.importStatusResponse, errors: [401, 403, 404] },
  { id: 'erasePerson', method: 'post', path: '/sites/{site}/moderation/erase', summary: "Erase every comment of an e-mail on the site: author, e-mail, website and body (owner)", auth: 'bearer', body: t.eraseBody, ok: 200, response: t.eraseResponse, errors: [400, 401, 403, 404, 501] },
  { id: 'personComments', method: 'post', path: '/sites/{site}/moderation/person', summary: "Every comment of the author of a comment on the site, in every status, newest first (the person is named by the comment, so their e-mail is in no URL)", auth: 'bearer', body: p.personBody, ok: 200, response: p.personResponse, errors: [400, 401, 404, 429] },
  { id: 'exportPerson', method: 'post', path: '/sites/{site}/moderation/person/export', summary: "The data-subject access export of the author of a comment: their comments on the site, e-mail in clear, as a JSON file; audited", auth: 'bearer', body: p.personExportBody, ok: 200, response: p.personExportResponse, errors: [400, 401, 404, 429, 501] },
  { id: 'mailFeatures', method: 'get', path: '/sites/{site}/notifications', summary: 'Whether the service sends mail (the widget shows its mail options then)', ok: 200, response: s.mailFeaturesResponse, errors: [404] },
  { id: 'requestMyComments', method: 'post', path: '/sites/{site}/my-comments', summary: 'Mail the address a link to the page of its comments (the same answer whether or not it has any)', body: s.myCommentsRequestBody, ok: 202, response: s.myCommentsRequestResponse, errors: [400, 403, 404, 429] },
  { id: 'listDeliveries', method: 'get', path: '/sites/{site}/deliveries', summary: 'Webhook and mail deliveries, newest first (owner)', auth: 'bearer', query: s.deliveriesQuery, ok: 200, response: s.deliveriesResponse, errors: [400, 401, 403, 404] },
  { id: 'resendDelivery', method: 'post', path: '/sites/{site}/deliveries/{id}/resend', summary: 'Send a finished delivery again, same delivery id (owner)', auth: 'bearer', ok: 202, response: s.resendResponse, errors: [401, 403, 404] },
  { id: 'revokeToken', method: 'delete', path: '/tokens/{id}', summary: 'Revoke a token (owner)', auth: 'bearer', ok: 204, errors: [401, 403, 404] },
];

type JsonSchema = Record<string, unknown>;

const toJson = (schema: Schema, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;

/**
 * The document's shared schemas. zod puts every schema with a `.meta({ id })` under the converted schema's own
 * `$defs`, where a `#/$defs/…` reference does not resolve inside an OpenAPI document; `add` moves them to
 * `components/schemas` and points the references there.
 */
class SharedSchemas {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly io = new Map<string, 'input' | 'output'>();

  add(schema: Schema, io: 'input' | 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...rest } = toJson(schema, io);
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const known = this.schemas[id];
      // One name, one shape: a schema used for requests and responses would differ in its defaults and transforms.
      if (known && (this.io.get(id) !== io || JSON.stringify(known) !== JSON.stringify(relink(def))))
        throw new Error(`OpenAPI: schema ${id} is used with two different shapes`);
      this.schemas[id] = relink(def) as JsonSchema;
      this.io.set(id, io);
    }
    return relink(rest) as JsonSchema;
  }
}

/** Rewrites zod's `#/$defs/X` references to `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? [k, `#/components/schemas/${v.slice('#/$defs/'.length)}`] : [k, relink(v)],
    ),
  );
}

export function buildOpenApi(serverUrl: string): Record<string, unknown> {
  const shared = new SharedSchemas();
  const problem = shared.add(s.problemSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const parameters: unknown[] = [];
    for (const m of op.path.matchAll(/\{(\w+)\}/g))
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) {
      const q = shared.add(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const content = op.response
      ? { 'application/json': { schema: shared.add(op.response, 'output') } }
      : op.media
        ? { [op.media]: { schema: { type: 'string' } } }
        : undefined;
    const responses: Record<string, unknown> = { [op.ok]: { description: 'Success', ...(content ? { content } : {}) } };
    for (const status of op.errors)
      responses[status] = { description: 'Problem', content: { 'application/problem+json': { schema: problem } } };
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      operationId: op.id,
      summary: op.summary,
      // An empty list says the operation needs no credential, rather than leaving it unsaid.
      security: op.auth ? [{ [op.auth]: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(op.fileBody ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: shared.add(op.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Marginalia API',
      version: '1.0.0',
      description: 'Comments and moderation.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    paths,
    components: {
      schemas: shared.schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Owner or moderator token' },
        editToken: { type: 'http', scheme: 'bearer', description: 'The edit token returned when the comment was posted' },
      },
    },
  };
}
