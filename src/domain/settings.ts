// Site settings: one zod schema gives defaults, validation of owner edits, and the stored JSON shape.
import { z } from 'zod';

const origin = z
  .string()
  .trim()
  .max(255)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v.replace(/\/+$/, '');
    } catch {
      return false;
    }
  }, 'must be an origin like https://blog.example (scheme, host and optional port, nothing else)')
  .transform((v) => v.replace(/\/+$/, ''));

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const moderationPolicies = ['all', 'first-time', 'none'] as const;
export type ModerationPolicy = (typeof moderationPolicies)[number];

export const limitsSchema = z
  .object({
    nameMax: int(1, 100).default(100),
    bodyMax: int(1, 10_000).default(10_000),
  })
  .strict();

export const rateLimitsSchema = z
  .object({
    postsPerMinute: int(1, 100_000).default(5),
    reportsPerHour: int(1, 100_000).default(10),
    readsPerMinute: int(1, 1_000_000).default(600),
    moderationPerMinute: int(1, 1_000_000).default(1200),
  })
  .strict();

export const siteSettingsSchema = z
  .object({
    origins: z.array(origin).max(50).default([]),
    moderation: z.enum(moderationPolicies).default('first-time'),
    maxDepth: int(1, 20).default(5),
    editWindowMinutes: int(0, 1440).default(15),
    minSubmitSeconds: int(0, 600).default(3),
    maxLinks: int(0, 100).default(2),
    blockedWords: z.array(z.string().trim().min(1).max(100)).max(1000).default([]),
    floodSeconds: int(0, 3600).default(10),
    closeAfterDays: int(0, 36_500).default(0),
    reportThreshold: int(1, 1000).default(3),
    limits: limitsSchema.default({ nameMax: 100, bodyMax: 10_000 }),
    rateLimits: rateLimitsSchema.default({
      postsPerMinute: 5,
      reportsPerHour: 10,
      readsPerMinute: 600,
      moderationPerMinute: 1200,
    }),
  })
  .strict();

export type SiteSettings = z.infer<typeof siteSettingsSchema>;

/** An owner's partial edit: every field optional, nested objects merged. */
export const siteSettingsPatchSchema = siteSettingsSchema
  .extend({
    limits: limitsSchema.partial().strict(),
    rateLimits: rateLimitsSchema.partial().strict(),
  })
  .partial()
  .strict();
export type SiteSettingsPatch = z.infer<typeof siteSettingsPatchSchema>;

export function defaultSettings(): SiteSettings {
  return siteSettingsSchema.parse({});
}

export function mergeSettings(current: SiteSettings, patch: SiteSettingsPatch): SiteSettings {
  return siteSettingsSchema.parse({
    ...current,
    ...patch,
    limits: { ...current.limits, ...patch.limits },
    rateLimits: { ...current.rateLimits, ...patch.rateLimits },
  });
}

/** Stored settings are re-read through the schema so new fields get their defaults. */
export function parseStoredSettings(json: string): SiteSettings {
  return siteSettingsSchema.parse(JSON.parse(json));
}

export const siteIdSchema = z.string().regex(/^[a-z0-9-]{2,40}$/, 'must be 2–40 characters of a–z, 0–9 and -');
