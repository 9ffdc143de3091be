// Service: Marginalia's own export document (docs/export-format.md) — written page by page so memory stays flat,
// and read back by `import json`: sites it lacks are added whole, a site it has gains only the comments it lacks.
import { z } from 'zod';
import type { Repositories } from './ports';
import type { ImportRun, StagedComment, StagedLogEntry, StagedReport, StagedVote } from './transfer-ports';
import type { Ban, Site } from './types';
import { commentStatuses } from './types';
import type { DomainEvents } from './events';
import { Privacy } from './privacy';
import { sanitizeImportedHtml } from './render';
import { bodyHash } from './comments';
import { defaultSettings, mergeSettings, siteIdSchema, type SiteSettingsPatch } from './settings';
import { AppError, notFound } from './errors';
import { ImportError } from '../import/records';
import type { ImportProgress, ImportService } from './importer';

export const EXPORT_FORMAT = 'marginalia-export';
export const EXPORT_VERSION = 1;
const PAGE = 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const time = z.iso.datetime({ message: 'must be an ISO 8601 time' }).transform((v) => Date.parse(v));
const status = z.enum(commentStatuses);
const text = (max: number) => z.string().max(max);

const commentSchema = z
  .object({
    id: z.string().regex(/^c_[0-9A-Z]{26}$/, 'is not a comment id'),
    page: text(512).min(1),
    parentId: z.string().nullable(),
    status,
    statusBeforeDelete: status.nullable(),
    author: z.object({ name: text(100), email: text(254).nullable(), website: text(2048).nullable() }).strict(),
    ipHash: z.string().max(128).nullable(),
    userAgent: text(512).nullable(),
    body: z.object({ source: text(100_000), html: text(400_000) }).strict(),
    reasons: z.array(z.object({ code: text(100), detail: text(2000) }).strict()).max(100),
    reports: z
      .array(
        z
          .object({ reason: z.enum(['spam', 'abuse', 'off-topic', 'other']), note: text(2000).nullable(), reporterHash: z.string().max(128), createdAt: time, resolvedAt: time.nullable() })
          .strict(),
      )
      .max(10_000),
    createdAt: time,
    editedAt: time.nullable(),
    statusChangedAt: time,
    // Added within version 1: a document written before they existed imports as not featured, with no voter key.
    featuredAt: time.nullable().default(null),
    voterHash: z.string().max(128).nullable().default(null),
    origin: z.object({ source: z.enum(['disqus', 'wordpress', 'isso']), id: text(200).min(1), upvotes: z.number().int().min(0), downvotes: z.number().int().min(0) }).strict().nullable(),
  })
  .strict();

const siteSchema = z
  .object({
    id: siteIdSchema,
    name: text(100).min(1),
    createdAt: time,
    settings: z.record(z.string(), z.unknown()),
    pages: z.array(
      z.object({ key: text(512).min(1), url: text(2048).nullable(), title: text(512).nullable(), closed: z.boolean(), metadataLocked: z.boolean(), createdAt: time }).strict(),
    ),
    comments: z.array(commentSchema),
    votes: z.array(
      z
        .object({
          commentId: z.string(),
          voterHash: z.string().min(1).max(128),
          value: z.union([z.literal(1), z.literal(-1)], { message: 'must be 1 or -1' }),
          votedAt: time,
        })
        .strict(),
    ),
    bans: z.array(
      z
        .object({
          id: z.string().min(1).max(64),
          kind: z.enum(['email', 'ip']),
          email: text(254).nullable(),
          ipHash: z.string().max(128).nullable(),
          reason: text(2000).nullable(),
          commentId: z.string().nullable(),
          expiresAt: time.nullable(),
          createdAt: time,
          createdBy: z.string().nullable(),
        })
        .strict(),
    ),
    log: z.array(
      z
        .object({
          commentId: z.string(),
          actor: z.union([z.object({ type: z.enum(['system', 'author']) }).strict(), z.object({ type: z.literal('token'), id: z.string() }).strict()]),
          action: text(40),
          from: status.nullable(),
          to: status,
          reason: text(2000).nullable(),
          createdAt: time,
        })
        .strict(),
    ),
  })
  .strict();

const documentSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT, { message: `must be "${EXPORT_FORMAT}"` }),
    version: z.literal(EXPORT_VERSION, { message: `must be ${EXPORT_VERSION}` }),
    exportedAt: time,
    sites: z.array(siteSchema),
  })
  .strict();

export type ExportDocument = z.input<typeof documentSchema>;

export interface JsonImportSummary {
  source: 'json';
  dryRun: boolean;
  sites: { site: string; created: boolean; imported: number; alreadyThere: number; newPages: number; warnings: string[]; warningCount: number }[];
}

export interface JsonTransferDeps {
  repos: Repositories;
  privacy: Privacy;
  events: DomainEvents;
  importer: ImportService;
}

export class JsonTransferService {
  constructor(private readonly deps: JsonTransferDeps) {}

  private transfer() {
    const t = this.deps.repos.transfer;
    if (!t) throw new AppError('not_supported', 501, 'Not Implemented', 'This store cannot import or export yet.');
    return t;
  }

  /**
   * Writes the document for one site or every site, a page of rows at a time; `write` may wait (backpressure).
   * Keys come in a fixed order and each page, comment, ban and log entry is one line, so two exports compare as text.
   */
  async export(write: (chunk: string) => unknown, opts: { siteId?: string; now?: number } = {}): Promise<void> {
    const { repos, privacy } = this.deps;
    const transfer = this.transfer();
    let sites: Site[];
    if (opts.siteId) {
      const site = await repos.sites.get(opts.siteId);
      if (!site) throw notFound('Site');
      sites = [site];
    } else sites = await repos.sites.list();
    const email = (blob: Buffer | null) => {
      if (!blob || blob.length === 0) return null;
      return privacy.decryptEmail(blob) || null;
    };
    await write(`{"format":"${EXPORT_FORMAT}","version":${EXPORT_VERSION},"exportedAt":${JSON.stringify(iso(opts.now ?? Date.now()))},"sites":[`);
    for (const [i, site] of sites.entries()) {
      const head = { id: site.id, name: site.name, createdAt: iso(site.createdAt), settings: site.settings };
      await write(`${i ? ',' : ''}\n${JSON.stringify(head).slice(0, -1)},\n"pages":[`);
      let first = true;
      const sep = () => {
        const s = first ? '\n' : ',\n';
        first = false;
        return s;
      };
      for (let after: string | null = null; ; ) {
        const pages = await transfer.exportPages(site.id, after, PAGE);
        if (!pages.length) break;
        let chunk = '';
        for (const p of pages)
          chunk += sep() + JSON.stringify({ key: p.key, url: p.url, title: p.title, closed: p.closed, metadataLocked: p.metadataLocked, createdAt: iso(p.createdAt) });
        await write(chunk);
        after = pages[pages.length - 1].key;
      }
      await write('],\n"comments":[');
      first = true;
      for (let after: string | null = null; ; ) {
        const rows = await transfer.exportComments(site.id, after, PAGE);
        if (!rows.length) break;
        let chunk = '';
        for (const c of rows)
          chunk +=
            sep() +
            JSON.stringify({
              id: c.id,
              page: c.pageKey,
              parentId: c.parentId,
              status: c.status,
              statusBeforeDelete: c.statusBeforeDelete,
              author: { name: c.authorName, email: email(c.emailEnc), website: c.authorWebsite },
              ipHash: c.ipHmac,
              userAgent: c.userAgent,
              body: { source: c.bodySource, html: c.bodyHtml },
              reasons: JSON.parse(c.reasons),
              reports: c.reports.map((r) => ({ reason: r.reason, note: r.note, reporterHash: r.reporterHmac, createdAt: iso(r.createdAt), resolvedAt: isoOrNull(r.resolvedAt) })),
              createdAt: iso(c.createdAt),
              editedAt: isoOrNull(c.editedAt),
              statusChangedAt: iso(c.statusChangedAt),
              featuredAt: isoOrNull(c.featuredAt),
              voterHash: c.voterHmac,
              origin: c.origin,
            });
        await write(chunk);
        after = rows[rows.length - 1].id;
      }
      await write('],\n"votes":[');
      first = true;
      for (let after: { commentId: string; voterHmac: string } | null = null; ; ) {
        const votes = await transfer.exportVotes(site.id, after, PAGE);
        if (!votes.length) break;
        let chunk = '';
        for (const v of votes) chunk += sep() + JSON.stringify({ commentId: v.commentId, voterHash: v.voterHmac, value: v.value, votedAt: iso(v.votedAt) });
        await write(chunk);
        after = votes[votes.length - 1];
      }
      await write('],\n"bans":[');
      first = true;
      let chunk = '';
      for (const b of await repos.bans.list(site.id))
        chunk +=
          sep() +
          JSON.stringify({
            id: b.id,
            kind: b.kind,
            email: b.kind === 'email' ? email(b.emailEnc) : null,
            ipHash: b.kind === 'ip' ? b.valueHmac : null,
            reason: b.reason,
            commentId: b.commentId,
            expiresAt: isoOrNull(b.expiresAt),
            createdAt: iso(b.createdAt),
            createdBy: b.createdBy,
          });
      await write(chunk + '],\n"log":[');
      first = true;
      for (let after: number | null = null; ; ) {
        const rows = await transfer.exportLog(site.id, after, PAGE);
        if (!rows.length) break;
        let chunk = '';
        for (const e of rows)
          chunk += sep() + JSON.stringify({ commentId: e.commentId, actor: e.actor, action: e.action, from: e.from, to: e.to, reason: e.reason, createdAt: iso(e.createdAt) });
        await write(chunk);
        after = rows[rows.length - 1].id;
      }
      await write(']}');
    }
    await write('\n]}\n');
  }

