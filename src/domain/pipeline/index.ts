// The moderation pipeline: every check in one ordered list. Refusals first (they throw), then holds.
import type { CommentStatus, Reason } from '../types';
import type { Check, CheckContext } from './context';
import { refuseClosedPage } from './page-open';
import { refuseBannedAuthor } from './bans';
import { refuseFlood } from './flood';
import { refuseDuplicate } from './duplicate';
import { flagHoneypot } from './honeypot';
import { checkFormTiming } from './form-timing';
import { holdManyLinks } from './links';
import { holdBlockedWords } from './blocked-words';
import { applyModerationPolicy } from './policy';

export type { CheckContext } from './context';

/** Checks that judge what the comment says and shows; an edit changes that, so they run on every edit too. */
const contentChecks: readonly Check[] = [holdManyLinks, holdBlockedWords, applyModerationPolicy];

/** Every check of a new comment: first those that judge the request (who, where, how fast, how sent). */
export const checks: readonly Check[] = [
  refuseClosedPage,
  refuseBannedAuthor,
  refuseFlood,
  refuseDuplicate,
  flagHoneypot,
  checkFormTiming,
  ...contentChecks,
];

/**
 * The checks of an edit: a banned author may no longer change their words, and the content checks judge the
 * new text. The others judged the request that created the comment and an edit does not repeat it
 * (docs/moderation.md says why for each).
 */
export const editChecks: readonly Check[] = [refuseBannedAuthor, ...contentChecks];

const severity: Record<string, number> = { approved: 0, pending: 1, spam: 2 };

/** Runs every check; the comment takes the most severe status any of them gave, with all their reasons. */
export async function moderate(ctx: CheckContext, list: readonly Check[] = checks): Promise<{ status: CommentStatus; reasons: Reason[] }> {
  let status: CommentStatus = 'approved';
  const reasons: Reason[] = [];
  for (const check of list) {
    const result = await check(ctx);
    if (!result) continue;
    reasons.push(result.reason);
    if (severity[result.status] > severity[status]) status = result.status;
  }
  return { status, reasons };
}
