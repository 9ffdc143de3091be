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

export const checks: readonly Check[] = [
  refuseClosedPage,
  refuseBannedAuthor,
  refuseFlood,
  refuseDuplicate,
  flagHoneypot,
  checkFormTiming,
  holdManyLinks,
  holdBlockedWords,
  applyModerationPolicy,
];

const severity: Record<string, number> = { approved: 0, pending: 1, spam: 2 };

/** Runs every check; the comment takes the most severe status any of them gave, with all their reasons. */
export async function moderate(ctx: CheckContext): Promise<{ status: CommentStatus; reasons: Reason[] }> {
  let status: CommentStatus = 'approved';
  const reasons: Reason[] = [];
  for (const check of checks) {
    const result = await check(ctx);
    if (!result) continue;
    reasons.push(result.reason);
    if (severity[result.status] > severity[status]) status = result.status;
  }
  return { status, reasons };
}
