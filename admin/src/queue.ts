// The queue: tabs by status, search, one list a moderator clears from the keyboard, actions with a short undo.
import { api, ApiError, qs, token, UNAUTHORIZED, type Schemas } from './api';
import { clear, commentHtml, h, timeAgo } from './dom';
import type { Action, App, PendingAction, QueueItem } from './types';
import { openPerson } from './person';

const UNDO_MS = 5000;
const TABS: [string, string][] = [
  ['pending', 'Pending'],
  ['reported', 'Reported'],
  ['spam', 'Spam'],
  ['approved', 'Approved'],
  ['rejected', 'Rejected'],
  ['deleted', 'Deleted'],
  ['featured', 'Featured'],
];
const DONE: Record<Action, string> = { approve: 'Approved', reject: 'Rejected', spam: 'Marked as spam', delete: 'Deleted', restore: 'Restored', feature: 'Featured', unfeature: 'Unfeatured' };
const TARGET: Record<Action, string | null> = { approve: 'approved', reject: 'rejected', spam: 'spam', delete: 'deleted', restore: null, feature: null, unfeature: null };
/** Featuring marks a comment; it leaves a tab only when it is unfeatured in the Featured tab. */
const isMark = (a: Action) => a === 'feature' || a === 'unfeature';

const filterKey = (app: App) => {
  const q = app.queue;
  return JSON.stringify([app.site, q.status, q.q, q.email, q.page]);
};

async function load(app: App, more = false): Promise<void> {
  const q = app.queue;
  q.loading = true;
  q.error = null;
  if (!more) drawList(app);
  const key = filterKey(app);
  const focusedId = q.items[q.focus]?.id;
  try {
    const r = await api<Schemas['Queue']>(
      'GET',
      `/sites/${app.site}/moderation/comments${qs({ status: q.status, q: q.q, email: q.email, page: q.page, cursor: more ? q.cursor : undefined, limit: 50 })}`,
    );
    if (key !== filterKey(app)) return; // filters changed while this was loading
    const hidden = new Set([...(q.pending?.ids ?? []), ...(q.pending?.removed.map((r) => r.item.id) ?? [])]);
    const items = r.items.filter((i) => !hidden.has(i.id));
    q.items = more ? [...q.items, ...items] : items;
    q.cursor = r.nextCursor;
    q.counts = r.counts;
    q.loadedFor = key;
    // A reload keeps the focus on the same comment when it is still listed.
    if (!more) q.focus = Math.max(0, q.items.findIndex((i) => i.id === focusedId));
  } catch (err) {
    q.error = err instanceof Error ? err.message : String(err);
  } finally {
    q.loading = false;
  }
  drawTabs(app);
  drawList(app);
  if (!more) focusItem(app, false);
}

async function refreshCounts(app: App): Promise<void> {
  try {
    const r = await api<Schemas['Queue']>('GET', `/sites/${app.site}/moderation/comments${qs({ status: app.queue.status, limit: 1 })}`);
    app.queue.counts = r.counts;
    drawTabs(app);
  } catch {
    /* counts catch up on the next load */
  }
}

function idsFor(app: App): string[] {
  const q = app.queue;
  if (q.selected.size) return q.items.filter((i) => q.selected.has(i.id)).map((i) => i.id);
  const item = q.items[q.focus];
  return item ? [item.id] : [];
}

