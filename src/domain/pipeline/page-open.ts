import { forbidden } from '../errors';
import type { Check } from './context';

const DAY_MS = 86_400_000;

/** A closed page, or one older than closeAfterDays, takes no new comments. */
export const refuseClosedPage: Check = ({ page, settings, now }) => {
  if (!page) return null;
  if (page.closed) throw forbidden('page_closed', 'Comments are closed on this page.');
  if (settings.closeAfterDays > 0 && now - page.createdAt > settings.closeAfterDays * DAY_MS)
    throw forbidden('page_closed', `Comments close ${settings.closeAfterDays} days after a page's first comment.`);
  return null;
};
