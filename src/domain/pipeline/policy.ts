import type { Check } from './context';

/** The site's policy: hold everything, hold authors until one of theirs is approved, or hold nothing. */
export const applyModerationPolicy: Check = async ({ settings, siteId, emailHmac, name, comments, isVerified }) => {
  if (settings.moderation === 'all')
    return { status: 'pending', reason: { code: 'policy_all', detail: 'This site holds every comment for moderation.' } };
  if (settings.moderation === 'first-time' && !(await comments.isTrustedAuthor(siteId, emailHmac, name)))
    return {
      status: 'pending',
      reason: { code: 'first_time', detail: 'First comment by this author (same e-mail and name) on this site.' },
    };
  if (settings.moderation === 'first-time' && settings.requireVerifiedEmail && !(await (isVerified?.() ?? Promise.resolve(false))))
    return {
      status: 'pending',
      reason: { code: 'unverified_email', detail: 'This site trusts only authors whose e-mail address was confirmed by mail.' },
    };
  return null;
};
