import { forbidden } from '../errors';
import type { Check } from './context';

/** A banned e-mail or address may not post; the answer does not say which matched. */
export const refuseBannedAuthor: Check = async ({ siteId, emailHmac, ipHmac, now, bans }) => {
  const values = ipHmac ? [emailHmac, ipHmac] : [emailHmac];
  if (await bans.findActive(siteId, values, now)) throw forbidden('banned', 'You cannot comment on this site.');
  return null;
};
