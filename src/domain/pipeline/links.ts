import { countLinks } from '../render';
import type { Check } from './context';

export const holdManyLinks: Check = ({ bodyHtml, settings }) => {
  const links = countLinks(bodyHtml);
  return links >= settings.maxLinks && settings.maxLinks > 0
    ? { status: 'pending', reason: { code: 'links', detail: `${links} links (held at ${settings.maxLinks} or more).` } }
    : null;
};
