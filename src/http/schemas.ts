// HTTP: the zod schemas that validate requests, type responses and generate the OpenAPI document.
import { z } from 'zod';
import { charLength, hasBidiControls, hasControlCharacters, hasLineBreaks, hasLoneSurrogate, isInvisible, normaliseText } from '../domain/text';
import { fieldErrorCodes, type FieldErrorCode } from '../domain/errors';
import { commentStatuses } from '../domain/types';
import { moderationActions } from '../domain/moderation';
import { moderationPolicies, siteSettingsPatchSchema, siteSettingsSchema, votePolicies } from '../domain/settings';
import { newSiteSchema } from '../domain/sites';

/** A custom zod issue carrying its field-error code (src/http/problem.ts reads it back). */
const issue = (code: FieldErrorCode, message: string, limit?: number) =>
  ({ code: 'custom', message, params: { code, ...(limit === undefined ? {} : { limit }) } }) as const;

/** NFC, trimmed, no control characters (newline and tab only where the field is multi-line), length in characters. */
export function textField(min: number, max: number, multiline = false) {
  return z
    .string({ error: 'must be a string' })
    .transform((s) => normaliseText(s, multiline))
    .superRefine((untrimmed, ctx) => {
      const s = untrimmed.trim();
      // Controls are checked before trimming: trim() would silently drop a leading or trailing VT, FF or CR.
      if (hasControlCharacters(untrimmed) || (!multiline && /[\n\t]/.test(s)))
        ctx.addIssue(issue('control_characters', 'must not contain control characters'));
      else if (hasLoneSurrogate(s)) ctx.addIssue(issue('invalid_text', 'must be valid Unicode text'));
      else if (!multiline && hasBidiControls(s))
        ctx.addIssue(issue('direction_override', 'must not contain direction-override characters'));
      else if (min >= 1 && isInvisible(s)) ctx.addIssue(issue('required', 'is required'));
      else if (charLength(s) < min)
        ctx.addIssue(min === 1 ? issue('required', 'is required') : issue('too_short', `must be at least ${min} characters`, min));
      else if (charLength(s) > max) ctx.addIssue(issue('too_long', `must be at most ${max} characters`, max));
    })
    .transform((s) => s.trim())
    .meta({ minLength: min, maxLength: max });
}

const httpUrl = (max: number) =>
  z
    .string({ error: 'must be a string' })
    // The URL parser strips tabs, newlines and edge controls, so check first: the raw string is what gets stored.
    // A URL has no lines: a line or paragraph separator inside one is refused like a newline (at the ends, trimmed).
    .refine((v) => !hasControlCharacters(v) && !hasLineBreaks(v.trim()), {
      message: 'must not contain control characters',
      params: { code: 'control_characters' },
      abort: true,
    })
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          return u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { message: 'must be an http(s) URL', params: { code: 'invalid_url' } },
    );

const optionalUrl = (max: number) =>
  z.preprocess((v) => (v === '' ? null : v), httpUrl(max).nullable().optional());

export const commentIdSchema = z.string().regex(/^c_[0-9A-Z]{26}$/, 'is not a comment id');
export const siteParam = z.string().regex(/^[a-z0-9-]{2,40}$/, 'is not a site id');

export const postCommentBody = z
  .object({
    page: textField(1, 512),
    pageUrl: optionalUrl(2048),
    pageTitle: z.preprocess((v) => (v === '' ? undefined : v), textField(1, 300).optional()),
    parentId: commentIdSchema.nullable().optional(),
    name: textField(1, 100),
    email: z
      .string({ error: 'is required' })
      .trim()
      .max(254, 'must be at most 254 characters')
      .pipe(z.email({ error: 'must be a valid e-mail address' })),
    website: optionalUrl(2048),
    body: textField(1, 10_000, true),
    hp: z.string().max(1000).optional(),
    formToken: z.string().max(200).optional(),
    notify: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict()
  .meta({ id: 'NewComment' });

export const editCommentBody = z.object({ body: textField(1, 10_000, true) }).strict().meta({ id: 'CommentEdit' });

export const reportBody = z
  .object({
    reason: z.enum(['spam', 'abuse', 'off-topic', 'other'], { error: 'must be one of spam, abuse, off-topic, other' }),
    note: z.preprocess((v) => (v === '' ? undefined : v), textField(1, 500, true).optional()),
  })
  .strict()
  .meta({ id: 'NewReport' });

export const listQuery = z.object({
  page: textField(1, 512),
  sort: z.enum(['oldest', 'newest', 'best']).default('oldest'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});

export const voteBody = z
  .object({
    value: z.union([z.literal(1), z.literal(0), z.literal(-1)], { error: 'must be 1, -1 or 0' }),
  })
  .strict()
  .meta({ id: 'Vote' });

export const featuredQuery = z.object({ page: textField(1, 512).optional() });
export const recentQuery = z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) });
export const streamQuery = z.object({
  page: textField(1, 512),
  /** For clients that cannot send the Last-Event-ID header (a reopened EventSource). */
  lastEventId: z.string().max(40).optional(),
});

