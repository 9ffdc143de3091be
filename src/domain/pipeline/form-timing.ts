import type { Check } from './context';

/** Posted faster than a person types: spam. No or a forged token: hold for a look. */
export const checkFormTiming: Check = ({ settings, formTokenIssuedAt, now }) => {
  if (settings.minSubmitSeconds === 0) return null;
  if (formTokenIssuedAt === null)
    return { status: 'pending', reason: { code: 'form_token', detail: 'No valid form token was sent.' } };
  const seconds = (now - formTokenIssuedAt) / 1000;
  if (seconds < settings.minSubmitSeconds)
    return {
      status: 'spam',
      reason: { code: 'too_fast', detail: `Posted ${seconds.toFixed(1)} s after the form opened (minimum ${settings.minSubmitSeconds} s).` },
    };
  return null;
};
