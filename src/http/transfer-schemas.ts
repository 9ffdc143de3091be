// HTTP: request and response schemas of import, export and erasure (also in the OpenAPI document).
import { z } from 'zod';

export const eraseBody = z
  .object({ email: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(254, 'must be at most 254 characters') })
  .strict()
  .meta({ id: 'Erase' });
export const eraseResponse = z.object({ erased: z.number().int() }).meta({ id: 'Erased' });

export const importFormats = ['disqus', 'wordpress', 'json'] as const;
export const importQuery = z.object({
  format: z.enum(importFormats, { error: `must be one of ${importFormats.join(', ')}` }),
});

const progressSchema = z.object({
  phase: z.enum(['uploading', 'reading', 'checking', 'writing', 'done']),
  done: z.number(),
  total: z.number().nullable(),
});

export const importJobSchema = z
  .object({
    id: z.string(),
    format: z.enum(importFormats),
    state: z.enum(['running', 'done', 'failed']),
    progress: progressSchema,
    counts: z
      .object({
        imported: z.number().int(),
        alreadyThere: z.number().int(),
        skipped: z.record(z.string(), z.number().int()),
        newPages: z.number().int(),
        warnings: z.array(z.string()),
        warningCount: z.number().int(),
      })
      .nullable(),
    error: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ImportJob' });
export type ImportJobOut = z.infer<typeof importJobSchema>;

export const importStartedResponse = z.object({ import: importJobSchema }).meta({ id: 'ImportStarted' });
export const importStatusResponse = importJobSchema;