export const countsQuery = z.object({
  page: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(textField(1, 512)).min(1, 'give at least one page').max(100, 'at most 100 pages')),
});

export const feedQuery = z.object({ page: textField(1, 512).optional() });

// Responses.
export const publicCommentSchema = z
  .object({
    id: z.string(),
    parentId: z.string().nullable(),
    depth: z.number().int(),
    author: z.object({ name: z.string(), website: z.string().nullable(), avatar: z.string() }).nullable(),
    html: z.string().nullable(),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    deleted: z.boolean(),
    score: z.number().int().meta({ description: 'upvotes − downvotes' }),
    upvotes: z.number().int(),
    downvotes: z.number().int(),
    featured: z.boolean(),
  })
  .meta({ id: 'PublicComment' });
export type PublicComment = z.infer<typeof publicCommentSchema>;

export const pageInfoSchema = z
  .object({
    key: z.string(),
    title: z.string().nullable(),
    url: z.string().nullable(),
    closed: z.boolean(),
    commentCount: z.number().int(),
  })
  .meta({ id: 'PageInfo' });

export const listResponse = z
  .object({
    comments: z.array(publicCommentSchema),
    nextCursor: z.string().nullable(),
    page: pageInfoSchema,
    maxDepth: z.number().int(),
    votes: z.enum(votePolicies).meta({ description: "The site's vote setting: which vote buttons a client shows" }),
  })
  .meta({ id: 'Thread' });
export type ThreadOut = z.infer<typeof listResponse>;

export const postResponse = z
  .object({
    comment: publicCommentSchema,
    status: z.enum(['approved', 'pending']),
    editToken: z.string(),
    editableUntil: z.string(),
  })
  .meta({ id: 'Posted' });
export type PostedOut = z.infer<typeof postResponse>;

export const editResponse = z.object({ comment: publicCommentSchema }).meta({ id: 'Edited' });
export const countsResponse = z.object({ counts: z.record(z.string(), z.number().int()) }).meta({ id: 'Counts' });
export const formTokenResponse = z.object({ formToken: z.string() }).meta({ id: 'FormToken' });
export const reportResponse = z.object({ status: z.literal('received') }).meta({ id: 'ReportReceived' });
export const voteResponse = z
  .object({ score: z.number().int(), upvotes: z.number().int(), downvotes: z.number().int(), myVote: z.union([z.literal(1), z.literal(0), z.literal(-1)]) })
  .meta({ id: 'VoteTotals' });
