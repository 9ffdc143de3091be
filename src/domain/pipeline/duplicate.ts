import { conflict } from '../errors';
import type { Check } from './context';

/** The same body from the same author on the same page is a double submit. */
export const refuseDuplicate: Check = async ({ siteId, pageKey, emailHmac, bodyHash, comments }) => {
  if (await comments.hasDuplicate(siteId, pageKey, emailHmac, bodyHash))
    throw conflict('duplicate_comment', 'You have already posted this comment on this page.');
  return null;
};
