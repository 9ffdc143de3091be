// Service: imports from other comment systems. Each format's reader yields records; this one writer turns them into
// stored comments (sanitised, e-mails encrypted, addresses hashed), remembers where each came from, and counts.
import type { Repositories } from './ports';
import type { ImportRun, StagedComment, StagedPage } from './transfer-ports';
import type { Site } from './types';
import type { DomainEvents } from './events';
import { Privacy } from './privacy';
import { plainTextOfSanitised, renderBody, sanitizeImportedHtml } from './render';
import { importedCommentId } from './ids';
import { bodyHash } from './comments';
import { defaultSettings, siteIdSchema } from './settings';
import { charLength, hasLoneSurrogate, normaliseText } from './text';
import { AppError, invalidField } from './errors';
import { ImportError, type ImportedComment, type ImportedThread, type ImportRecord } from '../import/records';

/** Rows staged per transaction while reading, and written per transaction afterwards. */
const STAGE_BATCH = 1000;
const WRITE_BATCH = 5000;
/** A body longer than this is not a comment but a mistake in the file. */
export const IMPORT_BODY_MAX = 100_000;
const NAME_MAX = 100;

export interface ImportProgress {
  phase: 'reading' | 'checking' | 'writing' | 'done';
  /** Bytes read while reading; comments written while writing. */
  done: number;
  total: number | null;
}

export interface ImportSummary {
  source: string;
  site: string;
  dryRun: boolean;
  siteCreated: boolean;
  /** Added by this run (or, on a dry run, that would be). */
  imported: number;
  /** Skipped because an earlier run imported them. */
  alreadyThere: number;
  /** Items that are not comments here, by kind (pingback, trackback, …). */
  skipped: Record<string, number>;
  newPages: number;
  warnings: string[];
  warningCount: number;
}

export interface ImportOptions {
  siteId: string;
  source: 'disqus' | 'wordpress' | 'isso';
  dryRun?: boolean;
  createSite?: boolean;
  onProgress?: (p: ImportProgress) => void;
  now?: number;
}

export interface ImporterDeps {
  repos: Repositories;
  privacy: Privacy;
  events: DomainEvents;
}

// Control characters other than newline and tab, and direction overrides, which let a name pose as another.
const STRIP = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const cleanLine = (s: string) => normaliseText(s).replace(STRIP, '').replace(/\s+/g, ' ').trim();
const cleanText = (s: string) => normaliseText(s, true).replace(STRIP, '');
const looksLikeEmail = (s: string) => s.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(s);

function cut(s: string, max: number): string {
  if (charLength(s) <= max) return s;
  return Array.from(s).slice(0, max).join('');
}

