// HTTP: request and response schemas of the Person panel's endpoints (also in the OpenAPI document). The person is
// named by one of their comments, in the body, so their e-mail is in no URL and no log line.
import { z } from 'zod';
import { commentIdSchema, moderatedCommentSchema } from './schemas';

export const personBody = z
  .object({
    commentId: commentIdSchema,
    cursor: z.string().max(200).optional(),
    limit: z.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(200).default(100),
  })
  .strict()
  .meta({ id: 'PersonQuery' });

export const personExportBody = z.object({ commentId: commentIdSchema }).strict().meta({ id: 'PersonRef' });

export const personResponse = z
  .object({
    person: z.object({ email: z.string(), name: z.string() }),
    items: z.array(moderatedCommentSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'Person' });

export const personExportResponse = z
  .object({
    format: z.literal('marginalia-person'),
    version: z.number().int(),
    exportedAt: z.string(),
    site: z.object({ id: z.string(), name: z.string() }),
    person: z.object({ email: z.string(), names: z.array(z.string()), websites: z.array(z.string()) }),
    comments: z.array(
      z.object({
        id: z.string(),
        page: z.object({ key: z.string(), title: z.string().nullable(), url: z.string().nullable() }),
        parentId: z.string().nullable(),
        status: z.string(),
        author: z.object({ name: z.string(), email: z.string(), website: z.string().nullable() }),
        body: z.string(),
        html: z.string(),
        userAgent: z.string().nullable(),
        createdAt: z.string(),
        editedAt: z.string().nullable(),
        votes: z.object({ upvotes: z.number().int(), downvotes: z.number().int() }),
      }),
    ),
  })
  .meta({ id: 'PersonExport' });