export function act(app: App, action: Action, ids: string[], trustAuthor = false): void {
  if (!ids.length) return;
  const q = app.queue;
  commit(app);
  const removed: PendingAction['removed'] = [];
  // Trusting an author approves their other pending comments too (same e-mail and name): they leave with it.
  const author = (i: QueueItem) => `${i.author.email}\n${i.author.name}`;
  const trusted = new Set(trustAuthor ? q.items.filter((i) => ids.includes(i.id)).map(author) : []);
  const leaving = [...ids, ...q.items.filter((i) => !ids.includes(i.id) && i.status === 'pending' && trusted.has(author(i))).map((i) => i.id)];
  // The item leaves this tab unless the action keeps it in the same status.
  if (isMark(action) && !(action === 'unfeature' && q.status === 'featured')) {
    const at = action === 'feature' ? new Date().toISOString() : null;
    for (const i of q.items) if (ids.includes(i.id) && (at === null || i.status === 'approved')) i.featuredAt = at;
  } else if (TARGET[action] !== q.status) {
    // Selected items above the focus leave too: the next item keeps the focus instead of being skipped.
    q.focus = q.items.slice(0, q.focus).filter((i) => !leaving.includes(i.id)).length;
    q.items.forEach((item, index) => leaving.includes(item.id) && removed.push({ item, index }));
    q.items = q.items.filter((i) => !leaving.includes(i.id));
  }
  for (const id of ids) q.selected.delete(id);
  q.pending = { site: app.site, action, ids, trustAuthor, removed, timer: setTimeout(() => commit(app), UNDO_MS) };
  q.focus = Math.min(q.focus, Math.max(0, q.items.length - 1));
  drawList(app);
  focusItem(app);
  const n = ids.length === 1 ? '1 comment' : `${ids.length} comments`;
  const others = leaving.length - ids.length;
  const also = others ? ` (and ${others} more by ${trusted.size === 1 ? 'that author' : 'those authors'})` : '';
  app.toast(`${DONE[action]}${trustAuthor ? ' and trusted the author of' : ''} ${n}${also}.`, { undo: () => undo(app) });
}

/** Sends the waiting action now (its undo time is up, or another action starts). */
export function commit(app: App, onLeave = false): void {
  const q = app.queue;
  const p = q.pending;
  if (!p) return;
  clearTimeout(p.timer);
  q.pending = null;
  const body = JSON.stringify({ action: p.action, ids: p.ids, ...(p.trustAuthor ? { trustAuthor: true } : {}) } satisfies Schemas['ModerationAction']);
  const request = fetch(`/api/v1/sites/${encodeURIComponent(p.site)}/moderation/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.get()}`, 'content-type': 'application/json' },
    body,
    keepalive: onLeave,
  });
  if (onLeave) return;
  request
    .then(async (res) => {
      const data: (Schemas['ModerationResults'] & Partial<Schemas['Problem']>) | null = await res.json().catch(() => null);
      if (res.status === 401 && token.get()) window.dispatchEvent(new Event(UNAUTHORIZED));
      if (!res.ok) throw new ApiError({ status: res.status, title: data?.title ?? 'Error', detail: data?.detail ?? `The server answered ${res.status}.` });
      const failed = (data?.results ?? []).flatMap((r) => (r.ok ? [] : [r]));
      if (failed.length) app.toast(`${failed.length} of ${p.ids.length} could not be changed: ${failed[0].error.detail}`, { error: true });
      if (token.get()) void refreshCounts(app); // not after sign-out: that would only be a 401
    })
    .catch((err: unknown) => {
      restore(app, p);
      app.toast(`Not saved: ${err instanceof Error ? err.message : 'network error'}. The comments are back in the list.`, { error: true });
    });
}

function restore(app: App, p: PendingAction): void {
  const q = app.queue;
  if (p.site !== app.site) return; // another site's list is shown now; its counts tell the rest
  for (const { item, index } of [...p.removed].sort((a, b) => a.index - b.index)) q.items.splice(Math.min(index, q.items.length), 0, item);
  if (p.removed.length) q.focus = p.removed[0].index;
  drawList(app);
  focusItem(app);
}

export function undo(app: App): void {
  const p = app.queue.pending;
  if (!p) {
    app.toast('Nothing to undo: the last action was already saved.');
    return;
  }
  clearTimeout(p.timer);
  app.queue.pending = null;
  restore(app, p);
  app.toast(`Undone: ${DONE[p.action].toLowerCase()} ${p.ids.length === 1 ? '1 comment' : `${p.ids.length} comments`}.`);
}

function focusItem(app: App, scroll = true): void {
  const el = app.main.querySelector<HTMLElement>(`.item[data-index="${app.queue.focus}"]`);
  if (!el) return;
  for (const other of Array.from(app.main.querySelectorAll('.item.focused'))) other.classList.remove('focused');
  el.classList.add('focused');
  el.focus({ preventScroll: !scroll });
  if (scroll) el.scrollIntoView({ block: 'nearest' });
}

