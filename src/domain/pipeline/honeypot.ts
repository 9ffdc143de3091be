import type { Check } from './context';

/** The hidden field people never see; bots fill it. */
export const flagHoneypot: Check = ({ hp }) =>
  hp && hp.trim() !== '' ? { status: 'spam', reason: { code: 'honeypot', detail: 'The hidden honeypot field was filled in.' } } : null;
