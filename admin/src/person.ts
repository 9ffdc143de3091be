// The Person panel: every comment of a comment's author on the site, their data export, and erasing them (owners).
// The person is asked for by comment id, so their e-mail never goes into a URL; only the erase sends it, in a body.
import { api, ApiError, token, type Schemas } from './api';
import { clear, h, timeAgo } from './dom';
import type { App } from './types';

type Person = Schemas['Person'];

const STATUS_WORD: Record<string, string> = { approved: 'approved', pending: 'pending', rejected: 'rejected', spam: 'spam', deleted: 'deleted' };

const excerpt = (text: string, max = 220) => {
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain.length <= max ? plain : plain.slice(0, max - 1).trimEnd() + '…';
};

/** Elements a Tab may reach inside the panel, in order. */
const focusables = (el: HTMLElement) =>
  Array.from(el.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea, [tabindex]:not([tabindex="-1"])')).filter(
    (x) => !x.hasAttribute('disabled') && !x.closest('[hidden]'),
  );

/** Downloads a JSON answer as a file, named as the server names it. */
async function download(path: string, body: unknown, fallback: string): Promise<void> {
  const res = await fetch('/api/v1' + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.get() ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (!res.ok) {
    const problem = (await res.json().catch(() => null)) as Partial<Schemas['Problem']> | null;
    throw new Error(problem?.detail ?? `The export failed (${res.status}).`);
  }
  const url = URL.createObjectURL(await res.blob());
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Opens the panel for the author of `commentId`. Focus moves into it, stays there while it is open, and goes back
 * to `opener` (or the element that had it) when Escape or Close shuts it. `onErased` runs after a close that
 * followed an erase, so the list behind can show the placeholders.
 */
export function openPerson(app: App, commentId: string, opts: { opener?: HTMLElement | null; onErased?: () => void } = {}): void {
  app.root.querySelector('.person-overlay')?.remove();
  const opener = opts.opener ?? (document.activeElement as HTMLElement | null);
  const site = app.site;
  const owner = app.me.token.role === 'owner';
  let erased = false;
  let cursor: string | null = null;
  let shown = 0;

  const title = h('h2', { id: 'person-title' }, 'Person');
  const who = h('p', { class: 'person-who' }, h('span', { class: 'muted' }, 'Loading…'));
  const count = h('p', { class: 'person-count', 'aria-live': 'polite' });
  const list = h('ol', { class: 'person-comments', 'aria-labelledby': 'person-title' });
  const more = h('button', { type: 'button', class: 'more', id: 'person-more', hidden: true }, 'Load more');
  const status = h('p', { class: 'person-status', role: 'status' });
  const exportButton = h('button', { type: 'button', id: 'person-export', disabled: true }, 'Export (JSON)');
  const eraseButton = owner ? h('button', { type: 'button', class: 'danger', id: 'person-erase', disabled: true }, 'Erase…') : null;
  const confirmBox = h('div', { class: 'person-confirm', hidden: true, role: 'group', 'aria-labelledby': 'person-confirm-text' });
  const closeButton = h('button', { type: 'button', class: 'link person-close', id: 'person-close', 'aria-label': 'Close the person panel' }, 'Close (Esc)');

  const panel = h(
    'div',
    { class: 'person-panel' },
    h('div', { class: 'person-head' }, title, closeButton),
    who,
    h(
      'div',
      { class: 'person-actions' },
      exportButton,
      eraseButton,
      owner ? null : h('span', { class: 'hint muted' }, 'Erasing a person needs an owner token.'),
    ),
    confirmBox,
    status,
    count,
    list,
    more,
  );
  const overlay = h('div', { class: 'overlay person-overlay', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'person-title' }, panel);

  function close(): void {
    overlay.remove();
    if (erased) opts.onErased?.();
    else if (opener?.isConnected) opener.focus();
  }

  function row(c: Person['items'][number]): HTMLElement {
    const pageName = c.page.title ?? c.page.key;
    return h(
      'li',
      { class: 'person-comment', 'data-id': c.id },
      h(
        'div',
        { class: 'person-meta' },
        h('span', { class: `status status-${c.status}` }, STATUS_WORD[c.status] ?? c.status),
        ' on ',
        c.page.url && /^https?:/i.test(c.page.url) ? h('a', { href: c.page.url, target: '_blank', rel: 'noopener noreferrer' }, pageName) : h('span', {}, pageName),
        c.page.title ? h('code', { class: 'key' }, c.page.key) : null,
        ' · ',
        h('time', { datetime: c.createdAt, title: new Date(c.createdAt).toLocaleString() }, timeAgo(c.createdAt)),
      ),
      // Text only: the panel is a list to scan, and the body was already shown sanitised in the queue.
      h('p', { class: 'person-body' }, c.body ? excerpt(c.body) : h('span', { class: 'muted' }, '(no text)')),
    );
  }

  function showCount(): void {
    const n = `${shown} comment${shown === 1 ? '' : 's'}`;
    count.textContent = cursor ? `The newest ${n} on this site; more below.` : `${n} on this site, newest first.`;
  }

  async function load(): Promise<void> {
    more.disabled = true;
    try {
      const r = await api<Person>('POST', `/sites/${site}/moderation/person`, { commentId, limit: 100, ...(cursor ? { cursor } : {}) } satisfies Schemas['PersonQuery']);
      if (!shown) {
        title.textContent = `Person: ${r.person.name || 'no name'}`;
        clear(who, h('span', { class: 'person-email' }, r.person.email));
        exportButton.disabled = false;
        if (eraseButton) eraseButton.disabled = false;
      }
      list.append(...r.items.map(row));
      shown += r.items.length;
      cursor = r.nextCursor;
      more.hidden = !cursor;
      showCount();
    } catch (err) {
      const gone = err instanceof ApiError && err.status === 404;
      clear(who, h('span', { class: 'error', role: 'alert' }, gone ? `${err.message} There is nobody to show.` : err instanceof Error ? err.message : 'Could not load this person.'));
    } finally {
      more.disabled = false;
    }
  }

  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      await download(`/sites/${site}/moderation/person/export`, { commentId } satisfies Schemas['PersonRef'], `marginalia-${site}-person.json`);
      status.textContent = 'The export was downloaded. It holds the e-mail address in clear: send it only to the person.';
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : 'The export failed.';
    } finally {
      exportButton.disabled = false;
    }
  });

  eraseButton?.addEventListener('click', () => {
    const email = who.querySelector('.person-email')?.textContent ?? '';
    const confirm = h('button', { type: 'button', class: 'danger', id: 'person-erase-confirm' }, 'Erase for good');
    const cancel = h('button', { type: 'button', class: 'link', id: 'person-erase-cancel' }, 'Cancel');
    const hideConfirm = () => {
      confirmBox.hidden = true;
      clear(confirmBox);
      eraseButton.focus();
    };
    cancel.addEventListener('click', hideConfirm);
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const r = await api<Schemas['Erased']>('POST', `/sites/${site}/moderation/erase`, { email } satisfies Schemas['Erase']);
        erased = true;
        confirmBox.hidden = true;
        clear(confirmBox);
        exportButton.disabled = true;
        eraseButton.disabled = true;
        list.replaceChildren();
        more.hidden = true;
        count.textContent = '';
        clear(who, h('span', { class: 'muted' }, 'Erased'));
        status.textContent = `Erased ${r.erased} comment${r.erased === 1 ? '' : 's'}. Replies to them keep their place under a placeholder.`;
        closeButton.focus();
      } catch (err) {
        confirm.disabled = false;
        status.textContent = err instanceof Error ? err.message : 'The erase failed.';
      }
    });
    clear(
      confirmBox,
      h(
        'p',
        { id: 'person-confirm-text' },
        `Erase every comment of ${email} on this site for good? Their name, e-mail, website and text are removed and cannot be brought back.`,
      ),
      h('div', { class: 'form-actions' }, confirm, cancel),
    );
    confirmBox.hidden = false;
    cancel.focus();
  });

  more.addEventListener('click', () => void load());
  closeButton.addEventListener('click', close);
  overlay.addEventListener('click', (e) => e.target === overlay && close());
  overlay.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      // Escape first steps back out of the confirmation, then closes the panel.
      if (!confirmBox.hidden) (confirmBox.querySelector('#person-erase-cancel') as HTMLElement).click();
      else close();
      return;
    }
    if (e.key === 'Tab') {
      // A modal panel: Tab cycles inside it.
      const items = focusables(panel);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  });

  app.root.append(overlay);
  closeButton.focus();
  void load();
}