/** Bans the authors of `items` (their e-mail and address each), with an optional expiry and reason. */
function banForm(app: App, items: QueueItem[], holder: HTMLElement): void {
  const expiry = h(
    'select',
    { 'aria-label': 'Ban for', class: 'ban-expiry' },
    h('option', { value: '' }, 'for good'),
    h('option', { value: String(86_400_000) }, 'for 1 day'),
    h('option', { value: String(7 * 86_400_000) }, 'for 7 days'),
    h('option', { value: String(30 * 86_400_000) }, 'for 30 days'),
  );
  const reason = h('input', { type: 'text', placeholder: 'Reason (optional)', 'aria-label': 'Ban reason', class: 'ban-reason', maxlength: '500' });
  const error = h('span', { class: 'error', role: 'alert' });
  // One ban request per author: two comments by the same person need only one.
  const byAuthor = [...new Map(items.map((i) => [`${i.author.email}\n${i.ipHash ?? ''}`, i])).values()];
  const who = byAuthor.length === 1 ? `${byAuthor[0].author.name} (${byAuthor[0].author.email})` : `${byAuthor.length} authors`;
  const confirm = h('button', { type: 'submit', class: 'danger ban-confirm' }, byAuthor.length === 1 ? 'Ban author' : `Ban ${byAuthor.length} authors`);
  const close = () => {
    form.remove();
    focusItem(app);
  };
  const form = h(
    'form',
    { class: 'ban-form' },
    h('span', {}, `Ban ${who} and their address`),
    expiry,
    reason,
    confirm,
    h('button', { type: 'button', class: 'link', onclick: close }, 'Cancel'),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    const ms = Number(expiry.value);
    const body = {
      ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      ...(ms ? { expiresAt: new Date(Date.now() + ms).toISOString() } : {}),
    };
    const done: QueueItem[] = [];
    try {
      for (const item of byAuthor) {
        await api('POST', `/sites/${app.site}/moderation/bans`, { commentId: item.id, ...body } satisfies Schemas['NewBan']);
        done.push(item);
      }
      if (holder.classList.contains('bulk')) {
        app.queue.selected.clear();
        drawList(app);
      } else form.remove();
      app.toast(`Banned ${byAuthor.length === 1 ? byAuthor[0].author.name : who}. Their next comment will be refused.`);
      focusItem(app);
    } catch (err) {
      const left = done.length ? ` (${done.length} of ${byAuthor.length} were banned)` : '';
      error.textContent = `${err instanceof Error ? err.message : 'Ban failed.'}${left}`;
      confirm.disabled = false;
    }
  });
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });
  holder.querySelector('.ban-form')?.remove();
  holder.append(form);
  expiry.focus();
}

/** An erased person's comment keeps its place as a placeholder: no name, e-mail or text is left. */
const isErased = (item: QueueItem) => !item.author.name && !item.author.email && !item.body;

/** Opens the Person panel of a comment's author; the queue is reloaded after an erase, to show the placeholders. */
function showPerson(app: App, commentId: string, opener: HTMLElement | null): void {
  openPerson(app, commentId, { opener, onErased: () => app.refresh() });
}

