// Site settings: one zod schema gives defaults, validation of owner edits, and the stored JSON shape.
import { z } from 'zod';

/** True for an http(s) origin exactly as browsers send it in `Origin`: scheme, host, optional port. */
export function isOrigin(v: string): boolean {
  if (v.length > 255) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
  } catch {
    return false;
  }
}

const origin = z
  .string({ error: 'must be a string' })
  .trim()
  .max(255, { message: 'must be at most 255 characters', abort: true })
  .refine((v) => isOrigin(v.replace(/\/+$/, '')), 'must be an origin like https://blog.example (scheme, host and optional port, nothing else)')
  .transform((v) => v.replace(/\/+$/, ''));

const int = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`);

export const moderationPolicies = ['all', 'first-time', 'none'] as const;
export type ModerationPolicy = (typeof moderationPolicies)[number];

/** `off`: no votes; `up`: upvotes only; `updown`: up and down. */
export const votePolicies = ['off', 'up', 'updown'] as const;
export type VotePolicy = (typeof votePolicies)[number];

const limitsShape = {
  nameMax: int(1, 100),
  bodyMax: int(1, 10_000),
};
const rateLimitsShape = {
  postsPerMinute: int(1, 100_000),
  reportsPerHour: int(1, 100_000),
  readsPerMinute: int(1, 1_000_000),
  moderationPerMinute: int(1, 1_000_000),
  votesPerMinute: int(1, 100_000),
};

export const mailLanguages = ['en', 'fr'] as const;
export type MailLanguage = (typeof mailLanguages)[number];

export const webhookEvents = [
  'comment.created',
  'comment.approved',
  'comment.status_changed',
  'comment.reported',
  'comment.edited',
  'comment.deleted',
] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

const webhookUrl = z
  .string({ error: 'must be a string' })
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

const webhookShape = z
  .object({
    url: webhookUrl,
    events: z.array(z.enum(webhookEvents, { error: `must be one of ${webhookEvents.join(', ')}` })).min(1, 'name at least one event').max(webhookEvents.length),
    secret: z.string({ error: 'must be a string' }).min(16, 'must be at least 16 characters').max(200, 'must be at most 200 characters'),
  })
  .strict();

const moderatorShape = z
  .object({
    email: z.string({ error: 'must be a string' }).trim().max(254, 'must be at most 254 characters').pipe(z.email({ error: 'must be a valid e-mail address' })),
    on: z.enum(['pending', 'reported', 'all'], { error: 'must be one of pending, reported, all' }),
  })
  .strict();

const notificationsShape = {
  moderators: z.array(moderatorShape).max(20, 'at most 20 moderators'),
  /** 0: one mail per comment; otherwise one digest per moderator at most every so many minutes. */
  digestMinutes: int(0, 1440),
};

/** Every setting and its rule, without defaults: an owner's partial edit must not reset what it leaves out. */
const settingsShape = {
  origins: z.array(origin, { error: 'must be a list of origins' }).max(50, 'at most 50 origins'),
  moderation: z.enum(moderationPolicies),
  maxDepth: int(1, 20),
  editWindowMinutes: int(0, 1440),
  minSubmitSeconds: int(0, 600),
  maxLinks: int(0, 100),
  blockedWords: z.array(z.string().trim().min(1).max(100)).max(1000),
  floodSeconds: int(0, 3600),
  closeAfterDays: int(0, 36_500),
  reportThreshold: int(1, 1000),
  votes: z.enum(votePolicies),
  limits: z.object(limitsShape).strict(),
  rateLimits: z.object(rateLimitsShape).strict(),
  notifications: z.object(notificationsShape).strict(),
  webhooks: z.array(webhookShape).max(10, 'at most 10 webhooks'),
  /** The language of the mails the site sends. */
  language: z.enum(mailLanguages, { error: `must be one of ${mailLanguages.join(', ')}` }),
  /** With `first-time` moderation, only an address confirmed by mail can be trusted. */
  requireVerifiedEmail: z.boolean({ error: 'must be true or false' }),
};

export const DEFAULT_SETTINGS = Object.freeze({
  origins: [] as string[],
  moderation: 'first-time' as ModerationPolicy,
  maxDepth: 5,
  editWindowMinutes: 15,
  minSubmitSeconds: 3,
  maxLinks: 2,
  blockedWords: [] as string[],
  floodSeconds: 10,
  closeAfterDays: 0,
  reportThreshold: 3,
  votes: 'up' as VotePolicy,
  limits: { nameMax: 100, bodyMax: 10_000 },
  rateLimits: { postsPerMinute: 5, reportsPerHour: 10, readsPerMinute: 600, moderationPerMinute: 1200, votesPerMinute: 30 },
  notifications: { moderators: [] as { email: string; on: 'pending' | 'reported' | 'all' }[], digestMinutes: 0 },
  webhooks: [] as { url: string; events: WebhookEvent[]; secret: string }[],
  language: 'en' as MailLanguage,
  requireVerifiedEmail: false,
});

export const siteSettingsSchema = z.object(settingsShape).strict();

export type SiteSettings = z.infer<typeof siteSettingsSchema>;

/** An owner's partial edit: every field optional, nested objects merged. */
export const siteSettingsPatchSchema = z
  .object({
    ...settingsShape,
    limits: z.object(limitsShape).partial().strict(),
    rateLimits: z.object(rateLimitsShape).partial().strict(),
    notifications: z.object(notificationsShape).partial().strict(),
  })
  .partial()
  .strict();
export type SiteSettingsPatch = z.infer<typeof siteSettingsPatchSchema>;

export function defaultSettings(): SiteSettings {
  return structuredClone(DEFAULT_SETTINGS) as SiteSettings;
}

export function mergeSettings(current: SiteSettings, patch: SiteSettingsPatch): SiteSettings {
  return siteSettingsSchema.parse({
    ...current,
    ...patch,
    limits: { ...current.limits, ...patch.limits },
    rateLimits: { ...current.rateLimits, ...patch.rateLimits },
    notifications: { ...current.notifications, ...patch.notifications },
  });
}

/** Stored settings are read over the defaults, so settings added later get their default values. */
export function parseStoredSettings(json: string): SiteSettings {
  return mergeSettings(defaultSettings(), JSON.parse(json) as SiteSettingsPatch);
}

export const siteIdSchema = z.string().regex(/^[a-z0-9-]{2,40}$/, 'must be 2–40 characters of a–z, 0–9 and -');