function httpUrl(v: string | null): string | null {
  if (!v || v.length > 2048) return null;
  try {
    const u = new URL(v.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * The page key of a thread: the path of its link (SPEC §9), with the query when the path alone is `/` (a `?p=12`
 * permalink); without a usable link, the source's identifier.
 */
export function pageKeyOf(t: Pick<ImportedThread, 'url' | 'fallbackKey' | 'entry'>): string {
  const url = httpUrl(t.url);
  let key: string | null = null;
  if (url) {
    const u = new URL(url);
    key = u.pathname === '/' && u.search ? `/${u.search}` : u.pathname;
  } else if (t.fallbackKey) key = cleanLine(t.fallbackKey);
  if (!key) throw new ImportError('the thread has neither a link nor an identifier to key its page by', { entry: t.entry });
  if (charLength(key) > 512) throw new ImportError('the page key made from its link is longer than 512 characters', { entry: t.entry });
  return key;
}

/**
 * Keyed hashes and the encrypted e-mail of the authors an import meets, made once per author: a site's readers
 * comment many times. An e-mail encrypted once and stored with each of its comments reveals nothing the e-mail's
 * HMAC does not. Bounded, so memory stays flat.
 */
class AuthorKeys {
  private readonly authors = new Map<string, { avatar: string; emailEnc: Buffer; emailHmac: string }>();
  private readonly ips = new Map<string, string>();
  private static readonly MAX = 20_000;

  constructor(
    private readonly privacy: Privacy,
    private readonly siteId: string,
  ) {}

  author(matchKey: string, email: string) {
    let a = this.authors.get(matchKey);
    if (!a) {
      if (this.authors.size >= AuthorKeys.MAX) this.authors.clear();
      a = {
        avatar: this.privacy.avatarHash(this.siteId, matchKey),
        emailEnc: this.privacy.encryptEmail(email),
        emailHmac: this.privacy.emailHmac(this.siteId, matchKey),
      };
      // An author without an e-mail is met once (the key names the comment): nothing to keep.
      if (email) this.authors.set(matchKey, a);
    }
    return a;
  }

  ip(ip: string): string {
    let h = this.ips.get(ip);
    if (!h) {
      if (this.ips.size >= AuthorKeys.MAX) this.ips.clear();
      h = this.privacy.ipHmac(this.siteId, ip);
      this.ips.set(ip, h);
    }
    return h;
  }
}

/** A comment an earlier run imported: staged only so replies find it and the file's ids stay unique; never written. */
function placeholder(c: ImportedComment, source: string): StagedComment {
  return {
    id: '',
    sourceId: c.sourceId,
    parentRef: c.parentSourceId,
    threadRef: c.threadRef,
    status: c.status,
    statusBeforeDelete: null,
    authorName: '',
    authorWebsite: null,
    avatar: '',
    emailEnc: Buffer.alloc(0),
    emailHmac: '',
    ipHmac: null,
    userAgent: null,
    bodySource: '',
    bodyHtml: '',
    bodyHash: '',
    reasons: '[]',
    createdAt: c.createdAt,
    editedAt: null,
    statusChangedAt: c.createdAt,
    featuredAt: null,
    voterHmac: null,
    origin: { source, id: c.sourceId, upvotes: c.upvotes, downvotes: c.downvotes },
    entry: c.entry,
  };
}

export class ImportService {
  constructor(private readonly deps: ImporterDeps) {}

  private transfer() {
    const t = this.deps.repos.transfer;
    if (!t) throw new AppError('not_supported', 501, 'Not Implemented', 'This store cannot import yet.');
    return t;
  }

  /** Checks the site before anything is read: a missing site is created only when asked. */
  async prepareSite(siteId: string, createSite: boolean): Promise<Site | null> {
    const parsed = siteIdSchema.safeParse(siteId);
    if (!parsed.success) throw invalidField('site', 'invalid_format', parsed.error.issues[0].message);
    const site = await this.deps.repos.sites.get(siteId);
    if (!site && !createSite) throw new AppError('not_found', 404, 'Not Found', `Site ${siteId} does not exist; add --create-site to create it.`);
    return site;
  }

  async run(records: AsyncIterable<ImportRecord>, opts: ImportOptions): Promise<ImportSummary> {
    const now = opts.now ?? Date.now();
    const existing = await this.prepareSite(opts.siteId, opts.createSite === true);
    const run = await this.transfer().beginImport({ siteId: opts.siteId, marginaliaIds: false, auditSource: opts.source, now });
    const keys = new AuthorKeys(this.deps.privacy, opts.siteId);
    const skipped: Record<string, number> = {};
    const notes = new Map<string, number>();
    const note = (what: string) => notes.set(what, (notes.get(what) ?? 0) + 1);
    let wrote = false;
    try {
      let pages: StagedPage[] = [];
      let comments: StagedComment[] = [];
      const flush = async () => {
        if (pages.length) await run.addPages(pages);
        if (comments.length) await run.addComments(comments);
        pages = [];
        comments = [];
      };
      for await (const r of records) {
        if (r.kind === 'skipped') skipped[r.what] = (skipped[r.what] ?? 0) + 1;
        else if (r.kind === 'thread') pages.push(this.page(r, now));
        else if (run.alreadyImported(opts.source, r.sourceId)) comments.push(placeholder(r, opts.source));
        else comments.push(this.comment(r, keys, opts.source, note));
        if (pages.length + comments.length >= STAGE_BATCH) await flush();
      }
      await flush();
      opts.onProgress?.({ phase: 'checking', done: 0, total: null });
      const resolved = await run.resolve();
      const warnings = [...resolved.warnings, ...[...notes].map(([what, k]) => `${k} comment${k === 1 ? '' : 's'}: ${what}`)];
      const summary: ImportSummary = {
        source: opts.source,
        site: opts.siteId,
        dryRun: opts.dryRun === true,
        siteCreated: !existing && !opts.dryRun,
        imported: resolved.toImport,
        alreadyThere: resolved.alreadyThere,
        skipped,
        newPages: resolved.newPages,
        warnings,
        warningCount: resolved.warningCount + [...notes.values()].reduce((a, b) => a + b, 0),
      };
      if (opts.dryRun) return summary;
      wrote = true;
      if (!existing) {
        await this.deps.repos.sites.create({ id: opts.siteId, name: opts.siteId, settings: defaultSettings(), createdAt: now });
        run.ownSite(opts.siteId);
      }
      await this.write(run, resolved.toImport, opts.onProgress);
      this.deps.events.emit({ type: 'comments.changed', siteId: opts.siteId, pageIds: null, commentIds: [], cause: 'imported', at: now });
      if (!existing) this.deps.events.emit({ type: 'site.changed', siteId: opts.siteId, at: now });
      return summary;
    } catch (err) {
      if (wrote) await run.undo();
      throw err;
    } finally {
      await run.dispose();
    }
  }

  /** Batches of one transaction each, yielding between them so the service keeps answering. */
  async write(run: ImportRun, total: number, onProgress?: (p: ImportProgress) => void): Promise<void> {
    let done = 0;
    onProgress?.({ phase: 'writing', done, total });
    for (;;) {
      const k = await run.writeBatch(WRITE_BATCH);
      if (k === 0) break;
      done += k;
      onProgress?.({ phase: 'writing', done, total });
      await new Promise((r) => setImmediate(r));
    }
    await run.finish();
    onProgress?.({ phase: 'done', done, total });
  }

  private page(t: ImportedThread, now: number): StagedPage {
    const title = t.title ? cut(cleanLine(t.title), 512) || null : null;
    return { ref: t.ref, key: pageKeyOf(t), url: httpUrl(t.url), title, closed: false, metadataLocked: false, createdAt: now };
  }

  private comment(c: ImportedComment, keys: AuthorKeys, source: string, note: (what: string) => void): StagedComment {
    const where = { entry: c.entry };
    let name = cleanLine(c.authorName);
    if (charLength(name) > NAME_MAX) {
      name = cut(name, NAME_MAX);
      note(`author name cut to ${NAME_MAX} characters`);
    }
    if (!name) name = 'Anonymous';
    const rawEmail = c.email ? cleanLine(c.email) : '';
    const email = looksLikeEmail(rawEmail) ? rawEmail : null;
    if (rawEmail && !email) note('e-mail address not valid, left out');
    const website = httpUrl(c.website ? cleanLine(c.website) : null);
    if (c.website && c.website.trim() && !website) note('website not an http(s) address, left out');
    const text = 'html' in c.body ? c.body.html : c.body.markdown;
    if (hasLoneSurrogate(text)) throw new ImportError('the body holds half of a UTF-16 pair, which is not text', where);
    const cleaned = cleanText(text);
    if (charLength(cleaned) > IMPORT_BODY_MAX) throw new ImportError(`the body is longer than ${IMPORT_BODY_MAX} characters`, where);
    // NFC again after sanitising: character references (`e&#769;`) become characters only then.
    const bodyHtml = ('html' in c.body ? sanitizeImportedHtml(cleaned) : cleaned.trim() ? renderBody(cleaned) : '').normalize('NFC');
    const bodySource = 'html' in c.body ? plainTextOfSanitised(bodyHtml) : cleaned;
    // Without an e-mail each comment is its own author: nobody is trusted, banned or matched through a shared blank.
    const matchKey = email ?? `\u0000anonymous\u0000${source}\u0000${c.sourceId}`;
    const id = importedCommentId(c.createdAt);
    return {
      id,
      sourceId: c.sourceId,
      parentRef: c.parentSourceId,
      threadRef: c.threadRef,
      status: c.status,
      statusBeforeDelete: c.statusBeforeDelete,
      authorName: name,
      authorWebsite: website,
      ...keys.author(matchKey, email ?? ''),
      ipHmac: c.ip ? keys.ip(c.ip.trim()) : null,
      userAgent: null,
      bodySource,
      bodyHtml,
      bodyHash: bodyHash(bodySource),
      reasons: '[]',
      createdAt: c.createdAt,
      editedAt: null,
      statusChangedAt: c.createdAt,
      featuredAt: null,
      voterHmac: null,
      origin: { source, id: c.sourceId, upvotes: c.upvotes, downvotes: c.downvotes },
      entry: c.entry,
    };
  }
}