function itemView(app: App, item: QueueItem, index: number): HTMLElement {
  const q = app.queue;
  const selected = q.selected.has(item.id);
  const erased = isErased(item);
  const button = (label: string, action: Action, cls = '', trust = false) =>
    h('button', { type: 'button', class: `act ${cls}`, 'data-action': trust ? 'approve-trust' : action, onclick: () => act(app, action, [item.id], trust) }, label);
  const el = h(
    'article',
    {
      class: `item${selected ? ' selected' : ''}${index === q.focus ? ' focused' : ''}`,
      tabindex: '-1',
      'data-id': item.id,
      'data-index': index,
      'aria-label': erased ? 'Erased comment' : `Comment by ${item.author.name}`,
      onfocus: () => {
        q.focus = index;
        for (const other of Array.from(app.main.querySelectorAll('.item.focused'))) other.classList.remove('focused');
        el.classList.add('focused');
      },
    },
    h(
      'header',
      {},
      h('input', {
        type: 'checkbox',
        class: 'select',
        'aria-label': erased ? 'Select erased comment' : `Select comment by ${item.author.name}`,
        checked: selected,
        onchange: (e: Event) => {
          if ((e.target as HTMLInputElement).checked) q.selected.add(item.id);
          else q.selected.delete(item.id);
          drawList(app);
        },
      }),
      h('img', { class: 'avatar', src: item.author.avatar, alt: '', width: '32', height: '32' }),
      h(
        'div',
        { class: 'who' },
        erased
          ? h('strong', { class: 'author erased muted' }, 'Erased')
          : h(
              'button',
              {
                type: 'button',
                class: 'link author person-open',
                'aria-haspopup': 'dialog',
                title: 'All comments of this person (p)',
                onclick: (e: Event) => showPerson(app, item.id, e.currentTarget as HTMLElement),
              },
              item.author.name,
            ),
        erased ? null : h('span', { class: 'email' }, item.author.email),
        item.author.website && /^https?:/i.test(item.author.website)
          ? h('a', { class: 'website', href: item.author.website, rel: 'nofollow noopener noreferrer', target: '_blank' }, item.author.website)
          : null,
      ),
      h('time', { datetime: item.createdAt, title: new Date(item.createdAt).toLocaleString() }, timeAgo(item.createdAt)),
      h('span', { class: `status status-${item.status}` }, item.status),
      item.featuredAt ? h('span', { class: 'badge featured' }, 'featured') : null,
      h('span', { class: 'votes muted', title: `${item.votes.upvotes} up, ${item.votes.downvotes} down` }, `▲ ${item.votes.upvotes} ▼ ${item.votes.downvotes}`),
    ),
    h(
      'p',
      { class: 'page' },
      'on ',
      item.page.url && /^https?:/i.test(item.page.url)
        ? h('a', { href: item.page.url, target: '_blank', rel: 'noopener noreferrer' }, item.page.title ?? item.page.key)
        : h('span', {}, item.page.title ?? item.page.key),
      item.page.title ? h('code', { class: 'key' }, item.page.key) : null,
      item.page.closed ? h('span', { class: 'badge' }, 'closed') : null,
    ),
    item.parent
      ? h(
          'blockquote',
          { class: 'parent' },
          h('span', { class: 'muted' }, 'Reply to '),
          item.parent.authorName
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'link parent-author person-open',
                  'aria-haspopup': 'dialog',
                  'aria-label': `${item.parent.authorName}: all comments of this person`,
                  onclick: (e: Event) => showPerson(app, item.parent!.id, e.currentTarget as HTMLElement),
                },
                item.parent.authorName,
              )
            : h('span', { class: 'muted' }, 'an erased comment'),
          h('span', { class: 'muted' }, ': '),
          item.parent.excerpt,
        )
      : null,
    erased ? h('p', { class: 'body placeholder muted' }, "Erased at the person's request; replies keep their place under it.") : commentHtml(item.html),
    item.reasons.length
      ? h('ul', { class: 'reasons', 'aria-label': 'Why it was held' }, item.reasons.map((r) => h('li', { class: `badge reason-${r.code}`, title: r.detail }, r.code.replace(/_/g, ' '), h('span', { class: 'detail' }, r.detail))))
      : null,
    item.reports.count
      ? h(
          'div',
          { class: 'reports' },
          h('strong', {}, `${item.reports.count} report${item.reports.count === 1 ? '' : 's'}`),
          h('ul', {}, item.reports.items.map((r) => h('li', {}, r.reason, r.note ? ` — ${r.note}` : ''))),
        )
      : null,
    h(
      'footer',
      {},
      erased
        ? h('div', { class: 'actions muted' }, 'Nothing is left to moderate.')
        : h(
        'div',
        { class: 'actions' },
        item.status !== 'approved' ? button('Approve', 'approve', 'approve') : null,
        item.status === 'pending' ? button('Approve & trust', 'approve', 'approve', true) : null,
        item.status !== 'rejected' ? button('Reject', 'reject') : null,
        item.status !== 'spam' ? button('Spam', 'spam') : null,
        item.status !== 'deleted' ? button('Delete', 'delete', 'danger') : null,
        ['deleted', 'rejected', 'spam'].includes(item.status) ? button('Restore', 'restore') : null,
        item.status === 'approved' ? (item.featuredAt ? button('Unfeature', 'unfeature') : button('Feature', 'feature')) : null,
        h('button', { type: 'button', class: 'act', 'data-action': 'ban', onclick: () => banForm(app, [item], el) }, 'Ban author'),
      ),
      h('span', { class: 'meta muted', title: item.userAgent ?? '' }, item.ipHash ? `address ${item.ipHash.slice(0, 8)}` : ''),
    ),
  );
  return el;
}

function drawTabs(app: App): void {
  const bar = app.main.querySelector('.status-tabs');
  if (!bar) return;
  const q = app.queue;
  clear(
    bar,
    TABS.map(([status, label]) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          'aria-selected': String(q.status === status),
          class: q.status === status ? 'active' : '',
          'data-status': status,
          onclick: () => switchTab(app, status),
        },
        label,
        h('span', { class: 'count' }, String(q.counts[status] ?? '')),
      ),
    ),
  );
}