const pageRefSchema = z.object({ key: z.string(), title: z.string().nullable(), url: z.string().nullable() });
export const pageCommentSchema = publicCommentSchema.extend({ page: pageRefSchema }).meta({ id: 'PageComment' });
export type PageComment = z.infer<typeof pageCommentSchema>;
export const featuredResponse = z.object({ comments: z.array(publicCommentSchema) }).meta({ id: 'Featured' });
export const recentResponse = z.object({ comments: z.array(pageCommentSchema) }).meta({ id: 'Recent' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string(),
          code: z.enum(fieldErrorCodes).meta({ description: 'Stable: a client may show its own words for it.' }),
          message: z.string().meta({ description: "The service's wording, in English: the fallback for a code a client does not know." }),
          limit: z.number().int().optional().meta({ description: 'The limit a too_long, too_short, too_many or too_few error refers to.' }),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem' });

// Moderation.
export const queueQuery = z.object({
  status: z.enum([...commentStatuses, 'reported', 'featured', 'all']).default('pending'),
  page: textField(1, 512).optional(),
  q: z.string().max(200).optional(),
  email: z.string().trim().max(254).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const actionBody = z
  .object({
    action: z.enum(moderationActions),
    ids: z.array(commentIdSchema).min(1, 'give at least one id').max(200, 'at most 200 ids'),
    reason: textField(1, 500, true).optional(),
    trustAuthor: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'ModerationAction' });

/** Close or open a page, and set its title and URL; a page is created when it has no comment yet. */
export const pagePatchBody = z
  .object({
    page: textField(1, 512),
    closed: z.boolean({ error: 'must be true or false' }).optional(),
    title: z.preprocess((v) => (v === '' ? null : v), textField(1, 300).nullable().optional()),
    url: optionalUrl(2048),
  })
  .strict()
  .refine((p) => p.closed !== undefined || p.title !== undefined || p.url !== undefined, {
    message: 'give closed, title or url',
    path: ['closed'],
  })
  .meta({ id: 'PageChange' });

export const pagesQuery = z.object({
  cursor: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const banBody = z
  .object({
    email: z.string().trim().max(254).pipe(z.email({ error: 'must be a valid e-mail address' })).optional(),
    ipHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be an ipHash from a comment').optional(),
    commentId: commentIdSchema.optional(),
    reason: textField(1, 500, true).optional(),
    expiresAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).nullable().optional(),
  })
  .strict()
  .meta({ id: 'NewBan' });

export const logQuery = z.object({
  cursor: z.string().max(200).optional(),
  commentId: commentIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const settingsPatchBody = siteSettingsPatchSchema.meta({ id: 'SettingsChange' });
export const settingsResponse = z.object({ settings: siteSettingsSchema.meta({ id: 'SiteSettings' }) }).meta({ id: 'Settings' });

export const tokenCreateBody = z
  .object({
    role: z.enum(['owner', 'moderator']),
    site: siteParam.nullable(),
    label: textField(0, 100).default(''),
  })
  .strict()
  .meta({ id: 'NewToken' });

export const meResponse = z
  .object({
    token: z.object({ id: z.string(), role: z.enum(['owner', 'moderator']), site: z.string().nullable(), label: z.string() }),
    sites: z.array(z.object({ id: z.string(), name: z.string() })),
  })
  .meta({ id: 'Me' });
export type MeOut = z.infer<typeof meResponse>;

export const moderatedCommentSchema = z
  .object({
    id: z.string(),
    parentId: z.string().nullable(),
    depth: z.number().int(),
    status: z.enum(commentStatuses),
    page: z.object({ key: z.string(), title: z.string().nullable(), url: z.string().nullable(), closed: z.boolean() }),
    author: z.object({ name: z.string(), email: z.string(), website: z.string().nullable(), avatar: z.string() }),
    html: z.string(),
    body: z.string(),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    reasons: z.array(z.object({ code: z.string(), detail: z.string() })),
    reports: z.object({
      count: z.number().int(),
      items: z.array(z.object({ reason: z.string(), note: z.string().nullable(), createdAt: z.string() })),
    }),
    ipHash: z.string().nullable(),
    userAgent: z.string().nullable(),
    parent: z.object({ id: z.string(), authorName: z.string(), excerpt: z.string() }).nullable(),
    votes: z.object({ score: z.number().int(), upvotes: z.number().int(), downvotes: z.number().int() }),
    featuredAt: z.string().nullable(),
  })
  .meta({ id: 'ModeratedComment' });
export type ModeratedCommentOut = z.infer<typeof moderatedCommentSchema>;

export const queueResponse = z
  .object({
    items: z.array(moderatedCommentSchema),
    nextCursor: z.string().nullable(),
    counts: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'Queue' });

export const actionResponse = z
  .object({
    results: z.array(
      z.union([
        z.object({ id: z.string(), ok: z.literal(true), from: z.enum(commentStatuses), to: z.enum(commentStatuses) }),
        z.object({ id: z.string(), ok: z.literal(false), error: z.object({ code: z.string(), status: z.number(), detail: z.string() }) }),
      ]),
    ),
  })
  .meta({ id: 'ModerationResults' });

export const banSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['email', 'ip']),
    value: z.string(),
    reason: z.string().nullable(),
    commentId: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Ban' });
export type BanOut = z.infer<typeof banSchema>;
export const bansResponse = z.object({ items: z.array(banSchema) }).meta({ id: 'Bans' });
export const bansCreatedResponse = z.object({ bans: z.array(banSchema) }).meta({ id: 'BansCreated' });

export const auditSchema = z
  .object({
    id: z.number().int(),
    commentId: z.string(),
    actor: z.union([
      z.object({ type: z.literal('system') }),
      z.object({ type: z.literal('author') }),
      z.object({ type: z.literal('token'), id: z.string(), label: z.string().nullable() }),
      z.object({ type: z.literal('mail'), address: z.string() }),
    ]),
    action: z.string(),
    from: z.string().nullable(),
    to: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditOut = z.infer<typeof auditSchema>;
export const logResponse = z.object({ items: z.array(auditSchema), nextCursor: z.string().nullable() }).meta({ id: 'AuditLog' });

export const tokenSchema = z
  .object({
    id: z.string(),
    role: z.enum(['owner', 'moderator']),
    site: z.string().nullable(),
    label: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });
export type TokenOut = z.infer<typeof tokenSchema>;
export const tokensResponse = z.object({ items: z.array(tokenSchema) }).meta({ id: 'Tokens' });
export const tokenCreatedResponse = z.object({ token: z.string(), item: tokenSchema }).meta({ id: 'TokenCreated' });

export const pageSchema = z
  .object({
    key: z.string(),
    title: z.string().nullable(),
    url: z.string().nullable(),
    closed: z.boolean(),
    /** True once a moderator set the title or URL: readers' posts no longer change them. */
    metadataLocked: z.boolean(),
    approvedCount: z.number().int(),
    pendingCount: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'ModeratedPage' });
export type PageOut = z.infer<typeof pageSchema>;
export const pagesResponse = z.object({ items: z.array(pageSchema), nextCursor: z.string().nullable() }).meta({ id: 'Pages' });
export const pageChangedResponse = z.object({ page: pageSchema }).meta({ id: 'PageChanged' });

// Sites.
export const siteCreateBody = newSiteSchema;

export const siteSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    origins: z.array(z.string()),
    moderation: z.enum(moderationPolicies),
    createdAt: z.string(),
    counts: z.record(z.enum([...commentStatuses, 'reported']), z.number().int()),
    lastActivityAt: z.string().nullable(),
    install: z.object({
      /** Where the widget loaded, most recently seen first; `allowed` is against the site's current list. */
      seen: z.array(z.object({ origin: z.string(), allowed: z.boolean(), firstSeenAt: z.string(), lastSeenAt: z.string() })),
    }),
  })
  .meta({ id: 'Site' });
export type SiteOut = z.infer<typeof siteSchema>;

export const siteListResponse = z.object({ items: z.array(siteSchema) }).meta({ id: 'SiteList' });
export const siteResponse = z.object({ site: siteSchema }).meta({ id: 'SiteAnswer' });

/** The body a route answers with, as the OpenAPI document publishes it: `res.json(body satisfies Answer<typeof x>)`. */
export type Answer<S extends z.ZodType> = z.output<S>;

// ---- notifications (docs/notifications.md) ----

export const mailFeaturesResponse = z.object({ mail: z.boolean() }).meta({ id: 'MailFeatures' });
export const myCommentsRequestBody = z
  .object({
    email: z
      .string({ error: 'is required' })
      .trim()
      .max(254, 'must be at most 254 characters')
      .pipe(z.email({ error: 'must be a valid e-mail address' })),
  })
  .strict()
  .meta({ id: 'MyCommentsRequest' });
export const myCommentsRequestResponse = z.object({ status: z.literal('sent') }).meta({ id: 'MyCommentsRequested' });
export const deliveriesQuery = z.object({
  channel: z.enum(['webhook', 'mail']).default('webhook'),
  cursor: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const deliverySchema = z
  .object({
    id: z.number().int(),
    deliveryId: z.string(),
    channel: z.enum(['webhook', 'mail']),
    event: z.string(),
    url: z.string().nullable(),
    state: z.enum(['pending', 'sending', 'delivered', 'failed', 'cancelled']),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'Delivery' });
export const deliveriesResponse = z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() }).meta({ id: 'Deliveries' });
export const resendResponse = z.object({ delivery: deliverySchema }).meta({ id: 'DeliveryResent' });