  /** Parses and checks the whole document first: an entry that breaks a rule stops the import before anything is written. */
  parse(textOrValue: string | unknown): z.output<typeof documentSchema> {
    let value = textOrValue;
    if (typeof textOrValue === 'string') {
      try {
        value = JSON.parse(textOrValue);
      } catch (err) {
        throw new ImportError(`the file is not JSON: ${(err as Error).message}`);
      }
    }
    const r = documentSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ImportError(issue.message, { entry: entryName(issue.path) });
    }
    return r.data;
  }

  async import(
    textOrValue: string | unknown,
    opts: { dryRun?: boolean; onProgress?: (p: ImportProgress) => void; now?: number; onlySite?: string } = {},
  ): Promise<JsonImportSummary> {
    const doc = this.parse(textOrValue);
    // Over HTTP an owner of one site imports into that site only.
    const other = opts.onlySite === undefined ? undefined : doc.sites.findIndex((s) => s.id !== opts.onlySite);
    if (other !== undefined && other >= 0)
      throw new ImportError(`the file holds site ${doc.sites[other].id}; this import is for site ${opts.onlySite}`, { entry: `sites[${other}].id` });
    const now = opts.now ?? Date.now();
    const summary: JsonImportSummary = { source: 'json', dryRun: opts.dryRun === true, sites: [] };
    const written: ImportRun[] = [];
    try {
      for (const [i, s] of doc.sites.entries()) summary.sites.push(await this.importSite(s, i, opts, now, written));
    } catch (err) {
      // All or nothing for the file: sites written before the one that failed are removed again.
      for (const run of written.reverse()) await run.undo();
      throw err;
    } finally {
      for (const run of written) await run.dispose();
    }
    if (!opts.dryRun)
      for (const s of summary.sites) {
        this.deps.events.emit({ type: 'comments.changed', siteId: s.site, pageIds: null, commentIds: [], cause: 'imported', at: now });
        if (s.created) this.deps.events.emit({ type: 'site.changed', siteId: s.site, at: now });
      }
    return summary;
  }

  private async importSite(
    s: z.output<typeof siteSchema>,
    index: number,
    opts: { dryRun?: boolean; onProgress?: (p: ImportProgress) => void },
    now: number,
    written: ImportRun[],
  ): Promise<JsonImportSummary['sites'][number]> {
    const { privacy, repos } = this.deps;
    const existing = await repos.sites.get(s.id);
    let settings;
    try {
      settings = mergeSettings(defaultSettings(), s.settings as SiteSettingsPatch);
    } catch (err) {
      const issue = (err as z.ZodError).issues?.[0];
      throw new ImportError(issue?.message ?? 'settings are not valid', { entry: entryName(['sites', index, 'settings', ...(issue?.path ?? [])]) });
    }
    const commentIds = new Set(s.comments.map((c) => c.id));
    const unknown = s.votes.findIndex((v) => !commentIds.has(v.commentId));
    if (unknown >= 0) throw new ImportError(`the vote is on comment ${s.votes[unknown].commentId}, which is not in the file`, { entry: entryName(['sites', index, 'votes', unknown, 'commentId']) });
    const run = await this.transfer().beginImport({ siteId: s.id, marginaliaIds: true, auditSource: null, now });
    let disposed = false;
    try {
      await run.addPages(s.pages.map((p) => ({ ref: p.key, ...p })));
      const staged: StagedComment[] = [];
      const reports: StagedReport[] = [];
      for (const c of s.comments) {
        const erased = c.author.email === null && c.author.name === '' && c.body.source === '';
        const matchKey = c.author.email ?? `\u0000anonymous\u0000json\u0000${c.id}`;
        const html = sanitizeImportedHtml(c.body.html);
        staged.push({
          id: c.id,
          sourceId: c.id,
          parentRef: c.parentId,
          threadRef: c.page,
          status: c.status,
          statusBeforeDelete: c.statusBeforeDelete,
          authorName: c.author.name,
          authorWebsite: c.author.website,
          avatar: erased ? '' : privacy.avatarHash(s.id, matchKey),
          emailEnc: erased ? Buffer.alloc(0) : privacy.encryptEmail(c.author.email ?? ''),
          emailHmac: erased ? '' : privacy.emailHmac(s.id, matchKey),
          ipHmac: c.ipHash,
          userAgent: c.userAgent,
          bodySource: c.body.source,
          bodyHtml: html,
          bodyHash: erased ? '' : bodyHash(c.body.source),
          reasons: JSON.stringify(c.reasons),
          createdAt: c.createdAt,
          editedAt: c.editedAt,
          statusChangedAt: c.statusChangedAt,
          featuredAt: c.featuredAt,
          voterHmac: c.voterHash,
          origin: c.origin,
          entry: `comment ${c.id}`,
        });
        for (const r of c.reports) reports.push({ commentId: c.id, reporterHmac: r.reporterHash, reason: r.reason, note: r.note, createdAt: r.createdAt, resolvedAt: r.resolvedAt });
        if (staged.length >= 1000) await run.addComments(staged.splice(0));
      }
      await run.addComments(staged);
      await run.addReports(reports);
      for (let i = 0; i < s.votes.length; i += PAGE)
        await run.addVotes(s.votes.slice(i, i + PAGE).map((v): StagedVote => ({ commentId: v.commentId, voterHmac: v.voterHash, value: v.value, votedAt: v.votedAt })));
      await run.addLog(s.log.map((e): StagedLogEntry => ({ ...e })));
      await run.addBans(
        s.bans.map(
          (b, j): Ban => {
            if (b.kind === 'email' && !b.email) throw new ImportError('an e-mail ban needs its e-mail', { entry: entryName(['sites', index, 'bans', j]) });
            if (b.kind === 'ip' && !b.ipHash) throw new ImportError('an address ban needs its ipHash', { entry: entryName(['sites', index, 'bans', j]) });
            return {
              id: b.id,
              siteId: s.id,
              kind: b.kind,
              valueHmac: b.kind === 'email' ? privacy.emailHmac(s.id, b.email!) : b.ipHash!,
              emailEnc: b.kind === 'email' ? privacy.encryptEmail(b.email!) : null,
              reason: b.reason,
              commentId: b.commentId,
              expiresAt: b.expiresAt,
              createdAt: b.createdAt,
              createdBy: b.createdBy,
            };
          },
        ),
      );
      const resolved = await run.resolve();
      const result = {
        site: s.id,
        created: !existing && !opts.dryRun,
        imported: resolved.toImport,
        alreadyThere: resolved.alreadyThere,
        newPages: resolved.newPages,
        warnings: resolved.warnings,
        warningCount: resolved.warningCount,
      };
      if (opts.dryRun) return result;
      written.push(run);
      disposed = true;
      if (!existing) {
        await repos.sites.create({ id: s.id, name: s.name, settings, createdAt: s.createdAt });
        run.ownSite(s.id);
      }
      await this.deps.importer.write(run, resolved.toImport, opts.onProgress);
      return result;
    } finally {
      // A run that may still need undoing keeps its tables until the whole file is done.
      if (!disposed) await run.dispose();
    }
  }
}

function entryName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}