function switchTab(app: App, status: string): void {
  commit(app);
  app.queue.status = status;
  app.queue.selected.clear();
  app.queue.items = [];
  drawTabs(app);
  void load(app);
}

function drawList(app: App): void {
  const list = app.main.querySelector('.list');
  const bulk = app.main.querySelector('.bulk');
  if (!list || !bulk) return;
  const q = app.queue;
  if (q.selected.size) {
    const chosen = () => q.items.filter((i) => q.selected.has(i.id));
    const ids = () => chosen().map((i) => i.id);
    const button = (label: string, key: string, cls: string, run: () => void) => h('button', { type: 'button', class: `act${cls}`, 'data-bulk': key, onclick: run }, label);
    const held = q.status === 'pending' || q.status === 'reported';
    const removable = ['deleted', 'rejected', 'spam'].includes(q.status);
    clear(
      bulk,
      h('strong', {}, `${q.selected.size} selected`),
      q.status !== 'approved' ? button('Approve all', 'approve', ' approve', () => act(app, 'approve', ids())) : null,
      held ? button('Approve & trust all', 'approve-trust', ' approve', () => act(app, 'approve', ids(), true)) : null,
      q.status !== 'rejected' ? button('Reject all', 'reject', '', () => act(app, 'reject', ids())) : null,
      q.status !== 'spam' ? button('Spam all', 'spam', '', () => act(app, 'spam', ids())) : null,
      q.status !== 'deleted' ? button('Delete all', 'delete', ' danger', () => act(app, 'delete', ids())) : null,
      removable ? button('Restore all', 'restore', '', () => act(app, 'restore', ids())) : null,
      q.status === 'approved' || q.status === 'featured' ? button('Feature all', 'feature', '', () => act(app, 'feature', ids())) : null,
      q.status === 'approved' || q.status === 'featured' ? button('Unfeature all', 'unfeature', '', () => act(app, 'unfeature', ids())) : null,
      button('Ban authors', 'ban', '', () => banForm(app, chosen(), bulk as HTMLElement)),
      h('button', { type: 'button', class: 'link', onclick: () => { q.selected.clear(); drawList(app); } }, 'Clear selection'),
    );
    bulk.removeAttribute('hidden');
  } else bulk.setAttribute('hidden', '');

  // A feed is a list of articles; a message in their place (loading, empty, an error) is not one.
  if (q.items.length) list.setAttribute('role', 'feed');
  else list.removeAttribute('role');
  if (q.error) {
    clear(list, h('div', { class: 'empty error', role: 'alert' }, h('p', {}, `Could not load the queue: ${q.error}`), h('button', { type: 'button', onclick: () => void load(app) }, 'Try again')));
    return;
  }
  if (q.loading && !q.items.length) {
    clear(list, h('div', { class: 'empty', 'aria-busy': 'true' }, 'Loading comments…'));
    return;
  }
  if (!q.items.length) {
    const filtered = q.q || q.email || q.page;
    clear(
      list,
      h(
        'div',
        { class: 'empty' },
        h('p', { class: 'big' }, filtered ? 'No comments match these filters.' : q.status === 'pending' ? 'All clear — nothing waits for moderation.' : `No ${q.status} comments.`),
        h('p', { class: 'muted' }, filtered ? 'Clear the search to see the whole queue.' : 'New comments held by the rules will appear here.'),
      ),
    );
    return;
  }
  clear(
    list,
    q.items.map((item, i) => itemView(app, item, i)),
    q.cursor ? h('button', { type: 'button', class: 'more', onclick: () => void load(app, true) }, 'Load more') : null,
  );
}

