import { tooManyRequests } from '../errors';
import type { Check } from './context';

/** One post per address per floodSeconds. */
export const refuseFlood: Check = async ({ siteId, ipHmac, settings, now, comments }) => {
  if (!ipHmac || settings.floodSeconds === 0) return null;
  const last = await comments.lastPostAtByIp(siteId, ipHmac);
  const waitMs = last === null ? 0 : last + settings.floodSeconds * 1000 - now;
  if (waitMs > 0) throw tooManyRequests(`Please wait ${Math.ceil(waitMs / 1000)} s before posting again.`, waitMs / 1000);
  return null;
};