export async function renderQueue(app: App): Promise<void> {
  const q = app.queue;
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Search text or name  ( / )', 'aria-label': 'Search text or name', value: q.q });
  const email = h('input', { type: 'search', id: 'filter-email', placeholder: 'Exact e-mail', 'aria-label': 'Filter by e-mail', value: q.email });
  const page = h('input', { type: 'search', id: 'filter-page', placeholder: 'Page key, e.g. /2026/post', 'aria-label': 'Filter by page', value: q.page });
  const form = h('form', { class: 'filters', role: 'search' }, search, email, page, h('button', { type: 'submit' }, 'Filter'));
  // Escape leaves the filters for the comment the moderator came from, so j/k and the action keys carry on there.
  form.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    if (q.items.length) focusItem(app);
    else (e.target as HTMLElement).blur();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    commit(app);
    q.q = search.value.trim();
    q.email = email.value.trim();
    q.page = page.value.trim();
    q.items = [];
    void load(app);
  });
  // The keys most used, always in sight; `?` lists them all.
  const hint = h(
    'p',
    { class: 'keyhint muted', 'aria-hidden': 'true' },
    ([['j', 'k', 'move'], ['a', 'approve'], ['r', 'reject'], ['s', 'spam'], ['d', 'delete'], ['f', 'feature'], ['x', 'select'], ['p', 'person'], ['u', 'undo'], ['?', 'all keys']] as string[][]).map((k) => {
      const label = k[k.length - 1];
      return h('span', {}, k.slice(0, -1).map((key) => h('kbd', {}, key)), ` ${label}`);
    }),
  );
  clear(
    app.main,
    h('div', { class: 'queue-head' }, h('div', { class: 'status-tabs', role: 'tablist', 'aria-label': 'Status' }), hint),
    form,
    h('div', { class: 'bulk', hidden: true, role: 'toolbar', 'aria-label': 'Bulk actions' }),
    h('div', { class: 'list', 'aria-busy': 'false' }),
  );
  drawTabs(app);
  if (q.loadedFor === filterKey(app)) {
    // Shown at once from memory, then brought up to date: comments arrive while the moderator is elsewhere.
    drawList(app);
    focusItem(app, false);
  }
  await load(app);
}

let pendingG = false;

/** Queue shortcuts; returns true when the key was used. */
export function queueKeys(app: App, e: KeyboardEvent): boolean {
  const q = app.queue;
  if (pendingG) {
    pendingG = false;
    const tab = { p: 'pending', r: 'reported', s: 'spam', a: 'approved', j: 'rejected', d: 'deleted', f: 'featured' }[e.key];
    if (tab) {
      switchTab(app, tab);
      return true;
    }
  }
  const item = q.items[q.focus];
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      q.focus = Math.min(q.items.length - 1, q.focus + 1);
      focusItem(app);
      return true;
    case 'k':
    case 'ArrowUp':
      q.focus = Math.max(0, q.focus - 1);
      focusItem(app);
      return true;
    case 'a':
      act(app, 'approve', idsFor(app));
      return true;
    case 'A':
      act(app, 'approve', idsFor(app), true);
      return true;
    case 'r':
      act(app, 'reject', idsFor(app));
      return true;
    case 's':
      act(app, 'spam', idsFor(app));
      return true;
    case 'd':
    case 'Delete':
      act(app, 'delete', idsFor(app));
      return true;
    case 'e':
      act(app, 'restore', idsFor(app));
      return true;
    case 'f': {
      // Unfeatures when every chosen comment is featured already; features otherwise.
      const ids = idsFor(app);
      const all = ids.length > 0 && ids.every((id) => q.items.find((i) => i.id === id)?.featuredAt);
      act(app, all ? 'unfeature' : 'feature', ids);
      return true;
    }
    case 'x':
      if (!item) return false;
      if (q.selected.has(item.id)) q.selected.delete(item.id);
      else q.selected.add(item.id);
      drawList(app);
      focusItem(app);
      return true;
    case 'u':
      undo(app);
      return true;
    case 'b': {
      const el = app.main.querySelector<HTMLElement>(`.item[data-index="${q.focus}"]`);
      if (q.selected.size) {
        const bulk = app.main.querySelector<HTMLElement>('.bulk');
        if (bulk) banForm(app, q.items.filter((i) => q.selected.has(i.id)), bulk);
      } else if (item && el) banForm(app, [item], el);
      return true;
    }
    case '/':
      (app.main.querySelector('#search') as HTMLInputElement | null)?.focus();
      return true;
    case 'g':
      pendingG = true;
      return true;
    case 'p': {
      const el = app.main.querySelector<HTMLElement>(`.item[data-index="${q.focus}"]`);
      if (!item || isErased(item)) return false;
      showPerson(app, item.id, el);
      return true;
    }
    default:
      return false;
  }
}

window.addEventListener('pagehide', () => {
  const app = (window as unknown as { __marginaliaApp?: App }).__marginaliaApp;
  if (app) commit(app, true);
});
